// Package media keeps the images staff upload (to send to customers, and
// for the template library) named by their content, so the API can serve
// them by URL (Messenger fetches an image from its URL) and uploading the
// same image twice stores it once. Where the files live is a Backend: a
// folder under the data directory (Folder), or an S3-compatible object
// store (package s3store) that several api processes share.
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Types are the image types taken, by the extension they are stored with.
var Types = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/gif":  ".gif",
	"image/webp": ".webp",
}

// TypeOf is the content type of a stored file, told by its name's
// extension, or "" for another name.
func TypeOf(name string) string {
	for typ, ext := range Types {
		if strings.HasSuffix(name, ext) {
			return typ
		}
	}
	return ""
}

// Errors of the store, for the caller to answer.
var (
	ErrTooLarge = errors.New("media: the image is too large")
	ErrNotImage = errors.New("media: not an image")
	ErrEmpty    = errors.New("media: no content")
	// ErrNotFound is the answer for a name that is not stored (or not a
	// name Put makes).
	ErrNotFound = errors.New("media: no such image")
	// ErrUnavailable wraps a failure of the backend to store or read a
	// file (an object store that does not answer or refuses): the caller
	// answers 503 and may retry; the wrapped text is for the log only.
	ErrUnavailable = errors.New("media: the image store is unavailable")
)

// Backend keeps the stored files by key: an image's key is its name, a
// thumbnail's is "thumbs/" and its name. Keys come from the Store only.
type Backend interface {
	// Exists reports whether key is stored.
	Exists(ctx context.Context, key string) (bool, error)
	// Write stores data under key, whole or not at all; writing a key
	// again replaces it.
	Write(ctx context.Context, key string, data []byte, contentType string) error
	// Open returns the file stored under key, or ErrNotFound.
	Open(ctx context.Context, key string) (*File, error)
	// Check reports whether the backend can be used now.
	Check(ctx context.Context) error
	// String describes where the files live, for the log (never a secret).
	String() string
}

// File is a stored file being read; the caller closes it.
type File struct {
	io.ReadSeekCloser
	Size    int64
	ModTime time.Time
	// ContentType is the image type, set by the Store's methods.
	ContentType string
}

// memoryFile is a File of data held in memory.
func memoryFile(data []byte, modTime time.Time) *File {
	return &File{ReadSeekCloser: nopCloser{bytes.NewReader(data)}, Size: int64(len(data)), ModTime: modTime}
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// Store is the uploaded images, kept in a backend.
type Store struct {
	backend  Backend
	maxBytes int64
}

// New returns the store of images kept in backend, taking images of at
// most maxBytes.
func New(backend Backend, maxBytes int64) *Store {
	return &Store{backend: backend, maxBytes: maxBytes}
}

// MaxBytes is the largest image taken.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// Check reports whether the backend can be used now.
func (s *Store) Check(ctx context.Context) error { return s.backend.Check(ctx) }

// String describes the backend, for the log.
func (s *Store) String() string { return s.backend.String() }

// Put stores an image read from r and returns its name. The type is read
// from the content, never from what the client said: JPEG, PNG, GIF or
// WebP; anything else is ErrNotImage. An image already stored is not
// written again.
func (s *Store) Put(ctx context.Context, r io.Reader) (name, contentType string, err error) {
	data, err := io.ReadAll(io.LimitReader(r, s.maxBytes+1))
	if err != nil {
		return "", "", fmt.Errorf("media: read the upload: %w", err)
	}
	if int64(len(data)) > s.maxBytes {
		return "", "", fmt.Errorf("%w: at most %d bytes", ErrTooLarge, s.maxBytes)
	}
	if len(data) == 0 {
		return "", "", ErrEmpty
	}
	contentType = http.DetectContentType(data)
	ext, ok := Types[contentType]
	if !ok {
		return "", "", fmt.Errorf("%w: the content is %s; JPEG, PNG, GIF and WebP are taken", ErrNotImage, contentType)
	}
	sum := sha256.Sum256(data)
	name = hex.EncodeToString(sum[:16]) + ext
	stored, err := s.backend.Exists(ctx, name)
	if err != nil {
		return "", "", fmt.Errorf("media: store %s: %w", name, err)
	}
	if !stored {
		if err := s.backend.Write(ctx, name, data, contentType); err != nil {
			return "", "", fmt.Errorf("media: store %s: %w", name, err)
		}
	}
	return name, contentType, nil
}

var validName = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png|gif|webp)$`)

// Open returns the stored image called name.
func (s *Store) Open(ctx context.Context, name string) (*File, error) {
	if !validName.MatchString(name) {
		return nil, ErrNotFound
	}
	f, err := s.backend.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	f.ContentType = TypeOf(name)
	return f, nil
}

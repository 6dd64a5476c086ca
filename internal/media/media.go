// Package media keeps the images staff upload (to send to customers, and
// for the template library) in a folder under the data directory, named by
// their content, so the API can serve them by URL (Messenger fetches an
// image from its URL) and uploading the same image twice stores it once.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// Types are the image types taken, by the extension they are stored with.
var Types = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/gif":  ".gif",
	"image/webp": ".webp",
}

// Store is the media folder.
type Store struct {
	dir      string
	maxBytes int64
}

// New returns the store in dir, created if missing, taking images of at
// most maxBytes.
func New(dir string, maxBytes int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media: create %s: %w", dir, err)
	}
	return &Store{dir: dir, maxBytes: maxBytes}, nil
}

// MaxBytes is the largest image taken.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// Errors of Put, for the caller to answer.
var (
	ErrTooLarge = errors.New("media: the image is too large")
	ErrNotImage = errors.New("media: not an image")
	ErrEmpty    = errors.New("media: no content")
)

// Put stores an image read from r and returns its name. The type is read
// from the content, never from what the client said: JPEG, PNG, GIF or
// WebP; anything else is ErrNotImage.
func (s *Store) Put(r io.Reader) (name, contentType string, err error) {
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
	path := filepath.Join(s.dir, name)
	if _, err := os.Stat(path); err == nil {
		return name, contentType, nil
	}
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return "", "", fmt.Errorf("media: store %s: %w", name, err)
	}
	_, werr := io.Copy(tmp, bytes.NewReader(data))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return "", "", fmt.Errorf("media: store %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return "", "", fmt.Errorf("media: store %s: %w", name, err)
	}
	return name, contentType, nil
}

var validName = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png|gif|webp)$`)

// ErrNotFound is the answer for a name that is not stored (or not a name
// Put makes).
var ErrNotFound = errors.New("media: no such image")

// Open returns the stored image called name.
func (s *Store) Open(name string) (*os.File, error) {
	if !validName.MatchString(name) {
		return nil, ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

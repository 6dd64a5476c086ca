package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decodes GIF uploads for their thumbnails
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"time"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decodes WebP uploads for their thumbnails
)

// ThumbnailSize bounds a thumbnail's width and height, in pixels.
const ThumbnailSize = 240

// maxPixels bounds the images a thumbnail is made of (40 megapixels): a
// small file can declare a huge image, and decoding it would take that
// much memory.
const maxPixels = 40_000_000

// ErrNoThumbnail is the answer for an image no thumbnail is made of (too
// many pixels, or content the decoders cannot read); callers serve the
// image itself.
var ErrNoThumbnail = errors.New("media: no thumbnail of this image")

// thumbnailKey is where the thumbnail of the image called name is kept:
// JPEG for a JPEG, PNG otherwise.
func thumbnailKey(name string) (key, contentType string) {
	stem, ext, _ := strings.Cut(name, ".")
	if ext == "jpg" {
		return "thumbs/" + stem + ".jpg", "image/jpeg"
	}
	return "thumbs/" + stem + ".png", "image/png"
}

// Thumbnail returns the thumbnail of the stored image called name, at most
// ThumbnailSize pixels on each side, made on first use and kept in the
// backend, where every process sharing it finds it. An image that already
// fits is its own thumbnail.
func (s *Store) Thumbnail(ctx context.Context, name string) (*File, error) {
	if !validName.MatchString(name) {
		return nil, ErrNotFound
	}
	key, contentType := thumbnailKey(name)
	kept, err := s.backend.Open(ctx, key)
	if err == nil {
		kept.ContentType = contentType
		return kept, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	}
	src, err := s.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	thumb, err := makeThumbnail(src, contentType)
	switch {
	case errors.Is(err, ErrNoThumbnail):
		_ = src.Close()
		return nil, err
	case err != nil:
		_ = src.Close()
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	case thumb == nil: // the image fits: it is its own thumbnail
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			_ = src.Close()
			return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
		}
		return src, nil
	}
	_ = src.Close()
	if err := s.backend.Write(ctx, key, thumb, contentType); err != nil {
		return nil, fmt.Errorf("media: keep the thumbnail of %s: %w", name, err)
	}
	f := memoryFile(thumb, time.Now())
	f.ContentType = contentType
	return f, nil
}

// makeThumbnail returns the thumbnail of src encoded as contentType (JPEG
// or PNG), nil when src already fits, or ErrNoThumbnail. A failure to read
// src is returned as it is: that is no verdict on the image.
func makeThumbnail(src *File, contentType string) ([]byte, error) {
	r := &readErr{r: src}
	cfg, _, err := image.DecodeConfig(r)
	if r.err != nil {
		return nil, r.err
	}
	if err != nil || cfg.Width*cfg.Height > maxPixels {
		return nil, ErrNoThumbnail
	}
	if cfg.Width <= ThumbnailSize && cfg.Height <= ThumbnailSize {
		return nil, nil
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if r.err != nil {
		return nil, r.err
	}
	if err != nil {
		return nil, ErrNoThumbnail
	}
	w, h := fit(cfg.Width, cfg.Height)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if contentType == "image/jpeg" {
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&out, dst)
	}
	if err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// readErr remembers the first failure of r other than its end, so a broken
// read is told apart from content the decoders refuse.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// fit scales w×h down to fit ThumbnailSize on both sides, keeping the
// aspect ratio and at least one pixel.
func fit(w, h int) (int, int) {
	if w >= h {
		return ThumbnailSize, max(1, h*ThumbnailSize/w)
	}
	return max(1, w*ThumbnailSize/h), ThumbnailSize
}

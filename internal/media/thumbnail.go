package media

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decodes GIF uploads for their thumbnails
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"

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

// Thumbnail returns the thumbnail of the stored image called name, at most
// ThumbnailSize pixels on each side, made on first use and kept in the
// folder's thumbs directory: JPEG for a JPEG, PNG otherwise. An image that
// already fits is its own thumbnail.
func (s *Store) Thumbnail(name string) (*os.File, error) {
	src, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	ext := ".png"
	if strings.HasSuffix(name, ".jpg") {
		ext = ".jpg"
	}
	path := filepath.Join(s.dir, "thumbs", strings.TrimSuffix(name, filepath.Ext(name))+ext)
	if f, err := os.Open(path); err == nil {
		return f, nil
	}
	cfg, _, err := image.DecodeConfig(src)
	if err != nil || cfg.Width*cfg.Height > maxPixels {
		return nil, ErrNoThumbnail
	}
	if cfg.Width <= ThumbnailSize && cfg.Height <= ThumbnailSize {
		return s.Open(name)
	}
	if _, err := src.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	}
	img, _, err := image.Decode(src)
	if err != nil {
		return nil, ErrNoThumbnail
	}
	w, h := fit(cfg.Width, cfg.Height)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".thumb-*")
	if err != nil {
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	}
	if ext == ".jpg" {
		err = jpeg.Encode(tmp, dst, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(tmp, dst)
	}
	if err = errors.Join(err, tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("media: thumbnail of %s: %w", name, err)
	}
	return os.Open(path)
}

// fit scales w×h down to fit ThumbnailSize on both sides, keeping the
// aspect ratio and at least one pixel.
func fit(w, h int) (int, int) {
	if w >= h {
		return ThumbnailSize, max(1, h*ThumbnailSize/w)
	}
	return max(1, w*ThumbnailSize/h), ThumbnailSize
}

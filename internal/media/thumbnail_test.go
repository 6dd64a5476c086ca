package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func encoded(t *testing.T, w, h int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{B: 255, A: 255})
	}
	var b bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&b, img, nil)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodedSize(t *testing.T, f *os.File) (string, image.Point) {
	t.Helper()
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	return format, image.Pt(cfg.Width, cfg.Height)
}

// A large image gets a thumbnail of at most ThumbnailSize pixels a side,
// in its aspect ratio, made once and kept; a JPEG's is a JPEG; a small
// image is its own thumbnail.
func TestThumbnails(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		format string
		size   image.Point
	}{
		{"wide PNG", encoded(t, 1000, 500, false), "png", image.Pt(240, 120)},
		{"tall JPEG", encoded(t, 300, 600, true), "jpeg", image.Pt(120, 240)},
		{"small PNG", encoded(t, 8, 8, false), "png", image.Pt(8, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, _, err := s.Put(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // made, then read back from the thumbs folder
				f, err := s.Thumbnail(name)
				if err != nil {
					t.Fatal(err)
				}
				if format, size := decodedSize(t, f); format != tc.format || size != tc.size {
					t.Errorf("thumbnail %s %v, want %s %v", format, size, tc.format, tc.size)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "thumbs")); len(entries) != 2 {
		t.Errorf("thumbs folder holds %d files, want the two made", len(entries))
	}
	if _, err := s.Thumbnail("../../etc/passwd"); err != ErrNotFound {
		t.Errorf("a name Put never makes: %v, want ErrNotFound", err)
	}
}

package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImagesAreStoredByContentAndServedBack(t *testing.T) {
	s, err := New(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	data := pngBytes(t)
	name, typ, err := s.Put(bytes.NewReader(data))
	if err != nil || typ != "image/png" || !strings.HasSuffix(name, ".png") {
		t.Fatalf("Put: %q %q %v", name, typ, err)
	}
	again, _, err := s.Put(bytes.NewReader(data))
	if err != nil || again != name {
		t.Errorf("the same image again: %q %v, want the same name %q", again, err, name)
	}
	f, err := s.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if !bytes.Equal(got, data) {
		t.Error("served bytes differ from the upload")
	}
}

func TestBadUploadsAreRefusedWithTheReason(t *testing.T) {
	s, err := New(t.TempDir(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"too large", bytes.Repeat([]byte{0x89}, 101), ErrTooLarge},
		{"empty", nil, ErrEmpty},
		{"html posing as an image", []byte("<html><script>alert(1)</script>"), ErrNotImage},
	} {
		if _, _, err := s.Put(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, name := range []string{"../../etc/passwd", "x.png", strings.Repeat("a", 32) + ".svg"} {
		if _, err := s.Open(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v, want ErrNotFound", name, err)
		}
	}
}

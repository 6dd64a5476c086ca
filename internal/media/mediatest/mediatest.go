// Package mediatest is the conformance suite every media backend must pass.
// Each backend's tests call Run with a function that opens a fresh, empty
// backend; the suite drives it through a media.Store, as the API does.
package mediatest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/handoff-chat/handoff/internal/media"
)

// Run runs every conformance test against backends made by open.
func Run(t *testing.T, open func(t *testing.T) media.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b media.Backend)
	}{
		{"StoredByContentAndReadBack", testPutAndOpen},
		{"ReadFromAnyOffset", testSeek},
		{"SameImageTwiceIsStoredOnce", testStoredOnce},
		{"SameImageAtOnceFromManyUploads", testConcurrentPuts},
		{"UnknownNameIsNotFound", testNotFound},
		{"NamesPutNeverMakesAreRefusedUnread", testBadNames},
		{"BadUploadsAreRefusedUnwritten", testBadUploads},
		{"SizeLimitIsInclusive", testSizeLimit},
		{"ThumbnailsAreMadeOnceAndKept", testThumbnails},
		{"ThumbnailIsSharedByStoresOfOneBackend", testSharedThumbnail},
		{"NoThumbnailOfHugeOrUnreadableImages", testNoThumbnail},
		{"CheckPassesWhenUsable", testCheck},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// GIF is a w×h GIF image.
func GIF(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	for x := range w {
		img.SetColorIndex(x, x%h, 1)
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Encoded is a w×h image with a diagonal line, as PNG or JPEG.
func Encoded(t testing.TB, w, h int, asJPEG bool) []byte {
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

// counting is a backend that counts the calls made to it.
type counting struct {
	media.Backend
	mu     sync.Mutex
	writes map[string]int
	opens  map[string]int
}

func newCounting(b media.Backend) *counting {
	return &counting{Backend: b, writes: map[string]int{}, opens: map[string]int{}}
}

func (c *counting) Write(ctx context.Context, key string, data []byte, contentType string) error {
	c.mu.Lock()
	c.writes[key]++
	c.mu.Unlock()
	return c.Backend.Write(ctx, key, data, contentType)
}

func (c *counting) Open(ctx context.Context, key string) (*media.File, error) {
	c.mu.Lock()
	c.opens[key]++
	c.mu.Unlock()
	return c.Backend.Open(ctx, key)
}

func (c *counting) totals() (writes, opens int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.writes {
		writes += n
	}
	for _, n := range c.opens {
		opens += n
	}
	return writes, opens
}

var namePattern = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png|gif|webp)$`)

func put(t *testing.T, s *media.Store, data []byte) (name, contentType string) {
	t.Helper()
	name, contentType, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !namePattern.MatchString(name) {
		t.Fatalf("Put named the image %q, want 32 hex digits and the extension", name)
	}
	return name, contentType
}

func readAll(t *testing.T, f *media.File) []byte {
	t.Helper()
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read the stored file: %v", err)
	}
	if int64(len(data)) != f.Size {
		t.Errorf("the file says it has %d bytes and has %d", f.Size, len(data))
	}
	return data
}

func testPutAndOpen(t *testing.T, b media.Backend) {
	s := media.New(b, 1<<20)
	ctx := context.Background()
	for _, tc := range []struct {
		data []byte
		typ  string
		ext  string
	}{
		{Encoded(t, 4, 4, false), "image/png", ".png"},
		{Encoded(t, 4, 4, true), "image/jpeg", ".jpg"},
		{[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image/gif", ".gif"},
		{[]byte("RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00not decoded here"), "image/webp", ".webp"},
	} {
		name, typ := put(t, s, tc.data)
		if typ != tc.typ || !strings.HasSuffix(name, tc.ext) || media.TypeOf(name) != tc.typ {
			t.Errorf("%s stored as %q named %q, want %s with %s", tc.typ, typ, name, tc.typ, tc.ext)
		}
		f, err := s.Open(ctx, name)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		if f.ModTime.IsZero() || f.ContentType != tc.typ {
			t.Errorf("%s opens with modification time %v and type %q, want a time and %s", name, f.ModTime, f.ContentType, tc.typ)
		}
		if got := readAll(t, f); !bytes.Equal(got, tc.data) {
			t.Errorf("%s reads back %d bytes that differ from the %d uploaded", name, len(got), len(tc.data))
		}
	}
}

// http.ServeContent seeks to the end for the size, back to the start, and
// to a range's first byte.
func testSeek(t *testing.T, b media.Backend) {
	s := media.New(b, 1<<20)
	data := Encoded(t, 64, 64, false)
	name, _ := put(t, s, data)
	f, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("Seek to the end: %d %v, want %d", end, err, len(data))
	}
	for _, off := range []int64{10, 0, int64(len(data)) - 5} {
		if pos, err := f.Seek(off, io.SeekStart); err != nil || pos != off {
			t.Fatalf("Seek(%d): %d %v", off, pos, err)
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(f, got); err != nil || !bytes.Equal(got, data[off:off+5]) {
			t.Errorf("5 bytes from %d: %v %v, want %v", off, got, err, data[off:off+5])
		}
	}
	if pos, err := f.Seek(-5, io.SeekCurrent); err != nil || pos != int64(len(data))-5 {
		t.Errorf("Seek back 5 from the end: %d %v", pos, err)
	}
}

func testStoredOnce(t *testing.T, b media.Backend) {
	c := newCounting(b)
	s := media.New(c, 1<<20)
	data := Encoded(t, 4, 4, false)
	first, _ := put(t, s, data)
	again, _ := put(t, s, data)
	if again != first {
		t.Errorf("the same image again is named %q, want %q", again, first)
	}
	if c.writes[first] != 1 {
		t.Errorf("the same image put twice was written %d times, want once", c.writes[first])
	}
	other, _ := put(t, s, Encoded(t, 5, 4, false))
	if other == first {
		t.Errorf("two different images share the name %s", first)
	}
}

func testConcurrentPuts(t *testing.T, b media.Backend) {
	s := media.New(b, 1<<20)
	data := Encoded(t, 32, 32, true)
	names := make([]string, 8)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			names[i], _, errs[i] = s.Put(context.Background(), bytes.NewReader(data))
		})
	}
	wg.Wait()
	for i := range names {
		if errs[i] != nil || names[i] != names[0] {
			t.Fatalf("upload %d: %q %v, want %q", i, names[i], errs[i], names[0])
		}
	}
	f, err := s.Open(context.Background(), names[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, f), data) {
		t.Error("the image uploaded at once from many uploads reads back different")
	}
}

func testNotFound(t *testing.T, b media.Backend) {
	s := media.New(b, 1<<20)
	absent := strings.Repeat("ab", 16) + ".png"
	if _, err := s.Open(context.Background(), absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Open of a name never stored: %v, want ErrNotFound", err)
	}
	if _, err := s.Thumbnail(context.Background(), absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Thumbnail of a name never stored: %v, want ErrNotFound", err)
	}
}

func testBadNames(t *testing.T, b media.Backend) {
	c := newCounting(b)
	s := media.New(c, 1<<20)
	name, _ := put(t, s, Encoded(t, 300, 10, false))
	if _, err := s.Thumbnail(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	c.opens = map[string]int{}
	stem := strings.TrimSuffix(name, ".png")
	for _, bad := range []string{
		"../../etc/passwd",
		"x.png",
		"",
		strings.Repeat("a", 32) + ".svg",
		strings.ToUpper(stem) + ".png",
		"thumbs/" + name, // a thumbnail's key, not a name
		"/" + name,       // absolute
		stem + ".png/../" + name,
		name + "\x00",
	} {
		if _, err := s.Open(context.Background(), bad); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Open(%q): %v, want ErrNotFound", bad, err)
		}
		if _, err := s.Thumbnail(context.Background(), bad); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Thumbnail(%q): %v, want ErrNotFound", bad, err)
		}
	}
	if _, opens := c.totals(); opens != 0 {
		t.Errorf("names Put never makes reached the backend %d times: %v", opens, c.opens)
	}
}

func testBadUploads(t *testing.T, b media.Backend) {
	c := newCounting(b)
	s := media.New(c, 100)
	for _, tc := range []struct {
		name string
		data []byte
		want error
		says string
	}{
		{"too large", bytes.Repeat([]byte{0x89}, 101), media.ErrTooLarge, "at most 100 bytes"},
		{"empty", nil, media.ErrEmpty, ""},
		{"HTML posing as an image", []byte("<html><script>alert(1)</script>"), media.ErrNotImage, "text/html"},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), media.ErrNotImage, "JPEG, PNG, GIF and WebP"},
		{"a PDF", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), media.ErrNotImage, "application/pdf"},
	} {
		_, _, err := s.Put(context.Background(), bytes.NewReader(tc.data))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
	if writes, _ := c.totals(); writes != 0 {
		t.Errorf("refused uploads were written %d times", writes)
	}
}

func testSizeLimit(t *testing.T, b media.Backend) {
	data := Encoded(t, 16, 16, false)
	exact := media.New(b, int64(len(data)))
	name, _ := put(t, exact, data)
	short := media.New(b, int64(len(data))-1)
	if _, _, err := short.Put(context.Background(), bytes.NewReader(data)); !errors.Is(err, media.ErrTooLarge) {
		t.Errorf("an image one byte over the limit: %v, want ErrTooLarge", err)
	}
	// The limit bounds uploads, not what is stored: a store with a lower
	// limit still serves the image.
	f, err := short.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, f), data) {
		t.Error("the image reads back different")
	}
}

func decodedSize(t *testing.T, f *media.File) (string, image.Point) {
	t.Helper()
	data := readAll(t, f)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return format, image.Pt(cfg.Width, cfg.Height)
}

// A large image gets a thumbnail of at most ThumbnailSize pixels a side,
// in its aspect ratio, made once and kept; a JPEG's is a JPEG; a small
// image is its own thumbnail and nothing is written for it.
func testThumbnails(t *testing.T, b media.Backend) {
	c := newCounting(b)
	s := media.New(c, 8<<20)
	for _, tc := range []struct {
		name   string
		data   []byte
		format string
		size   image.Point
		kept   int
	}{
		{"wide PNG", Encoded(t, 480, 240, false), "png", image.Pt(240, 120), 1},
		{"tall JPEG", Encoded(t, 250, 500, true), "jpeg", image.Pt(120, 240), 1},
		{"small PNG", Encoded(t, 8, 8, false), "png", image.Pt(8, 8), 0},
		{"exactly fitting JPEG", Encoded(t, 240, 100, true), "jpeg", image.Pt(240, 100), 0},
		{"wide GIF, whose thumbnail is a PNG", GIF(t, 360, 180), "png", image.Pt(240, 120), 1},
		{"small GIF", GIF(t, 10, 10), "gif", image.Pt(10, 10), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, _ := put(t, s, tc.data)
			before, _ := c.totals()
			for range 2 { // made, then read back from the backend
				f, err := s.Thumbnail(context.Background(), name)
				if err != nil {
					t.Fatal(err)
				}
				if f.ContentType != "image/"+tc.format {
					t.Errorf("thumbnail typed %q, want image/%s", f.ContentType, tc.format)
				}
				if format, size := decodedSize(t, f); format != tc.format || size != tc.size {
					t.Errorf("thumbnail %s %v, want %s %v", format, size, tc.format, tc.size)
				}
			}
			if after, _ := c.totals(); after-before != tc.kept {
				t.Errorf("two thumbnail requests wrote %d files, want %d", after-before, tc.kept)
			}
		})
	}
}

// Another process's store over the same backend finds the thumbnail kept.
func testSharedThumbnail(t *testing.T, b media.Backend) {
	first := media.New(b, 8<<20)
	name, _ := put(t, first, Encoded(t, 300, 300, false))
	f, err := first.Thumbnail(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	made := readAll(t, f)
	c := newCounting(b)
	second := media.New(c, 8<<20)
	f, err = second.Thumbnail(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f); !bytes.Equal(got, made) {
		t.Error("the second store's thumbnail differs from the one the first made")
	}
	if writes, _ := c.totals(); writes != 0 {
		t.Errorf("the second store made the thumbnail again (%d writes)", writes)
	}
}

// hugePNG is a PNG that declares w×h pixels and holds none of them.
func hugePNG(w, h uint32) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr[:]...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	out = append(out, chunk...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
	return append(out, "\x00\x00\x00\x00IEND\xaeB`\x82"...)
}

func testNoThumbnail(t *testing.T, b media.Backend) {
	c := newCounting(b)
	s := media.New(c, 1<<20)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"100 megapixels declared", hugePNG(10000, 10000)},
		{"unreadable after the signature", []byte("\x89PNG\r\n\x1a\nnot a PNG at all")},
		{"truncated", Encoded(t, 300, 300, false)[:200]},
	} {
		name, _ := put(t, s, tc.data)
		if _, err := s.Thumbnail(context.Background(), name); !errors.Is(err, media.ErrNoThumbnail) {
			t.Errorf("%s: %v, want ErrNoThumbnail", tc.name, err)
		}
	}
	if writes, _ := c.totals(); writes != 3 {
		t.Errorf("%d files written, want only the 3 images", writes)
	}
}

func testCheck(t *testing.T, b media.Backend) {
	if err := b.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	if d := b.String(); d == "" {
		t.Error("the backend describes itself as nothing")
	}
}

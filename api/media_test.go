package api

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/media/mediatest"
	"github.com/handoff-chat/handoff/internal/media/s3store"
	"github.com/handoff-chat/handoff/internal/media/s3test"
	"github.com/handoff-chat/handoff/internal/staff"
)

const (
	s3KeyID  = "handoff-api-test"
	s3Secret = "handoff-api-test-secret-0123456789"
)

// objectStore is an S3 stand-in with one bucket, and the backend of it.
func objectStore(t *testing.T) (*s3test.Server, media.Backend) {
	t.Helper()
	srv := s3test.New(t, s3test.Options{AccessKeyID: s3KeyID, SecretAccessKey: s3Secret, Buckets: []string{"media"}})
	return srv, backendOf(t, srv)
}

// backendOf is a backend of the stand-in's bucket, as a process configured
// for it builds one.
func backendOf(t *testing.T, srv *s3test.Server) media.Backend {
	t.Helper()
	backend, err := s3store.New(s3store.Options{
		Endpoint: srv.URL(), Region: "us-east-1", Bucket: "media", PathStyle: true,
		AccessKeyID: s3KeyID, SecretAccessKey: s3Secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

// mediaAPI serves store as the media of an API at https://chat.example.com.
func mediaAPI(t *testing.T, store *media.Store) *testAPI {
	t.Helper()
	directory, err := staff.NewDirectory(nil, []staff.Token{
		{Secret: testStaffToken, Member: staff.Member{Name: "alice", Role: staff.Agent}},
		{Secret: "auditor-token-0123", Member: staff.Member{Name: "audrey", Role: staff.Auditor}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, closing := apiWith(t, nil, func(d *Deps) {
		d.Media, d.Staff, d.PublicURL = store, directory, "https://chat.example.com"
	})
	close(closing)
	return a
}

func (a *testAPI) upload(token string, body []byte) testResponse {
	req := httptest.NewRequest("POST", "/api/v1/media", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "image/png")
	return a.serve(req)
}

// uploaded uploads body and returns the path the image is served at.
func (a *testAPI) uploaded(t *testing.T, body []byte) string {
	t.Helper()
	r := a.upload(testStaffToken, body)
	url, _ := r.body["url"].(string)
	path, ok := strings.CutPrefix(url, "https://chat.example.com/media/")
	if r.status != http.StatusCreated || !ok {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	return "/media/" + path
}

func (a *testAPI) get(path string) testResponse {
	return a.serve(httptest.NewRequest("GET", path, nil))
}

// The same checks and answers whichever backend keeps the images.
func TestUploadedImagesAreCheckedStoredAndServed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend func(t *testing.T) media.Backend
	}{
		{"folder", func(t *testing.T) media.Backend {
			folder, err := media.NewFolder(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return folder
		}},
		{"object store", func(t *testing.T) media.Backend { _, b := objectStore(t); return b }},
	} {
		t.Run(tc.name, func(t *testing.T) { testUploads(t, tc.backend(t)) })
	}
}

func testUploads(t *testing.T, backend media.Backend) {
	a := mediaAPI(t, media.New(backend, 4096))
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	r := a.upload(testStaffToken, pngData.Bytes())
	url, _ := r.body["url"].(string)
	if r.status != http.StatusCreated || !strings.HasPrefix(url, "https://chat.example.com/media/") || !strings.HasSuffix(url, ".png") ||
		r.body["content_type"] != "image/png" || r.body["type"] != "image" {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	path := strings.TrimPrefix(url, "https://chat.example.com")
	got := a.get(path)
	if got.status != http.StatusOK || got.raw != pngData.String() || got.header.Get("Content-Type") != "image/png" ||
		got.header.Get("X-Content-Type-Options") != "nosniff" || got.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET the image: %d %v", got.status, got.header)
	}
	ranged := httptest.NewRequest("GET", path, nil)
	ranged.Header.Set("Range", "bytes=1-3")
	if r := a.serve(ranged); r.status != http.StatusPartialContent || r.raw != pngData.String()[1:4] {
		t.Errorf("GET bytes 1-3: %d %q", r.status, r.raw)
	}
	for _, tc := range []struct {
		name, token string
		body        []byte
		status      int
		says        string
	}{
		{"not an image", testStaffToken, []byte("<svg onload=alert(1)>"), http.StatusUnsupportedMediaType, "JPEG, PNG, GIF and WebP"},
		{"too large", testStaffToken, append(pngData.Bytes(), make([]byte, 4096)...), http.StatusRequestEntityTooLarge, "http.max_upload_bytes"},
		{"empty", testStaffToken, nil, http.StatusBadRequest, "empty"},
		{"an auditor", "auditor-token-0123", pngData.Bytes(), http.StatusForbidden, "auditor"},
	} {
		r := a.upload(tc.token, tc.body)
		if r.status != tc.status || !strings.Contains(r.errorText(), tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, r.status, r.raw, tc.status, tc.says)
		}
	}
	// A thumbnail of a small image is the image; a large GIF's is a PNG;
	// another size is refused.
	if thumb := a.get(path + "?size=thumb"); thumb.status != http.StatusOK || thumb.header.Get("Content-Type") != "image/png" || thumb.raw != pngData.String() {
		t.Errorf("GET the thumbnail: %d %v", thumb.status, thumb.header)
	}
	gifPath := a.uploaded(t, mediatest.GIF(t, 480, 120))
	thumb := a.get(gifPath + "?size=thumb")
	if cfg, format, err := image.DecodeConfig(strings.NewReader(thumb.raw)); thumb.status != http.StatusOK || thumb.header.Get("Content-Type") != "image/png" ||
		err != nil || format != "png" || cfg.Width != 240 || cfg.Height != 60 {
		t.Errorf("GET the thumbnail of a 480×120 GIF: %d %v %s %v %v", thumb.status, thumb.header, format, cfg, err)
	}
	if r := a.get(path + "?size=huge"); r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), "size") {
		t.Errorf("GET size=huge: %d %s, want 400 naming size", r.status, r.raw)
	}
	if r := a.get("/media/..%2f..%2fetc%2fpasswd"); r.status != http.StatusNotFound {
		t.Errorf("a path outside the store: %d %s, want 404", r.status, r.raw)
	}
	for _, p := range []string{"/media/" + strings.Repeat("0", 32) + ".png", "/media/thumbs", "/media/" + strings.TrimPrefix(path, "/media/") + "x"} {
		if r := a.get(p); r.status != http.StatusNotFound || !strings.Contains(r.errorText(), "no such image") {
			t.Errorf("GET %s: %d %s, want 404 no such image", p, r.status, r.raw)
		}
	}
}

// Two api processes behind one address share the bucket: an image uploaded
// through one is served by the other, and its thumbnail, made by one, is
// kept for both.
func TestTwoAPIProcessesShareTheObjectStore(t *testing.T) {
	srv, backend := objectStore(t)
	first := mediaAPI(t, media.New(backend, 1<<20))
	second := mediaAPI(t, media.New(backendOf(t, srv), 1<<20))
	data := mediatest.Encoded(t, 600, 300, false)
	path := first.uploaded(t, data)
	if r := second.get(path); r.status != http.StatusOK || r.raw != string(data) {
		t.Fatalf("the image uploaded through the first, at the second: %d", r.status)
	}
	thumb := second.get(path + "?size=thumb")
	if thumb.status != http.StatusOK || first.get(path+"?size=thumb").raw != thumb.raw {
		t.Errorf("the thumbnail differs between the processes")
	}
	name := strings.TrimPrefix(path, "/media/")
	if n := srv.Count("PUT", "thumbs/"+name, http.StatusOK); n != 1 {
		t.Errorf("the thumbnail was PUT %d times, want once", n)
	}
}

// A store that does not answer makes uploads and images 503 with a message
// of our own; what the store said is logged, never sent.
func TestObjectStoreDownIs503WithoutInternalText(t *testing.T) {
	srv, backend := objectStore(t)
	a := mediaAPI(t, media.New(backend, 1<<20))
	path := a.uploaded(t, mediatest.Encoded(t, 4, 4, false))
	srv.Close()
	const message = "the image store is unavailable; try again shortly"
	for _, r := range []testResponse{
		a.upload(testStaffToken, mediatest.Encoded(t, 5, 5, false)),
		a.get(path),
		a.get(path + "?size=thumb"),
	} {
		if r.status != http.StatusServiceUnavailable || r.errorText() != message || strings.Contains(r.raw, "127.0.0.1") {
			t.Errorf("%d %s, want 503 %q", r.status, r.raw, message)
		}
	}
	if log := a.log.String(); !strings.Contains(log, "image store unavailable") || !strings.Contains(log, srv.URL()) {
		t.Errorf("the cause is not logged:\n%s", log)
	}
}

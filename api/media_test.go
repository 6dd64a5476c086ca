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
	"github.com/handoff-chat/handoff/internal/staff"
)

func TestUploadedImagesAreCheckedStoredAndServed(t *testing.T) {
	store, err := media.New(t.TempDir(), 2048)
	if err != nil {
		t.Fatal(err)
	}
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
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	upload := func(token string, body []byte) testResponse {
		req := httptest.NewRequest("POST", "/api/v1/media", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "image/png")
		return a.serve(req)
	}
	r := upload(testStaffToken, pngData.Bytes())
	url, _ := r.body["url"].(string)
	if r.status != http.StatusCreated || !strings.HasPrefix(url, "https://chat.example.com/media/") || !strings.HasSuffix(url, ".png") {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	got := a.serve(httptest.NewRequest("GET", strings.TrimPrefix(url, "https://chat.example.com"), nil))
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET the image: %d %v", got.status, got.header)
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
		r := upload(tc.token, tc.body)
		if r.status != tc.status || !strings.Contains(r.errorText(), tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, r.status, r.raw, tc.status, tc.says)
		}
	}
	// A thumbnail of a small image is the image; another size is refused.
	thumb := a.serve(httptest.NewRequest("GET", strings.TrimPrefix(url, "https://chat.example.com")+"?size=thumb", nil))
	if thumb.status != http.StatusOK || thumb.header.Get("Content-Type") != "image/png" {
		t.Errorf("GET the thumbnail: %d %v", thumb.status, thumb.header)
	}
	if r := a.serve(httptest.NewRequest("GET", strings.TrimPrefix(url, "https://chat.example.com")+"?size=huge", nil)); r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), "size") {
		t.Errorf("GET size=huge: %d %s, want 400 naming size", r.status, r.raw)
	}
	if r := a.serve(httptest.NewRequest("GET", "/media/..%2f..%2fetc%2fpasswd", nil)); r.status != http.StatusNotFound {
		t.Errorf("a path outside the folder: %d", r.status)
	}
}

package app_test

import (
	"bytes"
	"context"
	"image"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/media/mediatest"
	"github.com/handoff-chat/handoff/internal/media/s3test"
)

const (
	storeKeyID  = "handoff-e2e-key"
	storeSecret = "handoff-e2e-secret-0123456789"
)

// useObjectStore configures cfg to keep images in the stand-in's bucket.
func useObjectStore(cfg *config.Config, store *s3test.Server) {
	cfg.Media.Backend = config.MediaS3
	cfg.Media.S3 = config.ObjectStore{
		Endpoint: store.URL(), Region: "us-east-1", Bucket: "handoff-media", Prefix: "e2e/",
		AccessKeyID: storeKeyID, SecretAccessKey: storeSecret, UsePathStyle: true,
	}
}

// An all-in-one process and a separate api process keep images in one
// object store: an image uploaded through either is served by both, with
// one thumbnail made for both, and neither keeps a media folder. A wrong
// secret stops a process at start-up naming the keys; a store that goes
// down makes uploads 503.
func TestImagesAreSharedThroughTheObjectStore(t *testing.T) {
	store := s3test.New(t, s3test.Options{AccessKeyID: storeKeyID, SecretAccessKey: storeSecret, Buckets: []string{"handoff-media"}})
	ownerDir := t.TempDir()
	cfg := testConfig(ownerDir)
	cfg.Search.Bleve.ServeAddr = "127.0.0.1:0"
	cfg.Search.Remote.Token = shareToken
	useObjectStore(cfg, store)
	owner := startApp(t, cfg, app.RoleAll)

	secondDir := t.TempDir()
	apiConfig := func() *config.Config {
		c := testConfig(secondDir)
		c.Temporal.Address = owner.FrontendAddr()
		c.Search.Backend = config.SearchRemote
		c.Search.Remote = config.RemoteIndex{URL: "http://" + owner.SearchShareAddr(), Token: shareToken}
		c.Auth.SessionSecret = "a-session-secret-both-processes-share"
		c.WebChat.Secret = "a-web-chat-secret-for-the-second-process"
		useObjectStore(c, store)
		return c
	}
	second := startApp(t, apiConfig(), app.RoleAPI)
	viaOwner, viaSecond := newAPI(t, owner), newAPI(t, second)

	data := mediatest.Encoded(t, 600, 300, false)
	uploaded := viaSecond.expect(http.StatusCreated, "POST", "/api/v1/media", data, true)
	path := strings.TrimPrefix(uploaded["url"].(string), cfg.HTTP.PublicURL)
	name := strings.TrimPrefix(path, "/media/")
	if got := viaOwner.do("GET", path, nil, false); got.status != http.StatusOK || !bytes.Equal(got.body, data) {
		t.Fatalf("the image uploaded through the api process, at the all-in-one: %d", got.status)
	}
	thumb := viaOwner.do("GET", path+"?size=thumb", nil, false)
	cfgThumb, _, err := image.DecodeConfig(bytes.NewReader(thumb.body))
	if thumb.status != http.StatusOK || err != nil || cfgThumb.Width != 240 || cfgThumb.Height != 120 {
		t.Fatalf("the thumbnail at the all-in-one: %d %v %v", thumb.status, cfgThumb, err)
	}
	if again := viaSecond.do("GET", path+"?size=thumb", nil, false); !bytes.Equal(again.body, thumb.body) {
		t.Error("the api process serves another thumbnail than the all-in-one made")
	}
	if keys := store.Keys("handoff-media"); strings.Join(keys, " ") != "e2e/"+name+" e2e/thumbs/"+name {
		t.Errorf("the bucket holds %v, want the image and its thumbnail under e2e/", keys)
	}
	if n := store.Count("PUT", "e2e/thumbs/"+name, http.StatusOK); n != 1 {
		t.Errorf("the thumbnail was stored %d times, want once", n)
	}
	// The same image through the other process is the same URL, not stored again.
	if again := viaOwner.expect(http.StatusCreated, "POST", "/api/v1/media", data, true); again["url"] != uploaded["url"] {
		t.Errorf("the same image through the all-in-one: %v, want %v", again["url"], uploaded["url"])
	}
	if n := store.Count("PUT", "e2e/"+name, http.StatusOK); n != 1 {
		t.Errorf("the image uploaded through both processes was stored %d times, want once", n)
	}
	for _, dir := range []string{ownerDir, secondDir} {
		if _, err := os.Stat(filepath.Join(dir, "media")); err == nil {
			t.Errorf("%s has a media folder", dir)
		}
	}

	wrong := apiConfig()
	wrong.Media.S3.SecretAccessKey = "not-the-store-secret"
	if a, err := app.Start(context.Background(), wrong, app.RoleAPI, testLogger()); err == nil {
		a.Stop()
		t.Error("an api process with a wrong secret started")
	} else if !strings.Contains(err.Error(), "config keys media.s3.access_key_id and media.s3.secret_access_key") || strings.Contains(err.Error(), "not-the-store-secret") {
		t.Errorf("start-up with a wrong secret: %v, want the keys named and the secret untold", err)
	}

	store.Close()
	r := viaSecond.do("POST", "/api/v1/media", mediatest.Encoded(t, 5, 5, false), true)
	if r.status != http.StatusServiceUnavailable || r.errorMessage(t) != "the image store is unavailable; try again shortly" {
		t.Errorf("an upload while the store is down: %d %s", r.status, r.body)
	}
}

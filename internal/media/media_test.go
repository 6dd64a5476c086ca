package media_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/media/mediatest"
)

func TestFolderConformance(t *testing.T) {
	mediatest.Run(t, func(t *testing.T) media.Backend {
		f, err := media.NewFolder(filepath.Join(t.TempDir(), "media"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}

// The folder holds each image under its name and each thumbnail in thumbs,
// and nothing else: no temporary file is left behind.
func TestFolderLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	f, err := media.NewFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := media.New(f, 8<<20)
	ctx := context.Background()
	name, _, err := s.Put(ctx, bytes.NewReader(mediatest.Encoded(t, 600, 300, true)))
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := s.Thumbnail(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	thumb.Close()
	var files []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{name, "thumbs/" + name}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("the folder holds %v, want %v", files, want)
	}
	if got := f.String(); !strings.Contains(got, dir) {
		t.Errorf("String() = %q, want it to name %s", got, dir)
	}
}

// A key that would leave the folder is refused by the backend itself.
func TestFolderKeepsKeysInside(t *testing.T) {
	dir := t.TempDir()
	f, err := media.NewFolder(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"../escaped.png", "/etc/passwd", "thumbs/../../escaped.png"} {
		if err := f.Write(ctx, key, []byte("x"), "image/png"); err == nil || !strings.Contains(err.Error(), "outside the folder") {
			t.Errorf("Write(%q): %v, want it refused as outside the folder", key, err)
		}
		if _, err := f.Open(ctx, key); err == nil {
			t.Errorf("Open(%q) succeeded", key)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped.png")); err == nil {
		t.Error("a file was written outside the folder")
	}
}

// A folder that disappeared fails Check with its path.
func TestFolderCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	f, err := media.NewFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(context.Background()); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Check of a removed folder: %v, want an error naming %s", err, dir)
	}
}

package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Folder is the backend that keeps the files in a folder of this machine
// (<data_dir>/media), thumbnails in its thumbs folder.
type Folder struct {
	dir string
}

// NewFolder returns the folder dir, created if missing.
func NewFolder(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media: create %s: %w", dir, err)
	}
	return &Folder{dir: dir}, nil
}

// path is the file of key, which must stay inside the folder.
func (f *Folder) path(key string) (string, error) {
	if !filepath.IsLocal(key) {
		return "", fmt.Errorf("media: key %q is outside the folder", key)
	}
	return filepath.Join(f.dir, filepath.FromSlash(key)), nil
}

// Exists implements Backend.
func (f *Folder) Exists(_ context.Context, key string) (bool, error) {
	path, err := f.path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// Write implements Backend: the data goes to a temporary file, synced, then
// renamed over the key's file, so a reader sees the whole file or none.
func (f *Folder) Write(_ context.Context, key string, data []byte, _ string) error {
	path, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Open implements Backend.
func (f *Folder) Open(_ context.Context, key string) (*File, error) {
	path, err := f.path(key)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil {
		_ = file.Close()
		return nil, err
	}
	return &File{ReadSeekCloser: file, Size: info.Size(), ModTime: info.ModTime()}, nil
}

// Check implements Backend: the folder is there.
func (f *Folder) Check(context.Context) error {
	info, err := os.Stat(f.dir)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("media: %s is not a folder", f.dir)
	}
	return nil
}

// String implements Backend.
func (f *Folder) String() string { return "folder " + f.dir }

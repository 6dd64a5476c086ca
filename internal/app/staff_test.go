package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-chat/handoff/internal/config"
)

// The generated admin keeps one password hash across starts, so a restart
// does not end the dashboard sessions (which name a digest of the hash).
func TestGeneratedAdminKeepsItsHashAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	directory := func() string {
		a := &App{cfg: &config.Config{DataDir: dir}, logger: slog.New(slog.DiscardHandler)}
		d, err := a.staffDirectory(RoleAll)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := d.User("admin")
		if !ok {
			t.Fatal("no generated admin user")
		}
		return m.Credential()
	}
	first, second := directory(), directory()
	if first != second {
		t.Errorf("the admin's credential changed across starts: %s, then %s", first, second)
	}
	password, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil || len(password) < 10 {
		t.Fatalf("generated password: %q %v", password, err)
	}
	if err := os.WriteFile(filepath.Join(dir, AdminPasswordFile), []byte("a new password chosen by hand\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if third := directory(); third == first {
		t.Error("a new password in the file kept the old hash")
	}
}

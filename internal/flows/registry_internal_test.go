package flows

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const watchedFlow = `languages: [en]
start: a
blocks:
  - id: a
    text: {en: "first"}
`

// Watch acts on what two checks in a row found, so a file caught while it is
// being written is neither loaded nor reported.
func TestCheckWaitsForTheFileToSettle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := func(r *Registry) string {
		t.Helper()
		m, err := r.Current().Render("a", "en")
		if err != nil {
			t.Fatal(err)
		}
		return m.Text
	}
	write(watchedFlow)
	r, err := NewRegistry(path, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.check()

	// Half written: the beginning of a new version, then the whole of it.
	second := strings.Replace(watchedFlow, "first", "second", 1)
	write(second[:len(second)-20])
	r.check()
	write(second)
	r.check()
	if st := r.Status(); st.LastError != "" || text(r) != "first" {
		t.Fatalf("after one check of each version: status %+v, text %q; want nothing changed yet", st, text(r))
	}
	r.check()
	if st := r.Status(); st.LastError != "" || text(r) != "second" {
		t.Fatalf("after two checks of the new version: status %+v, text %q; want it loaded", st, text(r))
	}

	// A broken edit that stays is reported once, then not parsed again.
	write(strings.Replace(second, "start: a", "start: b", 1))
	r.check()
	r.check()
	st := r.Status()
	if !strings.Contains(st.LastError, `start names block "b"`) || text(r) != "second" {
		t.Fatalf("broken edit: status %+v, text %q", st, text(r))
	}
	r.check()
	if again := r.Status(); again.LastErrorAt != st.LastErrorAt {
		t.Errorf("the same broken content was reported again at %v", again.LastErrorAt)
	}

	// A file that is gone for good is reported too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	r.check()
	r.check()
	if st := r.Status(); !strings.Contains(st.LastError, "read flows file") {
		t.Errorf("missing file: status %+v", st)
	}

	// Back to the content in force: the error is cleared.
	write(second)
	r.check()
	r.check()
	if st := r.Status(); st.LastError != "" || !st.LastErrorAt.IsZero() {
		t.Errorf("after restoring the file: status %+v", st)
	}
}

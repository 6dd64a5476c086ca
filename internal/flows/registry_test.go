package flows_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/flows"
)

// flowFile is a valid flow whose delivery text says when parcels arrive.
func flowFile(arrival string) string {
	return `languages: [bg, en]
start: menu
blocks:
  - id: menu
    text: {bg: "Меню", en: "Menu"}
    buttons:
      - title: {bg: "Доставка", en: "Delivery"}
        goto: delivery
  - id: delivery
    text: {bg: "Доставка ` + arrival + `", en: "Delivery ` + arrival + `"}
`
}

// brokenFile does not load: its button leads to a block that does not exist.
var brokenFile = strings.Replace(flowFile("x"), "goto: delivery", "goto: nowhere", 1)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// deliveryText is what the registry's flow in force says about delivery.
func deliveryText(t *testing.T, reg *flows.Registry) string {
	t.Helper()
	m, err := reg.Current().Render("delivery", "en")
	if err != nil {
		t.Fatal(err)
	}
	return m.Text
}

// eventually waits until ok holds, failing after a generous deadline.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewRegistryNeedsAFlowThatLoads(t *testing.T) {
	dir := t.TempDir()
	if _, err := flows.NewRegistry(filepath.Join(dir, "missing.yaml"), testLogger(t)); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v, want an error naming it", err)
	}
	path := filepath.Join(dir, "broken.yaml")
	writeFile(t, path, brokenFile)
	if _, err := flows.NewRegistry(path, testLogger(t)); err == nil || !strings.Contains(err.Error(), path+":8:") {
		t.Errorf("broken file: %v, want the file and line of the problem", err)
	}
}

func TestRegistryReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	writeFile(t, path, flowFile("in 2 days"))
	reg, err := flows.NewRegistry(path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	first := reg.Status()
	if first.Path != path || first.Blocks != 2 || first.LoadedAt.IsZero() || len(first.SHA256) != 64 || first.LastError != "" {
		t.Errorf("status after the first load: %+v", first)
	}

	// A changed file is picked up.
	writeFile(t, path, flowFile("in 3 days"))
	if err := reg.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := deliveryText(t, reg); got != "Delivery in 3 days" {
		t.Errorf("after reload: %q", got)
	}
	good := reg.Status()
	if good.SHA256 == first.SHA256 || good.LoadedAt.Before(first.LoadedAt) {
		t.Errorf("status after a reload %+v, first %+v", good, first)
	}

	// A broken edit keeps the flow in force and says why.
	writeFile(t, path, brokenFile)
	err = reg.Reload()
	if err == nil || !strings.Contains(err.Error(), path+":8:") || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("broken edit: error %v, want the file, line and problem", err)
	}
	if got := deliveryText(t, reg); got != "Delivery in 3 days" {
		t.Errorf("a broken edit replaced the flow in force: %q", got)
	}
	st := reg.Status()
	if err != nil && st.LastError != err.Error() || st.LastErrorAt.IsZero() {
		t.Errorf("status after a broken edit: %+v", st)
	}
	if st.SHA256 != good.SHA256 || st.LoadedAt != good.LoadedAt || st.Blocks != good.Blocks {
		t.Errorf("status after a broken edit %+v no longer describes the flow in force %+v", st, good)
	}

	// A file that disappears is reported the same way.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := reg.Reload(); err == nil || !strings.Contains(reg.Status().LastError, "flows.yaml") {
		t.Errorf("missing file: error %v, status %+v", err, reg.Status())
	}

	// Fixing the file clears the error.
	writeFile(t, path, flowFile("tomorrow"))
	if err := reg.Reload(); err != nil {
		t.Fatal(err)
	}
	if st := reg.Status(); st.LastError != "" || !st.LastErrorAt.IsZero() || deliveryText(t, reg) != "Delivery tomorrow" {
		t.Errorf("after fixing the file: status %+v, text %q", st, deliveryText(t, reg))
	}
}

func TestRegistryWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	writeFile(t, path, flowFile("in 2 days"))
	reg, err := flows.NewRegistry(path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		reg.Watch(ctx, time.Millisecond)
	}()
	defer func() {
		cancel()
		<-done
	}()

	writeFile(t, path, flowFile("in 4 days"))
	eventually(t, "Watch loads the changed file", func() bool { return deliveryText(t, reg) == "Delivery in 4 days" })

	writeFile(t, path, brokenFile)
	eventually(t, "Watch reports the broken edit", func() bool { return strings.Contains(reg.Status().LastError, `"nowhere"`) })
	if got := deliveryText(t, reg); got != "Delivery in 4 days" {
		t.Errorf("a broken edit replaced the flow in force: %q", got)
	}

	// Putting the file back as it was clears the error.
	writeFile(t, path, flowFile("in 4 days"))
	eventually(t, "Watch clears the error", func() bool { return reg.Status().LastError == "" })
}

// A Kubernetes ConfigMap volume updates a file by swapping the symlink it is
// read through; the file's own modification time does not change.
func TestRegistryWatchFollowsASymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"v1": flowFile("in 2 days"), "v2": flowFile("in 5 days")} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name, "flows.yaml"), content)
	}
	if err := os.Symlink("v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flows.yaml")
	if err := os.Symlink(filepath.Join("..data", "flows.yaml"), path); err != nil {
		t.Fatal(err)
	}
	reg, err := flows.NewRegistry(path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go reg.Watch(ctx, time.Millisecond)

	if err := os.Symlink("v2", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Watch loads the swapped file", func() bool { return deliveryText(t, reg) == "Delivery in 5 days" })
}

// Readers see a whole flow while the file is reloaded (run with -race).
func TestRegistryConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	writeFile(t, path, flowFile("in 2 days"))
	reg, err := flows.NewRegistry(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if _, err := reg.Current().Render("delivery", "bg"); err != nil {
					t.Error(err)
					return
				}
				_ = reg.Status()
			}
		})
	}
	for i := range 50 {
		content := flowFile("in 2 days")
		if i%2 == 1 {
			content = flowFile("in 3 days")
		}
		writeFile(t, path, content)
		if err := reg.Reload(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

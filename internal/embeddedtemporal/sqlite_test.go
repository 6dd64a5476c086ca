package embeddedtemporal

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

// connSettings are the settings of one connection the SQLite driver opened,
// read back from SQLite on that connection.
type connSettings struct {
	journalMode string
	synchronous int64
	busyTimeout int64
}

// opened records the settings of every connection opened in this process,
// by database file. The driver calls the hook after the plugin's pragmas ran.
var opened = struct {
	sync.Mutex
	byFile map[string][]connSettings
}{byFile: map[string][]connSettings{}}

func init() {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		file, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		var s connSettings
		for name, dest := range map[string]any{
			"journal_mode": &s.journalMode, "synchronous": &s.synchronous, "busy_timeout": &s.busyTimeout,
		} {
			if err := readPragma(conn, name, dest); err != nil {
				return fmt.Errorf("read back %s of %s: %w", name, file, err)
			}
		}
		opened.Lock()
		opened.byFile[file] = append(opened.byFile[file], s)
		opened.Unlock()
		return nil
	})
}

func readPragma(conn sqlite.ExecQuerierContext, name string, dest any) error {
	rows, err := conn.QueryContext(context.Background(), "PRAGMA "+name, nil)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	row := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(row); err != nil {
		return err
	}
	switch d := dest.(type) {
	case *string:
		v, ok := row[0].(string)
		if !ok {
			return fmt.Errorf("got %T %v, want text", row[0], row[0])
		}
		*d = v
	case *int64:
		v, ok := row[0].(int64)
		if !ok {
			return fmt.Errorf("got %T %v, want an integer", row[0], row[0])
		}
		*d = v
	}
	return nil
}

// firstRunEnv names the database file a re-executed test binary creates,
// as the first of two runs of handoff.
const firstRunEnv = "HANDOFF_TEST_SQLITE_FIRST_RUN"

// TestDatabaseSettings creates a database in one process and starts the
// server on it again in this one, as a restart does; after each start it
// checks the settings of every connection the server opened and the journal
// mode recorded in the file. (Two processes, because the plugin keeps its
// connections for the life of the process.)
func TestDatabaseSettings(t *testing.T) {
	if file := os.Getenv(firstRunEnv); file != "" {
		checkDatabaseSettings(t, file, false)
		return
	}
	file := filepath.Join(t.TempDir(), "temporal.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDatabaseSettings$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), firstRunEnv+"="+file)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("first run on %s: %v\n%s", file, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDatabaseSettings") {
		t.Fatalf("the first run's check did not run:\n%s", out)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the first run left no database: %v", err)
	}
	checkWALHeader(t, file) // before this process sets any pragma
	checkDatabaseSettings(t, file, false)
}

// An admin who chose speed over surviving a power cut gets synchronous =
// NORMAL on every connection, still in WAL mode.
func TestSynchronousNormalWhenAsked(t *testing.T) {
	checkDatabaseSettings(t, filepath.Join(t.TempDir(), "temporal.db"), true)
}

func checkDatabaseSettings(t *testing.T, file string, syncAtCheckpointsOnly bool) {
	t.Helper()
	srv, err := Start(Options{
		DatabaseFile:          file,
		Namespace:             "settings",
		FrontendAddr:          "127.0.0.1:0",
		SyncAtCheckpointsOnly: syncAtCheckpointsOnly,
		Logger:                slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	opened.Lock()
	conns := opened.byFile[file]
	opened.Unlock()
	if len(conns) == 0 {
		t.Fatalf("the server opened no connection to %s", file)
	}
	want := connSettings{journalMode: "wal", synchronous: 2 /* FULL */, busyTimeout: 5000}
	if syncAtCheckpointsOnly {
		want.synchronous = 1 // NORMAL
	}
	for i, got := range conns {
		if got != want {
			t.Errorf("connection %d of %d to %s: got %+v, want %+v", i+1, len(conns), file, got, want)
		}
	}

	checkWALHeader(t, file)
	t.Logf("%d connection(s) to %s with %+v", len(conns), file, conns[0])
}

// checkWALHeader checks the journal mode recorded in the file: bytes 18 and
// 19 of the header are the file format's write and read versions, 1 for a
// rollback journal and 2 for write-ahead logging. Every connection, with or
// without the pragma, finds a file marked 2/2 in WAL mode.
func checkWALHeader(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	header := make([]byte, 100)
	if _, err := io.ReadFull(f, header); err != nil {
		t.Fatalf("read the header of %s: %v", file, err)
	}
	if header[18] != 2 || header[19] != 2 {
		t.Errorf("%s header: format versions %d/%d, want 2/2 (WAL)", file, header[18], header[19])
	}
}

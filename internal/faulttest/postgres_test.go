package faulttest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/bench/child"
)

// postgres is a private PostgreSQL cluster in a temporary directory: its
// superuser (the one Temporal connects as) has a random password, and it
// listens on 127.0.0.1 only, on a free port.
type postgres struct {
	bin, dir       string
	port           int
	user, password string
	// runAs runs the server's programs as the postgres user when this
	// process is root (PostgreSQL refuses to run as root).
	runAs []string
}

// pgBinDir finds the server's programs: pg_config's bindir, else the
// newest Debian install.
func pgBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if path, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(path), nil
	}
	return "", errors.New("PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql (scripts/fault-test does)")
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// startPostgres creates and starts the cluster; the test's cleanup stops it
// and removes its directory.
func startPostgres(t *testing.T, r *recorder) *postgres {
	bin, err := pgBinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "handoff-fault-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg := &postgres{bin: bin, dir: dir, user: "temporal", password: randomHex(16)}
	t.Cleanup(func() { pg.stop(t) })
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			if out, err := exec.Command("useradd", "--system", "--home-dir", "/var/lib/postgresql", "--shell", "/bin/bash", "postgres").CombinedOutput(); err != nil {
				t.Fatalf("create the postgres user: %v\n%s", err, out)
			}
		}
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", dir, err, out)
		}
		pg.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(pg.password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	pg.run(t, "initdb", "--pgdata", data, "--username", pg.user, "--pwfile", pwfile,
		"--auth-local", "peer", "--auth-host", "scram-sha-256", "--encoding", "UTF8", "--locale", "C")
	_ = os.Remove(pwfile)
	for attempt := 1; ; attempt++ {
		addr, err := child.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		_, portText, _ := strings.Cut(addr, ":")
		pg.port, _ = strconv.Atoi(portText)
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", pg.port, dir)
		out, err := pg.output("pg_ctl", "start", "--pgdata", data, "--wait", "--timeout", "60", "--log", filepath.Join(dir, "postgres.log"), "-o", opts)
		if err == nil {
			break
		}
		if attempt == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			t.Fatalf("start PostgreSQL: %v\n%s\n%s", err, out, log)
		}
	}
	r.say("PostgreSQL %s started on 127.0.0.1:%d (%s)", filepath.Base(filepath.Dir(bin)), pg.port, data)
	return pg
}

func (pg *postgres) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string(nil), pg.runAs...), filepath.Join(pg.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = pg.dir
	return cmd
}

func (pg *postgres) output(name string, args ...string) ([]byte, error) {
	return pg.command(name, args...).CombinedOutput()
}

func (pg *postgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := pg.output(name, args...); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (pg *postgres) stop(t *testing.T) {
	data := filepath.Join(pg.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if out, err := pg.output("pg_ctl", "stop", "--pgdata", data, "--mode", "fast", "--wait"); err != nil {
			t.Errorf("stop PostgreSQL: %v\n%s", err, out)
		}
	}
	if t.Failed() && os.Getenv("HANDOFF_FAULT_KEEP") != "" {
		t.Logf("PostgreSQL's directory kept: %s", pg.dir)
		return
	}
	if err := os.RemoveAll(pg.dir); err != nil {
		t.Errorf("remove PostgreSQL's directory: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolate gives the test an empty working directory and blanks the HANDOFF_
// variables that could make run pick up another configuration. Load ignores
// empty variables.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "HANDOFF_") {
			t.Setenv(name, "")
		}
	}
	t.Setenv("HANDOFF_CONFIG", "")
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// TestRunFailsBeforeStarting checks that bad arguments and invalid
// configuration stop run before anything starts. Every case would otherwise
// start an embedded Temporal server in data_dir, so an absent data_dir shows
// nothing started.
func TestRunFailsBeforeStarting(t *testing.T) {
	tests := []struct {
		name string
		file string // config file content, written to handoff.yaml; "" for none
		env  map[string]string
		args func(configPath string) []string
		want []string // strings the error must contain
	}{
		{
			name: "unknown role",
			args: func(string) []string { return []string{"bogus-role"} },
			want: []string{`"bogus-role"`, "role"},
		},
		{
			name: "unknown role after a valid config",
			file: "http:\n  addr: \":0\"\n",
			args: func(p string) []string { return []string{"--config", p, "bogus-role"} },
			want: []string{`"bogus-role"`},
		},
		{
			name: "too many arguments",
			args: func(string) []string { return []string{"worker", "api"} },
			want: []string{"too many arguments"},
		},
		{
			name: "unknown flag",
			args: func(string) []string { return []string{"--confg", "x.yaml"} },
			want: []string{"confg"},
		},
		{
			name: "missing config file",
			args: func(string) []string { return []string{"--config", "does-not-exist.yaml"} },
			want: []string{"does-not-exist.yaml"},
		},
		{
			name: "invalid inactivity timeout",
			file: "livechat:\n  inactivity_timeout: 30s\n",
			args: func(p string) []string { return []string{"--config", p} },
			want: []string{"livechat.inactivity_timeout"},
		},
		{
			name: "invalid config with the worker role",
			file: "temporal:\n  address: temporal.example.com\n",
			args: func(p string) []string { return []string{"--config", p, "worker"} },
			want: []string{"temporal.address"},
		},
		{
			name: "unknown key",
			file: "htpp:\n  addr: \":8080\"\n",
			args: func(p string) []string { return []string{"--config", p} },
			want: []string{"htpp.addr"},
		},
		{
			name: "several problems",
			file: "http:\n  addr: nonsense\nlog:\n  level: loud\n",
			args: func(p string) []string { return []string{"--config", p} },
			want: []string{"http.addr", "log.level"},
		},
		{
			name: "invalid environment override",
			env:  map[string]string{"HANDOFF_NOTIFICATIONS_PHONE": "0888123"},
			args: func(string) []string { return nil },
			want: []string{"notifications.phone"},
		},
		{
			name: "reindex of an unknown part",
			args: func(string) []string { return []string{"reindex", "--only", "messages,sms"} },
			want: []string{"--only", `"sms"`},
		},
		{
			name: "reindex of the templates",
			args: func(string) []string { return []string{"reindex", "--only", "templates"} },
			want: []string{"TemplateLibrary", "messages"},
		},
		{
			name: "reindex with an argument",
			args: func(string) []string { return []string{"reindex", "everything"} },
			want: []string{"no arguments", "everything"},
		},
		{
			name: "reindex with no concurrency",
			args: func(string) []string { return []string{"reindex", "--concurrency", "0"} },
			want: []string{"--concurrency"},
		},
		{
			name: "reindex with an invalid config",
			file: "livechat:\n  inactivity_timeout: 30s\n",
			args: func(p string) []string { return []string{"reindex", "--config", p} },
			want: []string{"livechat.inactivity_timeout"},
		},
		{
			name: "reindex after the config flag",
			file: "livechat:\n  inactivity_timeout: 30s\n",
			args: func(p string) []string { return []string{"--config", p, "reindex", "--dry-run"} },
			want: []string{"livechat.inactivity_timeout"},
		},
		{
			name: "reindex of a data directory without Temporal's database",
			args: func(string) []string { return []string{"reindex"} },
			want: []string{"no Temporal database", "temporal.db", "data_dir"},
		},
		{
			name: "config file from HANDOFF_CONFIG",
			file: "auth:\n  tokens: [\"alice:short\"]\n",
			env:  map[string]string{"HANDOFF_CONFIG": "handoff.yaml"},
			args: func(string) []string { return nil },
			want: []string{"auth.tokens"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			dataDir := filepath.Join(dir, "data")
			t.Setenv("HANDOFF_DATA_DIR", dataDir)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if tt.file != "" {
				path = filepath.Join(dir, "handoff.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := run(tt.args(path))
			if err == nil {
				t.Fatalf("run succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if _, statErr := os.Stat(dataDir); !os.IsNotExist(statErr) {
				t.Errorf("data_dir %s exists after a failed run (stat: %v): something started", dataDir, statErr)
			}
		})
	}
}

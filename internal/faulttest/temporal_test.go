package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/handoff-chat/handoff/internal/bench/child"
	"github.com/handoff-chat/handoff/internal/temporalclient"
)

// temporalModule is the Temporal server module this repository pins in
// go.mod (the embedded server's): its version is the one built, its
// directory holds the SQL schema.
type temporalModule struct {
	Version string
	Dir     string
}

func pinnedTemporal(t *testing.T) temporalModule {
	out, err := exec.Command("go", "mod", "download", "-json", "go.temporal.io/server").Output()
	if err != nil {
		t.Fatalf("go mod download go.temporal.io/server: %v", err)
	}
	var m temporalModule
	if err := json.Unmarshal(out, &m); err != nil || m.Version == "" || m.Dir == "" {
		t.Fatalf("go mod download go.temporal.io/server: %v (%s)", err, out)
	}
	return m
}

// temporalBinaries are the server and its SQL schema tool.
type temporalBinaries struct{ server, sqlTool string }

// buildTemporal installs the Temporal server and temporal-sql-tool of the
// pinned version with `go install pkg@version` (the server module's own
// go.mod, as its releases are built), once per version and Go toolchain:
// they are kept under the user's cache directory
// ($XDG_CACHE_HOME/handoff/fault-test, or HANDOFF_FAULT_BIN), so later
// runs start at once.
func buildTemporal(t *testing.T, r *recorder, m temporalModule) temporalBinaries {
	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	root := os.Getenv("HANDOFF_FAULT_BIN")
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache directory for the Temporal binaries (set HANDOFF_FAULT_BIN): %v", err)
		}
		root = filepath.Join(cache, "handoff", "fault-test")
	}
	dir := filepath.Join(root, "temporal-"+m.Version+"-"+strings.TrimSpace(string(goVersion)))
	bins := temporalBinaries{server: filepath.Join(dir, "server"), sqlTool: filepath.Join(dir, "sql")}
	if fileExists(bins.server) && fileExists(bins.sqlTool) {
		r.say("Temporal server %s and temporal-sql-tool found in %s", m.Version, dir)
		return bins
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// Installed into a fresh directory renamed into place, so a build cut
	// short never leaves half of the pair.
	tmp, err := os.MkdirTemp(root, "building-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	started := time.Now()
	cmd := exec.Command("go", "install", "go.temporal.io/server/cmd/server@"+m.Version, "go.temporal.io/server/cmd/tools/sql@"+m.Version)
	cmd.Dir = tmp // outside this module: the server's own go.mod decides its dependencies
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install the Temporal server %s: %v\n%s", m.Version, err, out)
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	r.say("built Temporal server %s and temporal-sql-tool with go install in %s (kept in %s)", m.Version, time.Since(started).Round(time.Second), dir)
	r.count("temporal build seconds", int(time.Since(started).Seconds()))
	return bins
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// setUpSchema does what an operator does for a new cluster on PostgreSQL:
// create the two databases and bring each schema to the version this
// server needs, with temporal-sql-tool and the server module's versioned
// schema directories.
func setUpSchema(t *testing.T, r *recorder, pg *postgres, tool string, m temporalModule) {
	started := time.Now()
	for _, db := range []struct{ name, schema string }{
		{"temporal", "temporal"},
		{"temporal_visibility", "visibility"},
	} {
		base := []string{"--plugin", "postgres12", "--endpoint", "127.0.0.1", "--port", fmt.Sprint(pg.port),
			"--user", pg.user, "--password", pg.password, "--database", db.name}
		versioned := filepath.Join(m.Dir, "schema", "postgresql", "v12", db.schema, "versioned")
		for _, args := range [][]string{
			{"create-database"},
			{"setup-schema", "--version", "0.0"},
			{"update-schema", "--schema-dir", versioned},
		} {
			cmd := exec.Command(tool, append(append([]string(nil), base...), args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("temporal-sql-tool %s on %s: %v\n%s", args[0], db.name, err, out)
			}
		}
	}
	r.say("schemas of temporal and temporal_visibility set up with temporal-sql-tool in %s", time.Since(started).Round(100*time.Millisecond))
}

// temporalServer is the Temporal server process and its ports.
type temporalServer struct {
	frontend string
	spec     child.Spec
	proc     *child.Process
}

// temporalConfig is the server's configuration: PostgreSQL for the history
// and the visibility store, one cluster, every service on a free port of
// 127.0.0.1.
func temporalConfig(pg *postgres, ports map[string]string, dynamicConfig string) string {
	store := func(db string, conns int) string {
		return fmt.Sprintf(`      sql:
        pluginName: postgres12
        databaseName: %s
        connectAddr: 127.0.0.1:%d
        connectProtocol: tcp
        user: %s
        password: %q
        maxConns: %d
        maxIdleConns: %d
        maxConnLifetime: 1h
`, db, pg.port, pg.user, pg.password, conns, conns)
	}
	service := func(name string) string {
		s := fmt.Sprintf("  %s:\n    rpc:\n      grpcPort: %s\n      membershipPort: %s\n      bindOnLocalHost: true\n",
			name, port(ports[name]), port(ports[name+"-membership"]))
		if name == "frontend" {
			s += fmt.Sprintf("      httpPort: %s\n", port(ports["frontend-http"]))
		}
		return s
	}
	return "log:\n  stdout: true\n  level: warn\n\n" +
		"persistence:\n  defaultStore: default\n  visibilityStore: visibility\n  numHistoryShards: 4\n  datastores:\n" +
		"    default:\n" + store("temporal", 20) +
		"    visibility:\n" + store("temporal_visibility", 4) +
		"\nglobal:\n  membership:\n    maxJoinDuration: 30s\n    broadcastAddress: 127.0.0.1\n\n" +
		"services:\n" + service("frontend") + service("history") + service("matching") + service("worker") +
		"\nclusterMetadata:\n  enableGlobalNamespace: false\n  failoverVersionIncrement: 10\n" +
		"  masterClusterName: active\n  currentClusterName: active\n  clusterInformation:\n    active:\n" +
		"      enabled: true\n      initialFailoverVersion: 1\n      rpcName: frontend\n" +
		fmt.Sprintf("      rpcAddress: %s\n", ports["frontend"]) +
		"\ndcRedirectionPolicy:\n  policy: noop\n\n" +
		fmt.Sprintf("dynamicConfigClient:\n  filepath: %s\n  pollInterval: 10s\n", dynamicConfig)
}

// dynamicConfig states what handoff relies on (1.32's defaults, written out
// so a changed default cannot break the deployment unnoticed).
const dynamicConfig = `# handoff sends customer, staff and live-chat changes as workflow updates.
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
`

// lowFreeAddr is a free port of 127.0.0.1 below 32768: the SQL stores keep
// membership ports as a smallint, and the kernel's ephemeral ports (what
// port 0 gives) are above it.
func lowFreeAddr() (string, error) {
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr, nil
		}
	}
	return "", errors.New("no free port between 20000 and 32000")
}

func port(addr string) string {
	_, p, _ := strings.Cut(addr, ":")
	return p
}

// startTemporal writes the configuration and starts the server.
func startTemporal(t *testing.T, r *recorder, dir string, pg *postgres, bins temporalBinaries) *temporalServer {
	ports := map[string]string{}
	for _, name := range []string{"frontend", "frontend-membership", "frontend-http", "history", "history-membership",
		"matching", "matching-membership", "worker", "worker-membership"} {
		addr, err := lowFreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		ports[name] = addr
	}
	dcFile := filepath.Join(dir, "dynamicconfig.yaml")
	if err := os.WriteFile(dcFile, []byte(dynamicConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "temporal.yaml")
	if err := os.WriteFile(cfgFile, []byte(temporalConfig(pg, ports, dcFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := &temporalServer{frontend: ports["frontend"]}
	health, err := client.NewLazyClient(client.Options{HostPort: ts.frontend, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(health.Close)
	ts.spec = child.Spec{
		Name:    "temporal-server",
		Command: []string{bins.server, "--config-file", cfgFile, "--allow-no-auth", "start"},
		Dir:     dir,
		LogFile: filepath.Join(dir, "temporal.log"),
		Ready: func(ctx context.Context, _ int) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := health.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}
	proc, err := child.Start(context.Background(), ts.spec)
	if err != nil {
		t.Fatal(err)
	}
	ts.proc = proc
	t.Cleanup(func() {
		if err := ts.proc.Stop(time.Minute); err != nil {
			t.Errorf("stop the Temporal server: %v", err)
		}
	})
	r.say("Temporal server started (pid %d, frontend %s) in %s", proc.Pid(), ts.frontend, proc.Ready.Sub(proc.Started).Round(100*time.Millisecond))
	return ts
}

// restart stops the server (SIGTERM) and starts it again on the same ports
// and databases.
func (ts *temporalServer) restart(ctx context.Context) (stopped, ready time.Duration, err error) {
	began := time.Now()
	stopErr := ts.proc.Stop(time.Minute)
	stopped = time.Since(began)
	proc, err := child.Start(ctx, ts.spec)
	if err != nil {
		return stopped, 0, fmt.Errorf("start the Temporal server again: %w", err)
	}
	ts.proc = proc
	if stopErr != nil {
		return stopped, proc.Ready.Sub(proc.Started), fmt.Errorf("stop the Temporal server: %w", stopErr)
	}
	return stopped, proc.Ready.Sub(proc.Started), nil
}

// setUpNamespace registers the namespace and adds handoff's search
// attributes, as an operator does before the first handoff process starts
// (`temporal operator namespace create` and `temporal operator
// search-attribute create` make these calls), then waits until both are in
// force.
func setUpNamespace(t *testing.T, r *recorder, frontend, namespace string) client.Client {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns, err := client.NewNamespaceClient(client.Options{HostPort: frontend, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	err = ns.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	})
	if err != nil {
		t.Fatalf("register namespace %s: %v", namespace, err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: frontend, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	want := temporalclient.SearchAttributes
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: want})
		var exists *serviceerror.AlreadyExists
		if err == nil || errors.As(err, &exists) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("add search attributes to %s: %v", namespace, err)
		}
		time.Sleep(500 * time.Millisecond) // the new namespace is not known to every service yet
	}
	for {
		have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
		if err == nil && hasAll(have.GetCustomAttributes(), want) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("search attributes of %s not in force: %v", namespace, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	r.say("namespace %s registered (retention 72h); search attributes added: %s", namespace, strings.Join(names, ", "))
	return c
}

func hasAll(have, want map[string]enumspb.IndexedValueType) bool {
	for name, typ := range want {
		if have[name] != typ {
			return false
		}
	}
	return true
}

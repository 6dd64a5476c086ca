package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"

	"github.com/handoff-chat/handoff/api"
	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/healthserver"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = ".."

// files are the deployment files by their slash-separated path under
// deploy/, without the Go files of this package.
type files map[string][]byte

func readFiles(t *testing.T) files {
	t.Helper()
	out := files{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(p)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// with returns a copy of fs in which the file name has old replaced by new
// (once), or is added with content new when old is empty.
func (fs files) with(t *testing.T, name, old, new string) files {
	t.Helper()
	out := files{}
	for k, v := range fs {
		out[k] = v
	}
	if old == "" {
		out[name] = []byte(new)
		return out
	}
	if !bytes.Contains(fs[name], []byte(old)) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	out[name] = bytes.Replace(fs[name], []byte(old), []byte(new), 1)
	return out
}

// facts are what the deployment files are checked against, read from
// handoff itself.
type facts struct {
	// env are the variables config.Load reads.
	env map[string]bool
	// routes are the GET paths of the api router; healthPaths those of the
	// health listener.
	routes, healthPaths map[string]bool
	// defaults is the configuration with no file and no variables.
	defaults *config.Config
	// moduleFiles are the files the build of ./cmd/handoff reads, relative
	// to the repository.
	moduleFiles []string
}

func loadFacts(t *testing.T) facts {
	t.Helper()
	f := facts{env: map[string]bool{}, routes: map[string]bool{}, healthPaths: map[string]bool{}}
	for _, name := range config.EnvNames() {
		f.env[name] = true
	}
	engine, ok := api.NewHandler(api.Deps{MaxBodyBytes: 1 << 20}).(*gin.Engine)
	if !ok {
		t.Fatal("the api handler is not a gin engine")
	}
	for _, r := range engine.Routes() {
		if r.Method == "GET" && !strings.ContainsAny(r.Path, ":*") {
			f.routes[r.Path] = true
		}
	}
	for _, p := range healthserver.Paths {
		f.healthPaths[p] = true
	}
	f.defaults = defaultConfig(t)
	f.moduleFiles = buildFiles(t)
	return f
}

// defaultConfig loads the configuration with no file and every HANDOFF_
// variable empty (which Load ignores), from an empty directory.
func defaultConfig(t *testing.T) *config.Config {
	t.Helper()
	for _, name := range config.EnvNames() {
		t.Setenv(name, "")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
	}()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// buildFiles are the Go and embedded files of the packages the binary is
// built from (go list), relative to the repository.
func buildFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/handoff")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                 string
			Module              *struct{ Main bool }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range slices.Concat(p.GoFiles, p.EmbedFiles) {
			names = append(names, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	return append(names, "go.mod", "go.sum")
}

// checker collects the problems of a set of deployment files.
type checker struct {
	facts
	fs       files
	problems []string
}

func (c *checker) errorf(file, format string, args ...any) {
	c.problems = append(c.problems, file+": "+fmt.Sprintf(format, args...))
}

// check runs every check on fs and returns the problems found.
func check(f facts, fs files) []string {
	c := &checker{facts: f, fs: fs}
	for _, name := range sortedKeys(fs) {
		c.checkVariableNames(name, string(fs[name]))
		base := path.Base(name)
		switch {
		case base == "Dockerfile", base == "Caddyfile", strings.HasSuffix(base, ".sh"), strings.HasSuffix(base, ".md"):
			// Read by the checks below, or text only.
		case strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"):
			if _, err := yamlDocs(fs[name]); err != nil {
				c.errorf(name, "not YAML: %v", err)
			}
		case strings.HasSuffix(base, ".env.example"):
			c.envFile(name, true)
		default:
			c.errorf(name, "no check reads this kind of file; add one to deploy_test.go")
		}
	}
	image := c.checkDockerfile("Dockerfile")
	c.checkDockerignore(path.Join(repoRoot, ".dockerignore"))
	c.checkCompose("compose/compose.yaml", image)
	c.checkKubernetes("kubernetes", image)
	return c.problems
}

// TestDeployFiles checks every file in deploy/ against handoff.
func TestDeployFiles(t *testing.T) {
	fs := readFiles(t)
	for _, want := range []string{"Dockerfile", "compose/compose.yaml", "kubernetes/kustomization.yaml", "README.md"} {
		if fs[want] == nil {
			t.Errorf("deploy/%s is missing", want)
		}
	}
	for _, p := range check(loadFacts(t), fs) {
		t.Error(p)
	}
}

// TestCheckerFindsProblems changes one thing at a time in the real files
// and expects the checker to name it, so that a check that passes can be
// trusted to look.
func TestCheckerFindsProblems(t *testing.T) {
	f := loadFacts(t)
	real := readFiles(t)
	if p := check(f, real); len(p) > 0 {
		t.Fatalf("the real files have problems (TestDeployFiles lists them): %v", p)
	}
	for _, tt := range []struct {
		name           string
		file, old, new string
		want           string // in one of the problems
	}{
		{"unknown variable in the ConfigMap", "kubernetes/config.yaml",
			"HANDOFF_TEMPORAL_NAMESPACE:", "HANDOFF_TEMPORAL_NAMESPAC:", "HANDOFF_TEMPORAL_NAMESPAC is not"},
		{"unknown variable in compose", "compose/compose.yaml",
			"HANDOFF_HEALTH_ADDR:", "HANDOFF_HEALTH_ADDRESS:", "HANDOFF_HEALTH_ADDRESS is not"},
		{"unknown variable in the Dockerfile", "Dockerfile",
			"HANDOFF_LOG_FORMAT=json", "HANDOFF_LOG_FORMATS=json", "HANDOFF_LOG_FORMATS is not"},
		{"unknown variable in a variables file", "compose/handoff.env.example",
			"HANDOFF_MESSENGER_APP_ID=", "HANDOFF_MESSENGER_APPID=", "HANDOFF_MESSENGER_APPID is not"},
		{"unknown variable in the docs", "README.md", "", "Set HANDOFF_SEARCH_SHARDS=3.", "HANDOFF_SEARCH_SHARDS is not"},
		{"a map's whole variable", "kubernetes/config.yaml",
			"HANDOFF_LOG_FORMAT: json", "HANDOFF_BOT_REPLY: hi", "HANDOFF_BOT_REPLY is not"},
		{"a readiness path the router lacks", "kubernetes/api.yaml",
			"path: /readyz", "path: /ready", `"/ready" is not a GET route`},
		{"liveness on the readiness path", "kubernetes/worker.yaml",
			"path: /healthz\n              port: health\n            periodSeconds: 10", "path: /readyz\n              port: health\n            periodSeconds: 10", "livenessProbe checks /readyz"},
		{"a probe on a port nothing listens on", "kubernetes/worker.yaml",
			`value: ":8081"`, `value: ":9091"`, "nothing listens on 8081"},
		{"the worker's health listener on loopback", "kubernetes/worker.yaml",
			`value: ":8081"`, `value: "127.0.0.1:8081"`, "listens on 127.0.0.1"},
		{"a grace period shorter than the stop", "kubernetes/api.yaml",
			"terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 40", "terminationGracePeriodSeconds 40s"},
		{"a PDB that blocks every drain", "kubernetes/worker.yaml",
			"minAvailable: 1", "minAvailable: 2", "minAvailable 2"},
		{"a Secret nobody defines", "kubernetes/api.yaml",
			"secretRef:\n                name: handoff-api\n", "secretRef:\n                name: handoff-apis\n", `Secret "handoff-apis"`},
		{"a Service port of no container", "kubernetes/api.yaml",
			"targetPort: http", "targetPort: web", `targetPort "web"`},
		{"a manifest left out of the kustomization", "kubernetes/kustomization.yaml",
			"  - media.yaml\n", "", "media.yaml is not in kustomization.yaml"},
		{"the CA file outside every mount", "kubernetes/config.yaml",
			"/etc/handoff/elasticsearch/ca.crt", "/etc/ssl/es/ca.crt", "/etc/ssl/es/ca.crt is on no volume"},
		{"Elasticsearch other than the ECK service", "kubernetes/config.yaml",
			"https://handoff-es-http.elastic.svc:9200", "https://elasticsearch.elastic.svc:9200", "not the HTTP service of the Elasticsearch"},
		{"a build target that is no package", "Dockerfile",
			"./cmd/handoff", "./cmd/handof", "./cmd/handof"},
		{"a root user", "Dockerfile", "USER 65532:65532", "USER root", "USER root"},
		{"an exposed port nothing listens on", "Dockerfile", "EXPOSE 8080", "EXPOSE 8080 9090", "EXPOSE 9090"},
		{"the image's API on loopback", "Dockerfile", "HANDOFF_HTTP_ADDR=:8080", "HANDOFF_HTTP_ADDR=127.0.0.1:8080", "nothing outside the container reaches port 8080"},
		{"a healthcheck subcommand the binary lacks", "Dockerfile",
			`"healthcheck"]`, `"health"]`, `"health" is not a handoff subcommand`},
		{"a compose grace period shorter than the stop", "compose/compose.yaml",
			"stop_grace_period: 60s", "stop_grace_period: 20s", "stop_grace_period 20s"},
		{"a worker health check without a health listener", "compose/compose.yaml",
			`HANDOFF_HEALTH_ADDR: ":8081"`, `HANDOFF_LOG_LEVEL: info`, "a worker has no HTTP API"},
		{"a compose variable .env.example lacks", "compose/.env.example",
			"POSTGRES_PASSWORD=\n", "", "${POSTGRES_PASSWORD} is not in .env.example"},
		{"a compose address of no service", "compose/compose.yaml",
			"HANDOFF_TEMPORAL_ADDRESS: temporal:7233", "HANDOFF_TEMPORAL_ADDRESS: temporal-frontend:7233", `no service "temporal-frontend"`},
		{"a proxy to a port the api does not listen on", "compose/Caddyfile",
			"handoff-api 8080", "handoff-api 8081", "handoff-api does not serve the API on 8081"},
		{"a Temporal namespace nobody creates", "compose/compose.yaml",
			"HANDOFF_TEMPORAL_NAMESPACE: handoff", "HANDOFF_TEMPORAL_NAMESPACE: support", `namespace "support"`},
		{"a file no check reads", "notes.txt", "", "HANDOFF_HTTP_ADDR", "no check reads this kind of file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems := check(f, real.with(t, tt.file, tt.old, tt.new))
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Errorf("no problem names %q; problems: %q", tt.want, problems)
		})
	}
}

// --- variable names --------------------------------------------------------

var (
	variableName = regexp.MustCompile(`\bHANDOFF_[A-Z0-9_]*[A-Z0-9]\b`)
	envKey       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// checkVariableNames checks that every HANDOFF_ name in a file, whether it
// sets it, documents it or mentions it, is one config.Load reads.
func (c *checker) checkVariableNames(file, text string) {
	seen := map[string]bool{}
	for _, name := range variableName.FindAllString(text, -1) {
		if !c.env[name] && !seen[name] {
			c.errorf(file, "%s is not a variable handoff reads (config.EnvNames)", name)
		}
		seen[name] = true
	}
}

// envFile parses a KEY=VALUE file (.env), skipping comments and blank
// lines; with report, a line of another form is a problem.
func (c *checker) envFile(file string, report bool) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(c.fs[file]))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !envKey.MatchString(key) {
			if report {
				c.errorf(file, "line %d is not KEY=VALUE: %q", n, line)
			}
			continue
		}
		out[key] = strings.Trim(value, `'"`)
	}
	return out
}

// --- the image -----------------------------------------------------------

// image is what the final stage of the Dockerfile makes.
type image struct {
	env         map[string]string
	user        string
	entrypoint  []string
	healthcheck []string
	expose      []string
}

// dockerInstructions splits a Dockerfile into instructions, joining
// continued lines and dropping comments.
func dockerInstructions(text string) [][2]string {
	var out [][2]string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, [2]string{strings.ToUpper(op), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// checkDockerfile checks the image's build and final stage and returns the
// final stage.
func (c *checker) checkDockerfile(file string) image {
	img := image{env: map[string]string{}}
	text := string(c.fs[file])
	if text == "" {
		c.errorf(file, "missing")
		return img
	}
	var stages []string
	var binary string // the built binary's path in the build stage
	copies := map[string]string{}
	for _, in := range dockerInstructions(text) {
		op, args := in[0], in[1]
		switch op {
		case "FROM":
			fields := strings.Fields(args)
			stage := ""
			if len(fields) >= 3 && strings.EqualFold(fields[len(fields)-2], "AS") {
				stage = fields[len(fields)-1]
			}
			stages = append(stages, stage)
			img = image{env: map[string]string{}} // only the final stage counts
		case "RUN":
			if i := strings.Index(args, "go build"); i >= 0 {
				binary = c.checkGoBuild(file, args, args[i:])
			}
		case "COPY":
			fields := strings.Fields(args)
			var from string
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				if v, ok := strings.CutPrefix(fields[0], "--from="); ok {
					from = v
				}
				fields = fields[1:]
			}
			if from != "" && len(fields) == 2 {
				copies[fields[0]] = fields[1]
			}
		case "ENV":
			for _, kv := range strings.Fields(args) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					c.errorf(file, "ENV %s: use the KEY=VALUE form", args)
					continue
				}
				img.env[k] = strings.Trim(v, `"`)
			}
		case "USER":
			img.user = args
		case "EXPOSE":
			img.expose = strings.Fields(args)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(args), &img.entrypoint); err != nil {
				c.errorf(file, "ENTRYPOINT must be the exec form (a JSON array, no shell in the image): %v", err)
			}
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(args, "CMD ")
			if !ok || json.Unmarshal([]byte(cmd), &img.healthcheck) != nil {
				c.errorf(file, "HEALTHCHECK must be CMD with a JSON array (the image has no shell): %s", args)
			}
		}
	}
	if len(stages) < 2 {
		c.errorf(file, "want a multi-stage build (a builder and a small final stage), got %d stage(s)", len(stages))
	}
	if binary == "" {
		c.errorf(file, "no stage runs go build -o <binary>")
	} else if dest := copies[binary]; dest == "" {
		c.errorf(file, "the final stage does not copy the built %s", binary)
	} else if len(img.entrypoint) == 0 || img.entrypoint[0] != dest {
		c.errorf(file, "ENTRYPOINT %q is not the binary copied to %s", img.entrypoint, dest)
	}
	if uid, _, _ := strings.Cut(img.user, ":"); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		c.errorf(file, "USER %s: want a numeric user other than root (Kubernetes' runAsNonRoot needs a number)", img.user)
	}
	var exposed []string
	for _, port := range img.expose {
		exposed = append(exposed, strings.TrimSuffix(port, "/tcp"))
	}
	listen := c.listeners(file, "", img.env, exposed)
	for _, port := range img.expose {
		if _, ok := listen[strings.TrimSuffix(port, "/tcp")]; !ok {
			c.errorf(file, "EXPOSE %s: the all-in-one process does not listen there (ENV %v)", port, img.env)
		}
	}
	if len(img.healthcheck) > 0 {
		c.checkHealthcheck(file, img.healthcheck, img, "", img.env)
	}
	return img
}

// checkGoBuild checks the go build of a RUN instruction and returns the
// binary it writes.
func (c *checker) checkGoBuild(file, run, cmd string) string {
	if !strings.Contains(run, "CGO_ENABLED=0") {
		c.errorf(file, "the build does not set CGO_ENABLED=0: the binary would not be static")
	}
	fields := strings.Fields(cmd)
	var out, target string
	for i, f := range fields {
		if f == "-o" && i+1 < len(fields) {
			out = fields[i+1]
		}
		if strings.HasPrefix(f, "./") {
			target = f
		}
	}
	pkg, err := build.ImportDir(filepath.Join(repoRoot, filepath.FromSlash(target)), 0)
	switch {
	case target == "":
		c.errorf(file, "go build names no package of the repository (./...)")
	case err != nil:
		c.errorf(file, "go build %s: %v", target, err)
	case pkg.Name != "main":
		c.errorf(file, "go build %s: package %s is not a command", target, pkg.Name)
	case target != "./cmd/handoff":
		c.errorf(file, "go build %s: the image's binary is ./cmd/handoff", target)
	}
	return out
}

// subcommands are the first arguments cmd/handoff/main.go's run handles
// itself (args[0] == "name") besides the roles.
func subcommands() (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, "cmd", "handoff", "main.go"), nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryExpr)
		if !ok || b.Op != token.EQL {
			return true
		}
		idx, ok := b.X.(*ast.IndexExpr)
		if !ok {
			return true
		}
		if id, ok := idx.X.(*ast.Ident); !ok || id.Name != "args" {
			return true
		}
		if lit, ok := b.Y.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			out[name] = true
		}
		return true
	})
	return out, nil
}

// checkHealthcheck checks a health check command run in a container of
// role with env: the image's binary, its healthcheck subcommand, and the
// listener and path that subcommand asks.
func (c *checker) checkHealthcheck(file string, cmd []string, img image, role string, env map[string]string) {
	if len(cmd) > 0 && (cmd[0] == "CMD" || cmd[0] == "CMD-SHELL") {
		cmd = cmd[1:]
	}
	if len(cmd) < 2 || len(img.entrypoint) == 0 || cmd[0] != img.entrypoint[0] {
		c.errorf(file, "health check %q does not run the image's binary %q", cmd, img.entrypoint)
		return
	}
	subs, err := subcommands()
	if err != nil {
		c.errorf(file, "read cmd/handoff/main.go: %v", err)
		return
	}
	if !subs[cmd[1]] {
		c.errorf(file, "health check: %q is not a handoff subcommand", cmd[1])
		return
	}
	checkPath := "/readyz"
	for i, a := range cmd {
		if a == "--path" && i+1 < len(cmd) {
			checkPath = cmd[i+1]
		}
	}
	// handoff healthcheck asks health.addr when set, else http.addr.
	key := "http.addr"
	if env[config.EnvName("health.addr")] != "" {
		key = "health.addr"
	}
	addr := c.value(env, key)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		c.errorf(file, "health check: %s %q is not host:port", key, addr)
		return
	}
	l, ok := c.listeners(file, role, env, nil)[port]
	if !ok {
		c.errorf(file, "health check asks %s %s, where a %s has no listener (a worker has no HTTP API: set HANDOFF_HEALTH_ADDR)", key, addr, roleName(role))
		return
	}
	c.checkPath(file, "health check", l, checkPath)
}

// checkDockerignore checks that the build context keeps every file the
// build of ./cmd/handoff reads.
func (c *checker) checkDockerignore(file string) {
	b, err := os.ReadFile(file)
	if err != nil {
		c.errorf(file, "%v", err)
		return
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.Trim(line, "/"))
		}
	}
	for _, f := range c.moduleFiles {
		for _, p := range patterns {
			if ignored(p, f) {
				c.errorf(file, "%s leaves %s out of the build context, and the build needs it", p, f)
			}
		}
	}
}

// ignored reports whether a .dockerignore pattern excludes name (a pattern
// matches the path or one of its parent directories; **/ matches any
// number of directories).
func ignored(pattern, name string) bool {
	parts := strings.Split(name, "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		if ok, _ := path.Match(pattern, prefix); ok {
			return true
		}
		if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
			if ok, _ := path.Match(rest, parts[i-1]); ok {
				return true
			}
		}
	}
	return false
}

// --- listeners -------------------------------------------------------------

// listener is one of a handoff process's listening addresses.
type listener struct {
	key  string // the config key, e.g. http.addr
	host string
}

func roleName(role string) string {
	if role == "" {
		return "all-in-one process"
	}
	return role + " process"
}

// value is the effective value of key in env, else its default.
func (c *checker) value(env map[string]string, key string) string {
	if v := env[config.EnvName(key)]; v != "" {
		return v
	}
	switch key {
	case "http.addr":
		return c.defaults.HTTP.Addr
	case "health.addr":
		return c.defaults.Health.Addr
	case "debug.addr":
		return c.defaults.Debug.Addr
	case "temporal.namespace":
		return c.defaults.Temporal.Namespace
	case "data_dir":
		return c.defaults.DataDir
	case "search.backend":
		return c.defaults.Search.Backend
	}
	panic("no default known for " + key)
}

// listeners are the ports a handoff process of role listens on with env,
// each with its listener. Declared ports (nil: none) on a loopback address
// are reported: nothing outside the container reaches them.
func (c *checker) listeners(file, role string, env map[string]string, declared []string) map[string]listener {
	keys := []string{"health.addr", "debug.addr"}
	if role != "worker" {
		keys = append(keys, "http.addr")
	}
	out := map[string]listener{}
	for _, key := range keys {
		addr := c.value(env, key)
		if addr == "" {
			continue
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			c.errorf(file, "%s %q is not host:port", key, addr)
			continue
		}
		out[port] = listener{key: key, host: host}
		if ip := net.ParseIP(host); slices.Contains(declared, port) && (host == "localhost" || (ip != nil && ip.IsLoopback())) {
			c.errorf(file, "%s listens on %s: nothing outside the container reaches port %s", key, addr, port)
		}
	}
	return out
}

// checkPath checks that the listener l answers GET path.
func (c *checker) checkPath(file, what string, l listener, p string) {
	switch l.key {
	case "http.addr":
		if !c.routes[p] {
			c.errorf(file, "%s: %q is not a GET route of the api router", what, p)
		}
	case "health.addr":
		if !c.healthPaths[p] {
			c.errorf(file, "%s: %q is not a path of the health listener %v", what, p, healthserver.Paths)
		}
	default:
		c.errorf(file, "%s: %s serves no health checks", what, l.key)
	}
}

// checkGrace checks that a grace period covers preStop and the stop of a
// process of role with env.
func (c *checker) checkGrace(file, what string, grace, preStop time.Duration, role string, env map[string]string) {
	r := app.RoleAll
	if role != "" {
		r = app.Role(role)
	}
	need := preStop + app.StopTimeout(r, c.value(env, "search.backend"))
	if grace < need {
		c.errorf(file, "%s %s is shorter than the %s's stop (%s: preStop %s + app.StopTimeout %s)", what, grace, roleName(role), need, preStop, need-preStop)
	}
}

// checkRole checks a container's arguments and returns its role ("" for
// all-in-one).
func (c *checker) checkRole(file string, args []string) string {
	switch {
	case len(args) == 0:
		return ""
	case len(args) == 1 && (args[0] == string(app.RoleAPI) || args[0] == string(app.RoleWorker)):
		return args[0]
	}
	c.errorf(file, "arguments %q: want api, worker or none", args)
	return ""
}

// checkFilesMounted checks that the files and directories handoff reads or
// writes with env lie on volumes (mounts: their paths in the container).
func (c *checker) checkFilesMounted(file, role string, env map[string]string, mounts []string) {
	onVolume := func(p string) bool {
		for _, m := range mounts {
			if p == m || strings.HasPrefix(p, strings.TrimSuffix(m, "/")+"/") {
				return true
			}
		}
		return false
	}
	for _, key := range []string{"search.elasticsearch.ca_file", "bot.flows", "temporal.tls.ca_file", "temporal.tls.cert_file", "temporal.tls.key_file"} {
		if p := env[config.EnvName(key)]; p != "" && !onVolume(p) {
			c.errorf(file, "%s %s is on no volume of the container", key, p)
		}
	}
	if role != "worker" {
		if media := path.Join(c.value(env, "data_dir"), "media"); !onVolume(media) {
			c.errorf(file, "the %s keeps uploaded images in %s, which is on no volume: they would be lost with the container and not shared", roleName(role), media)
		}
	}
}

// --- YAML helpers ------------------------------------------------------

func yamlDocs(b []byte) ([]map[string]any, error) {
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	if s, ok := v.(string); ok {
		return strings.Fields(s)
	}
	var out []string
	for _, e := range list(v) {
		out = append(out, str(e))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// --- compose -------------------------------------------------------------

var composeVariable = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate replaces compose's ${VAR}, ${VAR:-default} and ${VAR:?error}
// with the values of vars (a required one without a value becomes
// "required"), and calls use with each name.
func interpolate(s string, vars map[string]string, use func(string)) string {
	return composeVariable.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := composeVariable.FindStringSubmatch(m)
		name, op, arg := sub[1], sub[2], sub[3]
		if name == "" {
			name = sub[4]
		}
		use(name)
		v, set := vars[name]
		switch op {
		case ":-":
			if v == "" {
				return arg
			}
		case "-":
			if !set {
				return arg
			}
		case ":?", "?":
			if v == "" {
				return "required"
			}
		}
		return v
	})
}

// interpolateAll interpolates every string of a parsed YAML value.
func interpolateAll(v any, vars map[string]string, use func(string)) any {
	switch v := v.(type) {
	case string:
		return interpolate(v, vars, use)
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = interpolateAll(e, vars, use)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = interpolateAll(e, vars, use)
		}
		return out
	}
	return v
}

// composeEnv is a service's environment, a map or a list of KEY=VALUE.
func composeEnv(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, e := range m {
			out[k] = str(e)
		}
	}
	for _, e := range strs(v) {
		k, val, _ := strings.Cut(e, "=")
		out[k] = val
	}
	return out
}

// containerPort is the container side of a compose ports or expose entry.
func containerPort(entry string) string {
	entry, _, _ = strings.Cut(entry, "/")
	return entry[strings.LastIndex(entry, ":")+1:]
}

// volumeTargets are the container paths of a service's volumes.
func volumeTargets(svc any) []string {
	var out []string
	for _, v := range list(get(svc, "volumes")) {
		if t := str(get(v, "target")); t != "" {
			out = append(out, t)
			continue
		}
		parts := strings.Split(str(v), ":")
		if len(parts) >= 2 {
			out = append(out, parts[1])
		} else {
			out = append(out, parts[0])
		}
	}
	return append(out, strs(get(svc, "tmpfs"))...)
}

// checkCompose checks the compose file, its .env.example and Caddyfile.
func (c *checker) checkCompose(file string, img image) {
	dir := path.Dir(file)
	docs, err := yamlDocs(c.fs[file])
	if err != nil || len(docs) != 1 {
		c.errorf(file, "want one YAML document: %v", err)
		return
	}
	dotenv := c.envFile(path.Join(dir, ".env.example"), false)
	used := map[string]bool{}
	doc := interpolateAll(docs[0], dotenv, func(name string) { used[name] = true }).(map[string]any)
	for _, name := range sortedKeys(used) {
		if _, ok := dotenv[name]; !ok {
			c.errorf(file, "${%s} is not in .env.example", name)
		}
	}
	for _, name := range sortedKeys(dotenv) {
		if !used[name] {
			c.errorf(path.Join(dir, ".env.example"), "%s is used nowhere in %s", name, path.Base(file))
		}
	}
	services, _ := doc["services"].(map[string]any)
	exposes := func(name, port string) bool {
		svc := services[name]
		for _, p := range slices.Concat(strs(get(svc, "expose")), strs(get(svc, "ports"))) {
			if containerPort(p) == port {
				return true
			}
		}
		return false
	}
	checkAddr := func(svcName, key, hostPort string) {
		host, port, err := net.SplitHostPort(hostPort)
		switch {
		case err != nil:
			c.errorf(file, "%s: %s %q is not host:port", svcName, key, hostPort)
		case services[host] == nil:
			c.errorf(file, "%s: %s names no service %q", svcName, key, host)
		case !exposes(host, port):
			c.errorf(file, "%s: %s %s: the service %s exposes no port %s", svcName, key, hostPort, host, port)
		}
	}
	// The Temporal namespaces the services create.
	namespaces := map[string]bool{}
	for _, svc := range services {
		command := strings.Join(strs(get(svc, "command")), " ")
		for _, m := range regexp.MustCompile(`namespace create --namespace (\S+)`).FindAllStringSubmatch(command, -1) {
			namespaces[m[1]] = true
		}
	}
	apiPorts := map[string]map[string]listener{} // api services' listeners
	for _, name := range sortedKeys(services) {
		svc := services[name]
		for _, dep := range sortedKeys(asMap(get(svc, "depends_on"))) {
			if services[dep] == nil {
				c.errorf(file, "%s depends on no service %q", name, dep)
			}
		}
		if str(get(svc, "build", "dockerfile")) != "deploy/Dockerfile" {
			continue
		}
		where := file + " " + name
		role := c.checkRole(where, strs(get(svc, "command")))
		env := map[string]string{}
		for k, v := range img.env {
			env[k] = v
		}
		for k, v := range composeEnv(get(svc, "environment")) {
			env[k] = v
		}
		for _, ef := range list(get(svc, "env_file")) {
			example := path.Join(dir, str(get(ef, "path"))+".example")
			if c.fs[example] == nil {
				c.errorf(where, "env_file %s has no %s", get(ef, "path"), example)
			}
		}
		var declared []string
		for _, p := range slices.Concat(strs(get(svc, "expose")), strs(get(svc, "ports"))) {
			declared = append(declared, containerPort(p))
		}
		listen := c.listeners(where, role, env, declared)
		for _, p := range declared {
			if _, ok := listen[p]; !ok {
				c.errorf(where, "port %s: nothing listens on %s in a %s (%s)", p, p, roleName(role), listenKeys(listen))
			}
		}
		if role != "worker" {
			apiPorts[name] = listen
		}
		hc := img.healthcheck
		if test := strs(get(svc, "healthcheck", "test")); len(test) > 0 {
			hc = test
		}
		if len(hc) == 0 {
			c.errorf(where, "no health check")
		} else {
			c.checkHealthcheck(where, hc, img, role, env)
		}
		grace := 10 * time.Second // compose's default
		if g := str(get(svc, "stop_grace_period")); g != "" {
			if grace, err = time.ParseDuration(g); err != nil {
				c.errorf(where, "stop_grace_period %q: %v", g, err)
			}
		}
		c.checkGrace(where, "stop_grace_period", grace, 0, role, env)
		if a := env[config.EnvName("temporal.address")]; a == "" {
			c.errorf(where, "no temporal.address: the %s role needs an external Temporal", role)
		} else {
			checkAddr(name, "temporal.address", a)
		}
		for _, a := range strings.FieldsFunc(env[config.EnvName("search.elasticsearch.addresses")], func(r rune) bool { return r == ',' || r == ' ' }) {
			if u, err := url.Parse(a); err != nil || u.Port() == "" {
				c.errorf(where, "search.elasticsearch.addresses %q: want https://service:port", a)
			} else {
				checkAddr(name, "search.elasticsearch.addresses", u.Host)
			}
		}
		c.checkFilesMounted(where, role, env, volumeTargets(svc))
		if ns := c.value(env, "temporal.namespace"); !namespaces[ns] {
			c.errorf(where, "no service creates the Temporal namespace %q (temporal operator namespace create --namespace %s)", ns, ns)
		}
	}
	c.checkCaddyfile(path.Join(dir, "Caddyfile"), apiPorts)
}

func asMap(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	out := map[string]any{}
	for _, e := range strs(v) {
		out[e] = true
	}
	return out
}

func listenKeys(listen map[string]listener) string {
	var parts []string
	for _, port := range sortedKeys(listen) {
		parts = append(parts, listen[port].key+" on "+port)
	}
	if len(parts) == 0 {
		return "no listener"
	}
	return strings.Join(parts, ", ")
}

// checkCaddyfile checks that the proxy sends requests to a service that
// serves the API on that port.
func (c *checker) checkCaddyfile(file string, apiPorts map[string]map[string]listener) {
	text := string(c.fs[file])
	upstreams := regexp.MustCompile(`dynamic a (\S+) (\d+)`).FindAllStringSubmatch(text, -1)
	if len(upstreams) == 0 {
		c.errorf(file, "no upstream (dynamic a <service> <port>)")
	}
	for _, m := range upstreams {
		if l, ok := apiPorts[m[1]][m[2]]; !ok || l.key != "http.addr" {
			c.errorf(file, "%s does not serve the API on %s", m[1], m[2])
		}
	}
	for _, m := range regexp.MustCompile(`health_uri (\S+)`).FindAllStringSubmatch(text, -1) {
		if !c.routes[m[1]] {
			c.errorf(file, "health_uri %q is not a GET route of the api router", m[1])
		}
	}
}

// --- Kubernetes ----------------------------------------------------------

// object is one Kubernetes object of a manifest.
type object struct {
	file string
	doc  map[string]any
}

func (o object) kind() string { return str(o.doc["kind"]) }
func (o object) name() string { return str(get(o.doc, "metadata", "name")) }

// externalObjects are objects the operator creates from files of their own,
// as deploy/README.md says; the README must name the command.
var externalObjects = map[string]string{
	"ConfigMap/handoff-flows": "kubectl -n handoff create configmap handoff-flows",
}

func (c *checker) checkKubernetes(dir string, img image) {
	objects := map[string]object{} // by kind/name
	var deployments []object
	for _, name := range sortedKeys(c.fs) {
		if path.Dir(name) != dir && path.Dir(name) != dir+"/dependencies" || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		docs, err := yamlDocs(c.fs[name])
		if err != nil {
			continue // reported with the file
		}
		for _, doc := range docs {
			o := object{file: name, doc: doc}
			if o.kind() == "" {
				continue // Helm values
			}
			objects[o.kind()+"/"+o.name()] = o
			if ns := str(get(doc, "metadata", "namespace")); path.Dir(name) == dir && ns != "" && ns != "handoff" {
				c.errorf(name, "%s %s is in the namespace %s, not handoff", o.kind(), o.name(), ns)
			}
			if o.kind() == "Deployment" {
				deployments = append(deployments, o)
			}
		}
	}
	for key, command := range externalObjects {
		if !strings.Contains(string(c.fs["README.md"]), command) {
			c.errorf("README.md", "the manifests use %s, which the README does not tell how to create (%s)", key, command)
		}
		objects[key] = object{file: "README.md", doc: map[string]any{}}
	}
	kustomization := c.checkKustomization(dir)
	for _, d := range deployments {
		c.checkDeployment(d, objects, img, kustomization)
	}
	for _, key := range sortedKeys(objects) {
		o := objects[key]
		switch o.kind() {
		case "Service":
			c.checkSelects(o, deployments, func(d object) {
				for _, p := range list(get(o.doc, "spec", "ports")) {
					target := str(get(p, "targetPort"))
					if target == "" {
						target = str(get(p, "port"))
					}
					if !hasContainerPort(d, target) {
						c.errorf(o.file, "Service %s: targetPort %q is no port of the Deployment %s", o.name(), target, d.name())
					}
				}
			})
		case "PodDisruptionBudget":
			c.checkSelects(o, deployments, func(d object) {
				minAvailable, replicas := get(o.doc, "spec", "minAvailable"), get(d.doc, "spec", "replicas")
				if m, ok := minAvailable.(int); ok {
					if r, ok := replicas.(int); !ok || m >= r {
						c.errorf(o.file, "PodDisruptionBudget %s: minAvailable %d with %v replicas of %s lets no pod be evicted, so node drains block", o.name(), m, replicas, d.name())
					}
				}
			})
		case "Ingress":
			for _, rule := range list(get(o.doc, "spec", "rules")) {
				for _, p := range list(get(rule, "http", "paths")) {
					svc := str(get(p, "backend", "service", "name"))
					port := str(get(p, "backend", "service", "port", "name"))
					s, ok := objects["Service/"+svc]
					if !ok {
						c.errorf(o.file, "Ingress %s: no Service %s", o.name(), svc)
						continue
					}
					if !slices.ContainsFunc(list(get(s.doc, "spec", "ports")), func(sp any) bool { return str(get(sp, "name")) == port }) {
						c.errorf(o.file, "Ingress %s: the Service %s has no port %q", o.name(), svc, port)
					}
				}
			}
		}
	}
}

// checkKustomization checks that kustomization.yaml applies every manifest
// of dir but the examples, and returns it.
func (c *checker) checkKustomization(dir string) map[string]any {
	file := dir + "/kustomization.yaml"
	docs, err := yamlDocs(c.fs[file])
	if err != nil || len(docs) != 1 {
		c.errorf(file, "want one YAML document")
		return nil
	}
	resources := strs(docs[0]["resources"])
	for _, r := range resources {
		if c.fs[dir+"/"+r] == nil {
			c.errorf(file, "resource %s does not exist", r)
		}
	}
	for _, name := range sortedKeys(c.fs) {
		base := path.Base(name)
		if path.Dir(name) != dir || !strings.HasSuffix(base, ".yaml") || base == "kustomization.yaml" {
			continue
		}
		listed := slices.Contains(resources, base)
		switch example := strings.HasSuffix(base, ".example.yaml"); {
		case example && listed:
			c.errorf(file, "%s is an example to edit first, and must not be applied as it is", base)
		case !example && !listed:
			c.errorf(file, "%s is not in kustomization.yaml", base)
		}
	}
	return docs[0]
}

// checkSelects checks that o's selector matches exactly one Deployment's
// pods and runs then with it.
func (c *checker) checkSelects(o object, deployments []object, then func(d object)) {
	selector, _ := get(o.doc, "spec", "selector").(map[string]any)
	if m, ok := selector["matchLabels"].(map[string]any); ok {
		selector = m
	}
	var matched []object
	for _, d := range deployments {
		labels, _ := get(d.doc, "spec", "template", "metadata", "labels").(map[string]any)
		all := len(selector) > 0
		for k, v := range selector {
			all = all && str(labels[k]) == str(v)
		}
		if all {
			matched = append(matched, d)
		}
	}
	if len(matched) != 1 {
		c.errorf(o.file, "%s %s selects %d Deployments, want 1", o.kind(), o.name(), len(matched))
		return
	}
	then(matched[0])
}

func handoffContainer(d object) any {
	for _, ctr := range list(get(d.doc, "spec", "template", "spec", "containers")) {
		if str(get(ctr, "name")) == "handoff" {
			return ctr
		}
	}
	return nil
}

func hasContainerPort(d object, port string) bool {
	for _, p := range list(get(handoffContainer(d), "ports")) {
		if str(get(p, "name")) == port || str(get(p, "containerPort")) == port {
			return true
		}
	}
	return false
}

// checkDeployment checks a handoff Deployment: its role, variables,
// listeners, probes, grace period, volumes and hardening.
func (c *checker) checkDeployment(d object, objects map[string]object, img image, kustomization map[string]any) {
	where := d.file + " " + d.name()
	ctr := handoffContainer(d)
	if ctr == nil {
		c.errorf(where, "no container named handoff")
		return
	}
	pod := get(d.doc, "spec", "template", "spec")
	imageName, _, _ := strings.Cut(str(get(ctr, "image")), ":")
	if !slices.ContainsFunc(list(get(kustomization, "images")), func(i any) bool { return str(get(i, "name")) == imageName }) {
		c.errorf(where, "image %s is not in kustomization.yaml's images, so its tag cannot be set there", imageName)
	}
	role := c.checkRole(where, strs(get(ctr, "args")))
	env := map[string]string{}
	for k, v := range img.env {
		env[k] = v
	}
	for _, from := range list(get(ctr, "envFrom")) {
		kind, ref := "ConfigMap", get(from, "configMapRef")
		if ref == nil {
			kind, ref = "Secret", get(from, "secretRef")
		}
		o, ok := objects[kind+"/"+str(get(ref, "name"))]
		if !ok {
			c.errorf(where, "envFrom: no %s %q", kind, get(ref, "name"))
			continue
		}
		data := get(o.doc, "data")
		if kind == "Secret" {
			data = get(o.doc, "stringData")
		}
		for k, v := range asMap(data) {
			env[k] = str(v)
		}
	}
	for _, e := range list(get(ctr, "env")) {
		env[str(get(e, "name"))] = str(get(e, "value"))
	}
	ports := map[string]string{} // name or number → number
	var declared []string
	for _, p := range list(get(ctr, "ports")) {
		n := str(get(p, "containerPort"))
		ports[n] = n
		if name := str(get(p, "name")); name != "" {
			ports[name] = n
		}
		declared = append(declared, n)
	}
	listen := c.listeners(where, role, env, declared)
	for _, p := range declared {
		if _, ok := listen[p]; !ok {
			c.errorf(where, "containerPort %s: nothing listens on %s in a %s (%s)", p, p, roleName(role), listenKeys(listen))
		}
	}
	for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		httpGet := get(ctr, probe, "httpGet")
		if httpGet == nil {
			if probe != "startupProbe" {
				c.errorf(where, "no %s with httpGet", probe)
			}
			continue
		}
		p := str(get(httpGet, "path"))
		if p != want {
			c.errorf(where, "%s checks %s, want %s", probe, p, want)
		}
		port, ok := ports[str(get(httpGet, "port"))]
		if !ok {
			c.errorf(where, "%s: port %v is no containerPort", probe, get(httpGet, "port"))
			continue
		}
		l, ok := listen[port]
		if !ok {
			c.errorf(where, "%s: nothing listens on %s", probe, port)
			continue
		}
		c.checkPath(where, probe, l, p)
	}
	grace := 30 * time.Second // Kubernetes' default
	if g, ok := get(pod, "terminationGracePeriodSeconds").(int); ok {
		grace = time.Duration(g) * time.Second
	}
	var preStop time.Duration
	if s, ok := get(ctr, "lifecycle", "preStop", "sleep", "seconds").(int); ok {
		preStop = time.Duration(s) * time.Second
	}
	c.checkGrace(where, "terminationGracePeriodSeconds", grace, preStop, role, env)
	var mounts []string
	volumes := map[string]any{}
	for _, v := range list(get(pod, "volumes")) {
		volumes[str(get(v, "name"))] = v
		for kind, ref := range map[string]any{
			"ConfigMap":             get(v, "configMap", "name"),
			"Secret":                get(v, "secret", "secretName"),
			"PersistentVolumeClaim": get(v, "persistentVolumeClaim", "claimName"),
		} {
			if ref != nil {
				if _, ok := objects[kind+"/"+str(ref)]; !ok {
					c.errorf(where, "volume %s: no %s %q", get(v, "name"), kind, ref)
				}
			}
		}
	}
	for _, m := range list(get(ctr, "volumeMounts")) {
		if volumes[str(get(m, "name"))] == nil {
			c.errorf(where, "volumeMount %s: no such volume", get(m, "name"))
		}
		mounts = append(mounts, str(get(m, "mountPath")))
	}
	c.checkFilesMounted(where, role, env, mounts)
	c.checkElasticsearch(where, env, objects)
	c.checkTemporalNamespace(where, env)
	c.checkHardening(where, pod, ctr, img)
}

// checkHardening checks what the namespace's restricted Pod Security
// Standard and the image ask of a pod: the image's non-root user,
// no privilege escalation, no capabilities, a read-only root file system,
// and resource requests and limits.
func (c *checker) checkHardening(where string, pod, ctr any, img image) {
	uid, _, _ := strings.Cut(img.user, ":")
	if got := str(get(pod, "securityContext", "runAsUser")); got != uid {
		c.errorf(where, "runAsUser %s, want the image's user %s", got, uid)
	}
	if get(pod, "securityContext", "runAsNonRoot") != true {
		c.errorf(where, "the pod does not set runAsNonRoot")
	}
	if str(get(pod, "securityContext", "seccompProfile", "type")) != "RuntimeDefault" {
		c.errorf(where, "the pod's seccompProfile is not RuntimeDefault")
	}
	sc := get(ctr, "securityContext")
	if get(sc, "allowPrivilegeEscalation") != false || get(sc, "readOnlyRootFilesystem") != true || !slices.Equal(strs(get(sc, "capabilities", "drop")), []string{"ALL"}) {
		c.errorf(where, "the container must set allowPrivilegeEscalation false, readOnlyRootFilesystem true and drop ALL capabilities")
	}
	for _, kind := range []string{"requests", "limits"} {
		for _, res := range []string{"cpu", "memory"} {
			if get(ctr, "resources", kind, res) == nil {
				c.errorf(where, "no resources.%s.%s", kind, res)
			}
		}
	}
}

// checkElasticsearch checks that the Elasticsearch addresses are the HTTP
// service ECK makes for the Elasticsearch of dependencies/.
func (c *checker) checkElasticsearch(where string, env map[string]string, objects map[string]object) {
	addrs := env[config.EnvName("search.elasticsearch.addresses")]
	if c.value(env, "search.backend") != config.SearchElasticsearch || addrs == "" {
		return
	}
	var want []string
	for key, o := range objects {
		if strings.HasPrefix(key, "Elasticsearch/") {
			want = append(want, fmt.Sprintf("%s-es-http.%s.svc:9200", o.name(), get(o.doc, "metadata", "namespace")))
		}
	}
	for _, a := range strings.Fields(strings.ReplaceAll(addrs, ",", " ")) {
		if u, err := url.Parse(a); err != nil || u.Scheme != "https" || !slices.Contains(want, u.Host) {
			c.errorf(where, "search.elasticsearch.addresses %s is not the HTTP service of the Elasticsearch in dependencies/ (%v) over https", a, want)
		}
	}
}

// checkTemporalNamespace checks that the Temporal Helm values create the
// namespace handoff uses.
func (c *checker) checkTemporalNamespace(where string, env map[string]string) {
	ns := c.value(env, "temporal.namespace")
	values, err := yamlDocs(c.fs["kubernetes/dependencies/temporal-values.yaml"])
	if err != nil || len(values) != 1 {
		c.errorf(where, "kubernetes/dependencies/temporal-values.yaml: want one YAML document")
		return
	}
	if get(values[0], "server", "config", "namespaces", "create") != true ||
		!slices.ContainsFunc(list(get(values[0], "server", "config", "namespaces", "namespace")), func(n any) bool { return str(get(n, "name")) == ns }) {
		c.errorf(where, "the Temporal values do not create the namespace %q", ns)
	}
}

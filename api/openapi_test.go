package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"
)

// openAPIMethods are the path item keys that are operations.
var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// pathItemFields are the other keys a path item may have; anything else is
// most likely a misspelt method, which would otherwise be silently ignored.
var pathItemFields = map[string]bool{
	"$ref": true, "summary": true, "description": true, "servers": true, "parameters": true,
}

type openAPIOperation struct {
	Summary   string         `yaml:"summary"`
	Responses map[string]any `yaml:"responses"`
}

type openAPISpec struct {
	OpenAPI string `yaml:"openapi"`
	Info    struct {
		Title string `yaml:"title"`
	} `yaml:"info"`
	// Paths maps a path to its path item: operations keyed by lower-case
	// method, plus keys such as "parameters" that are not operations.
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath turns a gin route path (/a/:b) into an OpenAPI one (/a/{b}).
func openAPIPath(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

func loadOpenAPISpec(t *testing.T) openAPISpec {
	t.Helper()
	var spec openAPISpec
	if err := yaml.Unmarshal(openAPIDocument, &spec); err != nil {
		t.Fatalf("api/openapi.yaml does not parse: %v", err)
	}
	return spec
}

// documentedOperations returns "METHOD /path" for every operation in the
// document, with the parsed operation.
func documentedOperations(t *testing.T, spec openAPISpec) map[string]openAPIOperation {
	t.Helper()
	ops := map[string]openAPIOperation{}
	for path, item := range spec.Paths {
		for key, node := range item {
			if !openAPIMethods[key] {
				if !pathItemFields[key] {
					t.Errorf("path %s has key %q, which is neither an HTTP method nor a path item field", path, key)
				}
				continue
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Errorf("%s %s: operation does not decode: %v", strings.ToUpper(key), path, err)
				continue
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return ops
}

func routerOperations(t *testing.T) map[string]bool {
	t.Helper()
	engine, ok := NewHandler(Deps{MaxBodyBytes: 1 << 20}).(*gin.Engine)
	if !ok {
		t.Fatal("NewHandler no longer returns a *gin.Engine; update this test")
	}
	routes := map[string]bool{}
	for _, r := range engine.Routes() {
		routes[r.Method+" "+openAPIPath(r.Path)] = true
	}
	if len(routes) == 0 {
		t.Fatal("the router has no routes")
	}
	return routes
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestOpenAPIDocumentHeader(t *testing.T) {
	spec := loadOpenAPISpec(t)
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Errorf("openapi version is %q, want 3.x", spec.OpenAPI)
	}
	if strings.TrimSpace(spec.Info.Title) == "" {
		t.Error("info.title is missing")
	}
	if len(spec.Paths) == 0 {
		t.Error("the document has no paths")
	}
}

// TestOpenAPIDocumentsEveryRoute keeps the document and the router in step:
// every route must be documented, and every documented operation must exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	documented := documentedOperations(t, loadOpenAPISpec(t))
	routes := routerOperations(t)

	for _, route := range sortedKeys(routes) {
		if _, ok := documented[route]; !ok {
			t.Errorf("route %s is served by the router but missing from api/openapi.yaml", route)
		}
	}
	for _, op := range sortedKeys(documented) {
		if !routes[op] {
			t.Errorf("operation %s is in api/openapi.yaml but the router has no such route", op)
		}
	}
}

func TestOpenAPIOperationsAreComplete(t *testing.T) {
	documented := documentedOperations(t, loadOpenAPISpec(t))
	for _, name := range sortedKeys(documented) {
		op := documented[name]
		if strings.TrimSpace(op.Summary) == "" {
			t.Errorf("operation %s has no summary", name)
		}
		if len(op.Responses) == 0 {
			t.Errorf("operation %s has no responses", name)
		}
	}
}

func TestOpenAPIPathConversion(t *testing.T) {
	cases := map[string]string{
		"/healthz": "/healthz",
		"/api/v1/conversations/:channel/:customer/live-chat": "/api/v1/conversations/{channel}/{customer}/live-chat",
		"/webchat/v1/visitors/:visitor/messages":             "/webchat/v1/visitors/{visitor}/messages",
		"/files/*path":                                       "/files/{path}",
	}
	for in, want := range cases {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// The document is served as-is at /api/openapi.yaml without Temporal.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	h := NewHandler(Deps{MaxBodyBytes: 1 << 20})
	rec := httptest.NewRecorder()
	req, err := http.NewRequest(http.MethodGet, "/api/openapi.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml: status %d, want 200", rec.Code)
	}
	if rec.Body.String() != string(openAPIDocument) {
		t.Error("GET /api/openapi.yaml does not serve the embedded document")
	}
}

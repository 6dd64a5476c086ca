package elasticsearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeES answers the few Elasticsearch 8 APIs the backend calls, records
// every request, and lets a test choose the answers.
type fakeES struct {
	srv *httptest.Server

	mu   sync.Mutex
	reqs []fakeReq
	// infoStatus is the status of GET / (0: 200).
	infoStatus int
	// existing indices; PUT /<index> of one answers resource_already_exists.
	existing map[string]bool
	// schema is the _meta.handoff_schema of existing indices' mappings.
	schema int
	// bulkStatus is the status of a whole bulk request (0: 200).
	bulkStatus int
	// bulkItem decides each bulk item's status and error type (nil: 201).
	bulkItem func(meta map[string]map[string]any, doc map[string]any) (int, string)
	// searchAnswer is the body of every search answer, unless searchFunc is
	// set: then it answers each search from its path and body.
	searchAnswer string
	searchFunc   func(path string, body map[string]any) string
}

type fakeReq struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Body         []byte
}

func newFakeES(t *testing.T) *fakeES {
	f := &fakeES{existing: map[string]bool{}, schema: schemaVersion,
		searchAnswer: `{"took":1,"timed_out":false,"hits":{"total":{"value":0,"relation":"eq"},"hits":[]}}`}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeES) requests(method, pathPrefix string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, fakeReq{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	answer := func(status int, v any) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, typ, reason string) {
		answer(status, map[string]any{
			"error":  map[string]any{"root_cause": []any{map[string]any{"type": typ, "reason": reason}}, "type": typ, "reason": reason},
			"status": status,
		})
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		if f.infoStatus != 0 && f.infoStatus != http.StatusOK {
			fail(f.infoStatus, "security_exception", "unable to authenticate user [handoff] for REST request [/]")
			return
		}
		answer(http.StatusOK, map[string]any{
			"name": "node-1", "cluster_name": "fake", "cluster_uuid": "x",
			"version": map[string]any{"number": "8.15.0", "build_flavor": "default", "lucene_version": "9.11.1"},
			"tagline": "You Know, for Search",
		})
	case r.Method == http.MethodPut && len(parts) == 2 && parts[0] == "_index_template":
		answer(http.StatusOK, map[string]any{"acknowledged": true})
	case r.Method == http.MethodPut && len(parts) == 1:
		if f.existing[parts[0]] {
			fail(http.StatusBadRequest, "resource_already_exists_exception", fmt.Sprintf("index [%s/abc] already exists", parts[0]))
			return
		}
		f.existing[parts[0]] = true
		answer(http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": parts[0]})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "_mapping":
		meta := map[string]any{}
		if f.schema != 0 {
			meta["handoff_schema"] = f.schema
		}
		answer(http.StatusOK, map[string]any{parts[0]: map[string]any{"mappings": map[string]any{"_meta": meta}}})
	case r.Method == http.MethodPut && len(parts) == 2 && parts[1] == "_mapping":
		answer(http.StatusOK, map[string]any{"acknowledged": true})
	case (r.Method == http.MethodPost || r.Method == http.MethodPut) && parts[len(parts)-1] == "_bulk":
		if f.bulkStatus != 0 && f.bulkStatus != http.StatusOK {
			fail(f.bulkStatus, "cluster_block_exception", "the cluster is busy")
			return
		}
		f.answerBulk(w, body, parts)
	case (r.Method == http.MethodPost || r.Method == http.MethodGet) && parts[len(parts)-1] == "_search":
		w.WriteHeader(http.StatusOK)
		answer := f.searchAnswer
		if f.searchFunc != nil {
			var req map[string]any
			_ = json.Unmarshal(body, &req)
			answer = f.searchFunc(r.URL.Path, req)
		}
		_, _ = io.WriteString(w, answer)
	default:
		fail(http.StatusNotFound, "fake_not_found", r.Method+" "+r.URL.Path)
	}
}

func (f *fakeES) answerBulk(w http.ResponseWriter, body []byte, parts []string) {
	lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
	var items []any
	errs := false
	for i := 0; i+1 < len(lines); i += 2 {
		var meta map[string]map[string]any
		var doc map[string]any
		if json.Unmarshal(lines[i], &meta) != nil || json.Unmarshal(lines[i+1], &doc) != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"error":{"type":"parse_exception","reason":"bad bulk line %d"},"status":400}`, i)
			return
		}
		status, typ := http.StatusCreated, ""
		if f.bulkItem != nil {
			status, typ = f.bulkItem(meta, doc)
		}
		index, _ := meta["index"]["_index"].(string)
		if index == "" && len(parts) == 2 {
			index = parts[0]
		}
		item := map[string]any{"_index": index, "_id": meta["index"]["_id"], "status": status}
		if typ != "" {
			errs = true
			item["error"] = map[string]any{"type": typ, "reason": "fake " + typ}
		} else {
			item["result"] = "created"
			item["_version"] = 1
		}
		items = append(items, map[string]any{"index": item})
	}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": errs, "items": items})
}

// bulkItems returns the (meta, doc) pairs of every bulk request so far.
func (f *fakeES) bulkItems(t *testing.T) []bulkPair {
	t.Helper()
	var out []bulkPair
	for _, r := range f.requests(http.MethodPost, "") {
		if !strings.HasSuffix(r.Path, "/_bulk") {
			continue
		}
		lines := bytes.Split(bytes.TrimRight(r.Body, "\n"), []byte("\n"))
		for i := 0; i+1 < len(lines); i += 2 {
			var p bulkPair
			p.Path = r.Path
			if err := json.Unmarshal(lines[i], &p.Meta); err != nil {
				t.Fatalf("bulk meta line %q: %v", lines[i], err)
			}
			if err := json.Unmarshal(lines[i+1], &p.Doc); err != nil {
				t.Fatalf("bulk document line %q: %v", lines[i+1], err)
			}
			out = append(out, p)
		}
	}
	return out
}

type bulkPair struct {
	Path string
	Meta map[string]map[string]any
	Doc  map[string]any
}

// dig walks nested JSON objects.
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

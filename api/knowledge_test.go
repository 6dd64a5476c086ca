package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
	"github.com/handoff-chat/handoff/workflows"
)

// fakeKnowledge keeps entries in memory the way the store does: a request
// ID reused for another entry is refused, an equal put changes nothing.
type fakeKnowledge struct {
	mu       sync.Mutex
	entries  map[string]knowledge.Entry
	requests map[string]string
	revision map[string]int64
	puts     []string // "author/requestID/id" of every put
	deletes  []string
	// beforeEdit runs inside Edit between its read and its write.
	beforeEdit func()
}

func newFakeKnowledge() *fakeKnowledge {
	return &fakeKnowledge{entries: map[string]knowledge.Entry{}, requests: map[string]string{}, revision: map[string]int64{}}
}

func (f *fakeKnowledge) List(context.Context) ([]knowledge.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []knowledge.Entry{}
	for _, e := range f.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b knowledge.Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fakeKnowledge) Export(ctx context.Context) ([]knowledge.Entry, error) { return f.List(ctx) }

func (f *fakeKnowledge) Get(_ context.Context, id string) (knowledgebase.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return knowledgebase.Record{}, &knowledgebase.NotFoundError{ID: id}
	}
	return knowledgebase.Record{Entry: e, Revision: f.revision[id], Changes: []workflows.KnowledgeChange{{Author: "alice", Action: workflows.KnowledgeCreated}}}, nil
}

func (f *fakeKnowledge) Edit(ctx context.Context, author, requestID, id string, change func(*knowledge.Entry) error) (knowledgebase.PutResult, error) {
	for {
		rec, err := f.Get(ctx, id)
		if err != nil {
			return knowledgebase.PutResult{}, err
		}
		if err := change(&rec.Entry); err != nil {
			return knowledgebase.PutResult{}, err
		}
		if f.beforeEdit != nil {
			f.beforeEdit()
		}
		res, err := f.Put(ctx, author, requestID, rec.Entry, rec.Revision)
		if _, mismatch := err.(*knowledgebase.RevisionMismatchError); !mismatch {
			return res, err
		}
	}
}

func (f *fakeKnowledge) Put(_ context.Context, author, requestID string, e knowledge.Entry, ifRevision int64) (knowledgebase.PutResult, error) {
	if err := e.Validate(); err != nil {
		return knowledgebase.PutResult{}, &knowledgebase.InvalidError{Reason: err.Error()}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, _ := json.Marshal(e)
	key := e.ID + "/" + requestID
	if prev, ok := f.requests[key]; ok && prev != string(raw) {
		return knowledgebase.PutResult{}, &chat.ReusedIDError{Field: "request_id"}
	}
	if ifRevision > 0 && ifRevision != f.revision[e.ID] {
		return knowledgebase.PutResult{}, &knowledgebase.RevisionMismatchError{ID: e.ID, Reason: fmt.Sprintf("knowledge entry %q is at revision %d, not %d", e.ID, f.revision[e.ID], ifRevision)}
	}
	f.requests[key] = string(raw)
	f.puts = append(f.puts, author+"/"+requestID+"/"+e.ID)
	outcome := workflows.KnowledgeCreated
	if old, ok := f.entries[e.ID]; ok {
		outcome = workflows.KnowledgeEdited
		if oldRaw, _ := json.Marshal(old); string(oldRaw) == string(raw) {
			outcome = workflows.KnowledgeUnchanged
		}
	}
	f.entries[e.ID] = e
	if outcome != workflows.KnowledgeUnchanged {
		f.revision[e.ID]++
	}
	return knowledgebase.PutResult{Outcome: outcome, Record: knowledgebase.Record{Entry: e, Revision: f.revision[e.ID], Changes: []workflows.KnowledgeChange{}}}, nil
}

func (f *fakeKnowledge) Delete(_ context.Context, author, requestID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.entries[id]; !ok {
		return &knowledgebase.NotFoundError{ID: id}
	}
	delete(f.entries, id)
	f.deletes = append(f.deletes, author+"/"+requestID+"/"+id)
	return nil
}

func (f *fakeKnowledge) Import(ctx context.Context, author string, entries []knowledge.Entry) (knowledgebase.ImportResult, error) {
	var res knowledgebase.ImportResult
	for _, e := range entries {
		r, err := f.Put(ctx, author, "import", e, 0)
		if err != nil {
			return res, err
		}
		res.Imported++
		switch r.Outcome {
		case workflows.KnowledgeCreated:
			res.Created++
		case workflows.KnowledgeEdited:
			res.Edited++
		default:
			res.Unchanged++
		}
	}
	return res, nil
}

func newKnowledgeTestAPI(t *testing.T, kb KnowledgeBase, temporalErr error, maxBody int64) *testAPI {
	t.Helper()
	fake := &fakeTemporal{err: temporalErr}
	logs := &bytes.Buffer{}
	h := NewHandler(Deps{
		Temporal:     fake,
		Knowledge:    kb,
		Staff:        testDirectory(),
		MaxBodyBytes: maxBody,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return &testAPI{handler: h, temporal: fake, log: logs}
}

const deliveryJSON = `{"lang":"bg","question":"Колко време отнема доставката?","answer":"1-2 работни дни.",` +
	`"translations":{"en":{"question":"How long does delivery take?","answer":"1-2 working days."}}}`

// A put with if_revision applies only at that revision: the second of two
// staff members who read the same revision gets 409 and what to do.
func TestKnowledgePutIfRevision(t *testing.T) {
	kb := newFakeKnowledge()
	a := newKnowledgeTestAPI(t, kb, nil, 1<<20)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", deliveryJSON); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	if r := a.staff("GET", "/api/v1/knowledge/delivery", ""); r.body["revision"] != 1.0 {
		t.Fatalf("get: %s, want revision 1", r.raw)
	}
	first := strings.Replace(deliveryJSON, "1-2 работни дни.", "1-3 работни дни.", 1)
	first = strings.Replace(first, `{`, `{"if_revision":1,`, 1)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", first); r.status != http.StatusOK || r.body["revision"] != 2.0 {
		t.Fatalf("edit at revision 1: %d %s", r.status, r.raw)
	}
	second := strings.Replace(deliveryJSON, "1-2 работни дни.", "2 работни дни.", 1)
	second = strings.Replace(second, `{`, `{"if_revision":1,`, 1)
	r := a.staff("PUT", "/api/v1/knowledge/delivery", second)
	if r.status != http.StatusConflict || !strings.Contains(r.errorText(), "revision 2, not 1") || !strings.Contains(r.errorText(), "read the entry again") {
		t.Errorf("stale edit: %d %s, want 409 naming the revisions", r.status, r.raw)
	}
	if got := kb.entries["delivery"].Answer; got != "1-3 работни дни." {
		t.Errorf("answer %q: the stale edit overwrote the first", got)
	}
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `{`, `{"if_revision":-1,`, 1)); r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), "if_revision") {
		t.Errorf("negative if_revision: %d %s, want 400", r.status, r.raw)
	}
}

func TestKnowledgePutGetListDelete(t *testing.T) {
	kb := newFakeKnowledge()
	a := newKnowledgeTestAPI(t, kb, nil, 1<<20)

	if r := a.staff("PUT", "/api/v1/knowledge/delivery", deliveryJSON); r.status != http.StatusCreated || r.body["outcome"] != "created" {
		t.Fatalf("create: %d %s, want 201 created", r.status, r.raw)
	}
	withID := strings.Replace(deliveryJSON, `{`, `{"id":"delivery","request_id":"r-2",`, 1)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", withID); r.status != http.StatusOK || r.body["outcome"] != "unchanged" {
		t.Errorf("the same entry with its id: %d %s, want 200 unchanged", r.status, r.raw)
	}
	edited := strings.Replace(withID, "1-2 работни дни.", "1-3 работни дни.", 1)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", edited); r.status != http.StatusConflict || !strings.Contains(r.errorText(), "request_id") {
		t.Errorf("r-2 with other content: %d %s, want 409 naming request_id", r.status, r.raw)
	}
	edited = strings.Replace(edited, "r-2", "r-3", 1)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", edited); r.status != http.StatusOK || r.body["outcome"] != "edited" {
		t.Errorf("edit: %d %s, want 200 edited", r.status, r.raw)
	}
	r := a.staff("GET", "/api/v1/knowledge/delivery", "")
	if entry, _ := r.body["entry"].(map[string]any); r.status != http.StatusOK || entry["answer"] != "1-3 работни дни." {
		t.Errorf("get: %d %s, want the edited entry", r.status, r.raw)
	}
	if _, ok := r.body["changes"].([]any); !ok {
		t.Errorf("get: %s has no changes", r.raw)
	}
	r = a.staff("GET", "/api/v1/knowledge", "")
	if entries, _ := r.body["entries"].([]any); r.status != http.StatusOK || len(entries) != 1 {
		t.Errorf("list: %d %s, want one entry", r.status, r.raw)
	}
	if r := a.staff("DELETE", "/api/v1/knowledge/delivery?request_id=d-1", ""); r.status != http.StatusNoContent {
		t.Errorf("delete: %d %s, want 204", r.status, r.raw)
	}
	if r := a.staff("GET", "/api/v1/knowledge/delivery", ""); r.status != http.StatusNotFound || r.errorText() != `no knowledge entry "delivery"` {
		t.Errorf("get after delete: %d %s, want 404 naming the entry", r.status, r.raw)
	}
	if r := a.staff("DELETE", "/api/v1/knowledge/delivery", ""); r.status != http.StatusNotFound {
		t.Errorf("delete again: %d %s, want 404", r.status, r.raw)
	}
	if r := a.staff("GET", "/api/v1/knowledge", ""); r.raw != `{"entries":[]}` {
		t.Errorf("empty list: %s, want an empty array", r.raw)
	}
	if len(kb.puts) != 3 || !strings.HasPrefix(kb.puts[0], "alice/") || kb.deletes[0] != "alice/d-1/delivery" {
		t.Errorf("puts %v deletes %v: want the staff member as author and the request IDs passed on", kb.puts, kb.deletes)
	}
}

func TestKnowledgeRequestsRefusedWith400NamingTheField(t *testing.T) {
	a := newKnowledgeTestAPI(t, newFakeKnowledge(), nil, 1<<20)
	for _, tc := range []struct {
		name, method, path, body, mention string
	}{
		{"another id in the body", "PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `{`, `{"id":"returns",`, 1), `"returns"`},
		{"malformed path id", "PUT", "/api/v1/knowledge/-x", deliveryJSON, "entry id"},
		{"malformed id on get", "GET", "/api/v1/knowledge/a%20b", "", "entry id"},
		{"unknown field", "PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `{`, `{"colour":"red",`, 1), "colour"},
		{"blank answer", "PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `"1-2 работни дни."`, `"  "`, 1), "answer"},
		{"upper-case language", "PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `"bg"`, `"BG"`, 1), "lang"},
		{"translation into its own language", "PUT", "/api/v1/knowledge/delivery", strings.Replace(deliveryJSON, `"en":`, `"bg":`, 1), "translations"},
		{"bad request_id", "DELETE", "/api/v1/knowledge/delivery?request_id=a%20b", "", "request_id"},
		{"import: not an array", "POST", "/api/v1/knowledge/import", deliveryJSON, "JSON array"},
		{"import: bad link", "POST", "/api/v1/knowledge/import",
			`[{"id":"a","lang":"en","question":"Q?","answer":"A."},{"id":"b","lang":"en","question":"Q?","answer":"A.","links":[{"title":"Shop","url":"ftp://x"}]}]`,
			`entry 2 ("b"): links[0].url`},
		{"import: an id twice", "POST", "/api/v1/knowledge/import",
			`[{"id":"a","lang":"en","question":"Q?","answer":"A."},{"id":"a","lang":"en","question":"Q2?","answer":"A2."}]`,
			`id "a" is also entry 1's`},
	} {
		r := a.staff(tc.method, tc.path, tc.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorText(), tc.mention) {
			t.Errorf("%s: %d %s, want 400 mentioning %s", tc.name, r.status, r.raw, tc.mention)
		}
	}
}

func TestKnowledgeImportAndExport(t *testing.T) {
	kb := newFakeKnowledge()
	a := newKnowledgeTestAPI(t, kb, nil, 1<<20)
	var entries []knowledge.Entry
	for i := range 30 {
		entries = append(entries, knowledge.Entry{ID: fmt.Sprintf("kb-%02d", i), Lang: "en", Question: fmt.Sprintf("Question %d?", i), Answer: "Answer."})
	}
	body, _ := json.Marshal(entries)
	r := a.staff("POST", "/api/v1/knowledge/import", string(body))
	if r.status != http.StatusOK || r.body["imported"] != float64(30) || r.body["created"] != float64(30) {
		t.Fatalf("import: %d %s, want 30 created", r.status, r.raw)
	}
	r = a.staff("POST", "/api/v1/knowledge/import", string(body))
	if r.status != http.StatusOK || r.body["imported"] != float64(30) || r.body["unchanged"] != float64(30) {
		t.Errorf("import again: %d %s, want 30 unchanged", r.status, r.raw)
	}
	r = a.staff("GET", "/api/v1/knowledge/export", "")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), "knowledge.json") {
		t.Fatalf("export: %d %v", r.status, r.header)
	}
	exported, err := knowledge.Decode(strings.NewReader(r.raw))
	if err != nil {
		t.Fatalf("the export does not decode in the exchange format: %v", err)
	}
	if len(exported) != 30 || exported[0].ID != "kb-00" || exported[29].ID != "kb-29" {
		t.Errorf("exported %d entries, want all 30 in order", len(exported))
	}

	small := newKnowledgeTestAPI(t, kb, nil, 100)
	if r := small.staff("POST", "/api/v1/knowledge/import", string(body)); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("import over http.max_body_bytes: %d %s, want 413", r.status, r.raw)
	}
}

// ListWorkflow answers the knowledge base's visibility listing with err.
func (f *fakeTemporal) ListWorkflow(ctx context.Context, _ *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	return &workflowservice.ListWorkflowExecutionsResponse{}, f.call(ctx, "ListWorkflow")
}

func TestKnowledgeTemporalUnavailableIs503(t *testing.T) {
	for _, tc := range unavailableErrors {
		a := newKnowledgeTestAPI(t, nil, tc.err, 1<<20)
		a.handler = NewHandler(Deps{
			Temporal: a.temporal, Knowledge: knowledgebase.NewStore(a.temporal),
			Staff: testDirectory(), MaxBodyBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler),
		})
		for _, req := range []struct{ method, path, body string }{
			{"PUT", "/api/v1/knowledge/delivery", deliveryJSON},
			{"DELETE", "/api/v1/knowledge/delivery", ""},
			{"GET", "/api/v1/knowledge/delivery", ""},
			{"GET", "/api/v1/knowledge", ""},
			{"GET", "/api/v1/knowledge/export", ""},
		} {
			r := a.staff(req.method, req.path, req.body)
			if want := retryWording(tc.timedOut, "request_id"); r.status != http.StatusServiceUnavailable || r.errorText() != want {
				t.Errorf("%s: %s %s: %d %s, want 503 %q", tc.name, req.method, req.path, r.status, r.raw, want)
			}
		}
		r := a.staff("POST", "/api/v1/knowledge/import", "["+strings.Replace(deliveryJSON, `{`, `{"id":"delivery",`, 1)+"]")
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.errorText(), "importing the same file again is safe") ||
			strings.Contains(r.raw, "10.1.2.3") {
			t.Errorf("%s: import: %d %s, want 503 saying a repeated import is safe", tc.name, r.status, r.raw)
		}
	}
}

// An import may be as large as MaxImportBytes; every other body stays within
// MaxBodyBytes.
func TestKnowledgeImportHasItsOwnBodyLimit(t *testing.T) {
	var entries []knowledge.Entry
	for i := range 20 {
		entries = append(entries, knowledge.Entry{ID: fmt.Sprintf("kb-%02d", i), Lang: "en", Question: fmt.Sprintf("Question %d?", i), Answer: "Answer."})
	}
	body, _ := json.Marshal(entries)
	newAPI := func(maxImport int64) *testAPI {
		return &testAPI{handler: NewHandler(Deps{
			Temporal: &fakeTemporal{}, Knowledge: newFakeKnowledge(), Staff: testDirectory(),
			MaxBodyBytes: 1024, MaxImportBytes: maxImport, Logger: slog.New(slog.DiscardHandler),
		})}
	}
	a := newAPI(int64(len(body)))
	if r := a.staff("POST", "/api/v1/knowledge/import", string(body)); r.status != http.StatusOK || r.body["imported"] != float64(20) {
		t.Errorf("import of %d bytes within MaxImportBytes: %d %s, want 200", len(body), r.status, r.raw)
	}
	long := strings.Replace(deliveryJSON, "1-2 работни дни.", strings.Repeat("1-2 работни дни. ", 100), 1)
	if r := a.staff("PUT", "/api/v1/knowledge/delivery", long); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a put over MaxBodyBytes: %d %s, want 413", r.status, r.raw)
	}
	if r := newAPI(int64(len(body))-1).staff("POST", "/api/v1/knowledge/import", string(body)); r.status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(r.errorText(), fmt.Sprint(len(body)-1)) {
		t.Errorf("an import over MaxImportBytes: %d %s, want 413 naming the limit", r.status, r.raw)
	}
}

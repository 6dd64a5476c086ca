package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/workflows"
)

// listedKnowledge is the staff list of knowledge entries, by ID, or the
// answer when it is not 200.
func (a *api) listedKnowledge() (map[string]knowledge.Entry, error) {
	a.t.Helper()
	r := a.do("GET", "/api/v1/knowledge", nil, true)
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("list knowledge: %d %s", r.status, r.body)
	}
	var list struct{ Entries []knowledge.Entry }
	if err := json.Unmarshal(r.body, &list); err != nil {
		a.t.Fatal(err)
	}
	out := map[string]knowledge.Entry{}
	for _, e := range list.Entries {
		out[e.ID] = e
	}
	return out, nil
}

// waitKnowledge polls the list (Temporal's visibility store is updated
// asynchronously; an embedded server restarted in this process answers
// slowly at first) until ok holds.
func (a *api) waitKnowledge(what string, ok func(map[string]knowledge.Entry) bool) map[string]knowledge.Entry {
	a.t.Helper()
	var listed map[string]knowledge.Entry
	waitUntil(a.t, time.Minute, what, func() (bool, error) {
		l, err := a.listedKnowledge()
		if err != nil {
			return false, err
		}
		listed = l
		return ok(listed), fmt.Errorf("the list has %d entries", len(listed))
	})
	return listed
}

// The knowledge base through the staff API against the real embedded
// Temporal: create, edit with its audit trail, retries, delete, import and
// export; every entry is its own KnowledgeEntry workflow.
func TestKnowledgeBaseThroughTheStaffAPI(t *testing.T) {
	a := newAPI(t, shared)
	prefix := fmt.Sprintf("e2e-%d-", time.Now().UnixNano())
	id := prefix + "delivery"
	put := map[string]any{
		"lang": "bg", "question": "Колко време отнема доставката?", "answer": "1-2 работни дни.",
		"translations": map[string]any{"en": map[string]any{"question": "How long does delivery take?", "answer": "1-2 working days."}},
		"request_id":   "put-1",
	}
	if r := a.expect(http.StatusCreated, "PUT", "/api/v1/knowledge/"+id, put, true); r["outcome"] != "created" {
		t.Errorf("create: %v", r)
	}
	if r := a.expect(http.StatusCreated, "PUT", "/api/v1/knowledge/"+id, put, true); r["outcome"] != "created" {
		t.Errorf("retried create: %v, want the first answer again", r)
	}
	put["answer"] = "1-3 работни дни."
	if r := a.do("PUT", "/api/v1/knowledge/"+id, put, true); r.status != http.StatusConflict {
		t.Errorf("put-1 with another answer: %d %s, want 409", r.status, r.body)
	}
	put["request_id"] = "put-2"
	if r := a.expect(http.StatusOK, "PUT", "/api/v1/knowledge/"+id, put, true); r["outcome"] != "edited" {
		t.Errorf("edit: %v", r)
	}
	var rec struct {
		Entry   knowledge.Entry
		Changes []workflows.KnowledgeChange
	}
	if err := json.Unmarshal(a.do("GET", "/api/v1/knowledge/"+id, nil, true).body, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Entry.Answer != "1-3 работни дни." || rec.Entry.Translations["en"].Answer != "1-2 working days." {
		t.Errorf("entry %+v, want the edit", rec.Entry)
	}
	if len(rec.Changes) != 2 || rec.Changes[0].Author != "alice" || rec.Changes[0].Action != "created" ||
		rec.Changes[1].Action != "edited" || strings.Join(rec.Changes[1].Fields, ",") != "answer" || rec.Changes[1].At.IsZero() {
		t.Errorf("changes %+v, want alice's creation and her edit of the answer", rec.Changes)
	}

	// The entry is a workflow of its own, whose history is the audit trail.
	desc, err := shared.Client().DescribeWorkflowExecution(context.Background(), workflows.KnowledgeWorkflowID(id), "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetType().GetName() != workflows.KnowledgeWorkflowName {
		t.Errorf("workflow %s: %v %v", workflows.KnowledgeWorkflowID(id), desc, err)
	}

	var entries []knowledge.Entry
	for i := range 12 {
		entries = append(entries, knowledge.Entry{
			ID: fmt.Sprintf("%simport-%02d", prefix, i), Lang: "en",
			Question: fmt.Sprintf("Question %d?", i), Answer: fmt.Sprintf("Answer %d.", i),
			Links: []knowledge.Link{{Title: "Shop", URL: "https://shop.example.com/"}},
		})
	}
	imported := a.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", entries, true)
	if imported["imported"] != float64(12) || imported["created"] != float64(12) {
		t.Errorf("import: %v, want 12 created", imported)
	}
	again := a.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", entries, true)
	if again["imported"] != float64(12) || again["unchanged"] != float64(12) {
		t.Errorf("the same import again: %v, want 12 unchanged", again)
	}
	bad := a.do("POST", "/api/v1/knowledge/import", `[{"id":"x","lang":"en","question":"Q?","answer":""}]`, true)
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.errorMessage(t), `entry 1 ("x"): answer`) {
		t.Errorf("invalid import: %d %s, want 400 naming the entry and field", bad.status, bad.body)
	}

	ours := func(listed map[string]knowledge.Entry) int {
		n := 0
		for k := range listed {
			if strings.HasPrefix(k, prefix) {
				n++
			}
		}
		return n
	}
	a.waitKnowledge("13 entries of this test in the list", func(l map[string]knowledge.Entry) bool { return ours(l) == 13 })

	if r := a.do("DELETE", "/api/v1/knowledge/"+prefix+"import-03?request_id=del-1", nil, true); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s, want 204", r.status, r.body)
	}
	if r := a.do("DELETE", "/api/v1/knowledge/"+prefix+"import-03?request_id=del-1", nil, true); r.status != http.StatusNoContent {
		t.Errorf("retried delete: %d %s, want 204", r.status, r.body)
	}
	if r := a.do("DELETE", "/api/v1/knowledge/"+prefix+"import-03", nil, true); r.status != http.StatusNotFound {
		t.Errorf("delete of a deleted entry: %d %s, want 404", r.status, r.body)
	}
	if r := a.do("GET", "/api/v1/knowledge/"+prefix+"import-03", nil, true); r.status != http.StatusNotFound {
		t.Errorf("get of a deleted entry: %d %s, want 404", r.status, r.body)
	}
	if r := a.do("GET", "/api/v1/knowledge/"+prefix+"never", nil, true); r.status != http.StatusNotFound {
		t.Errorf("get of an unknown entry: %d %s, want 404", r.status, r.body)
	}
	listed := a.waitKnowledge("the deleted entry to leave the list", func(l map[string]knowledge.Entry) bool { return ours(l) == 12 })
	if _, ok := listed[prefix+"import-03"]; ok {
		t.Error("the deleted entry is listed")
	}

	r := a.do("GET", "/api/v1/knowledge/export", nil, true)
	exported, err := knowledge.Decode(strings.NewReader(string(r.body)))
	if r.status != http.StatusOK || err != nil {
		t.Fatalf("export: %d %v", r.status, err)
	}
	byID := map[string]knowledge.Entry{}
	for _, e := range exported {
		byID[e.ID] = e
	}
	if e := byID[prefix+"import-07"]; e.Answer != "Answer 7." || len(e.Links) != 1 {
		t.Errorf("exported %+v, want the imported entry as it was", e)
	}
	if ours(byID) != 12 {
		t.Errorf("export has %d entries of this test, want 12", ours(byID))
	}

	// Importing the entries again restores the deleted one, with its
	// history continued.
	restored := a.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", entries, true)
	if restored["created"] != float64(1) || restored["unchanged"] != float64(11) {
		t.Errorf("import after a delete: %v, want the deleted entry created again and 11 unchanged", restored)
	}
	var back struct {
		Revision int64                       `json:"revision"`
		Changes  []workflows.KnowledgeChange `json:"changes"`
	}
	if err := json.Unmarshal(a.do("GET", "/api/v1/knowledge/"+prefix+"import-03", nil, true).body, &back); err != nil ||
		back.Revision != 3 || len(back.Changes) != 3 || back.Changes[2].Action != workflows.KnowledgeCreated {
		t.Errorf("restored entry: revision %d, changes %+v (%v), want created, deleted, created", back.Revision, back.Changes, err)
	}
}

// The example knowledge base is loaded on the first start of the embedded
// all-in-one mode and never again: a later start leaves an entry deleted
// since then deleted, and a knowledge base with entries is not loaded into.
func TestKnowledgeSeedLoadsOnTheFirstStartOnly(t *testing.T) {
	seed, err := filepath.Abs(filepath.Join("..", "..", "knowledge", "shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(seed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := knowledge.Decode(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Bot.KnowledgeSeed = seed
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	listed := c.waitKnowledge(fmt.Sprintf("the %d entries of %s", len(want), seed), func(l map[string]knowledge.Entry) bool { return len(l) == len(want) })
	if e := listed["delivery-price"]; e.Translations["en"].Answer == "" || !strings.Contains(e.Answer, "40 €") {
		t.Errorf("delivery-price %+v, want the example's entry with its English translation", e)
	}
	var rec struct{ Changes []workflows.KnowledgeChange }
	if err := json.Unmarshal(c.do("GET", "/api/v1/knowledge/returns", nil, true).body, &rec); err != nil || len(rec.Changes) != 1 || rec.Changes[0].Author != "bot.knowledge_seed" {
		t.Errorf("changes of a seeded entry %+v (%v), want one by bot.knowledge_seed", rec.Changes, err)
	}
	if r := c.do("DELETE", "/api/v1/knowledge/returns", nil, true); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}

	if err := a.SeedKnowledge(context.Background()); err != nil {
		t.Fatalf("a later start: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, app.KnowledgeSeededFile)); err != nil {
		t.Fatalf("the first start left no %s: %v", app.KnowledgeSeededFile, err)
	}
	if err := a.SeedKnowledge(context.Background()); err != nil {
		t.Fatalf("a start with entries but no %s: %v", app.KnowledgeSeededFile, err)
	}
	if r := c.do("GET", "/api/v1/knowledge/returns", nil, true); r.status != http.StatusNotFound {
		t.Errorf("the deleted entry after later starts: %d %s, want 404", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(dir, app.KnowledgeSeededFile)); err != nil {
		t.Errorf("a start that found entries left no %s: %v", app.KnowledgeSeededFile, err)
	}

	// A first load that died half-way (its marker says it began, not that
	// it ended) is finished on the next start, although entries exist.
	if err := os.Remove(filepath.Join(dir, app.KnowledgeSeededFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app.KnowledgeSeededFile+".loading"), []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.SeedKnowledge(context.Background()); err != nil {
		t.Fatalf("a start after an interrupted load: %v", err)
	}
	if r := c.do("GET", "/api/v1/knowledge/returns", nil, true); r.status != http.StatusOK {
		t.Errorf("after the interrupted load was finished: returns is %d %s, want 200", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(dir, app.KnowledgeSeededFile+".loading")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the finished load left its .loading marker: %v", err)
	}

	cfg = testConfig(t.TempDir())
	cfg.Bot.KnowledgeSeed = filepath.Join(t.TempDir(), "missing.json")
	if b, err := app.Start(context.Background(), cfg, app.RoleAll, testLogger()); err == nil || !strings.Contains(err.Error(), "bot.knowledge_seed") {
		if b != nil {
			b.Stop()
		}
		t.Errorf("start with a missing seed file: %v, want an error naming bot.knowledge_seed", err)
	}
}

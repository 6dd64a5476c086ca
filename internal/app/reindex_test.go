package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/dirlock"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
	"github.com/handoff-chat/handoff/internal/reindex"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/searchtest"
	"github.com/handoff-chat/handoff/workflows"
)

// sentMessage is a customer or staff message the test sent, to be found
// again by its words in its conversation.
type sentMessage struct {
	channel, customer, sender, id, text string
}

func (m sentMessage) conversationID() string {
	return workflows.ConversationWorkflowID(m.channel, m.customer)
}

// longConversation is how many customer messages the long conversation
// gets: more than the 100 its workflow state keeps, over several runs.
const longConversation = 110

// The search index is a projection of Temporal: with the Bleve directory
// of a stopped handoff deleted, `handoff reindex` writes back every message
// of every run (a run whose window closed, runs before continue-as-new,
// messages the workflow state no longer keeps), the conversation
// documents, the knowledge base with its tombstones, and so the template
// send counts and the AI's statistics: the rebuilt index holds what the
// lost one held, and a second rebuild changes nothing. While handoff runs,
// a rebuild refuses its data directory and goes through the running
// process instead. Every handoff and every rebuild is a process of its own.
func TestReindexRebuildsTheLostIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("runs handoff three times and rebuilds its index")
	}
	dir := t.TempDir()
	const page, pageToken = "1000000003", "EAAB-reindex-page-token"
	graph := graphapitest.NewServer(t, map[string]string{page: pageToken})
	frontend := freeAddr(t)
	env := []string{
		"HANDOFF_DATA_DIR=" + dir,
		"HANDOFF_TEMPORAL_EMBEDDED_FRONTEND_ADDR=" + frontend,
		"HANDOFF_AUTH_TOKENS=alice:" + staffToken,
		"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE=0",
		"HANDOFF_TEMPORAL_MAX_HISTORY_EVENTS=100",
		"HANDOFF_MESSENGER_APP_SECRET=" + appSecret,
		"HANDOFF_MESSENGER_VERIFY_TOKEN=" + verifyToken,
		"HANDOFF_MESSENGER_PAGES=" + page + ":" + pageToken,
		"HANDOFF_MESSENGER_GRAPH_URL=" + graph.URL,
	}
	client := func(httpAddr string) *api {
		return &api{t: t, base: "http://" + httpAddr, token: staffToken, visitorTokens: map[string]string{}}
	}
	var sent []sentMessage

	// A customer whose first visit's window closed: a completed run, and a
	// second run after it.
	first, httpAddr, _ := startChildOnFreePorts(t, dir, append(env, "HANDOFF_E2E_WINDOW=8s"))
	c := client(httpAddr)
	returning := c.newVisitor()
	c.say(returning, map[string]any{"id": "r-1", "text": "Can I return opened headphones?", "name": "Returning Rita"})
	c.waitTranscript(returning, func(m []message) bool { return len(m) == 2 })
	temporal, err := sdkclient.Dial(sdkclient.Options{HostPort: frontend, Logger: sdklog.NewStructuredLogger(testLogger())})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, "the first visit's run to end with its window", func() (bool, error) {
		desc, err := temporal.DescribeWorkflowExecution(context.Background(), workflows.ConversationWorkflowID("webchat", returning), "")
		if err != nil {
			return false, err
		}
		status := desc.GetWorkflowExecutionInfo().GetStatus()
		return status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, fmt.Errorf("the run is %s", status)
	})
	temporal.Close()
	c.say(returning, map[string]any{"id": "r-2", "text": "Back again about the headphones refund"})
	sent = append(sent, sentMessage{"webchat", returning, "customer", "r-1", "Can I return opened headphones?"},
		sentMessage{"webchat", returning, "customer", "r-2", "Back again about the headphones refund"})
	first.stop(t)

	second, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	c = client(httpAddr)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(`[
  {"id": "delivery-price", "lang": "en", "question": "How much does delivery cost?",
   "alternates": ["What is the shipping fee?"], "answer": "Delivery is free for orders over 50 EUR."},
  {"id": "gift-wrap", "lang": "en", "question": "Do you gift wrap?", "answer": "Yes, for free."}]`), true)
	if r := c.do("DELETE", "/api/v1/knowledge/gift-wrap", nil, true); r.status != http.StatusNoContent {
		t.Fatalf("delete an entry: %d %s", r.status, r.body)
	}
	template := c.expect(http.StatusCreated, "POST", "/api/v1/templates", map[string]any{
		"kind": "text", "title": "Order on its way", "text": "Your order is on its way, {name}.",
	}, true)["id"].(string)

	// A long web chat conversation: live chat on (the bot is silent), staff
	// replies, one from the template, more customer messages than the
	// workflow keeps, continued as new several times.
	long := c.newVisitor()
	c.say(long, map[string]any{"id": "l-0", "text": "Hello, I have many questions", "name": "Long Lena"})
	c.waitTranscript(long, func(m []message) bool { return len(m) == 2 })
	c.expect(http.StatusOK, "POST", conversationPath(long)+"/live-chat", map[string]any{"on": true}, true)
	sent = append(sent, sentMessage{"webchat", long, "customer", "l-0", "Hello, I have many questions"})
	for i := 1; i <= longConversation; i++ {
		text := fmt.Sprintf("question number %d about parcel %d", i, 1000+i)
		c.say(long, map[string]any{"id": fmt.Sprintf("l-%d", i), "text": text})
		sent = append(sent, sentMessage{"webchat", long, "customer", fmt.Sprintf("l-%d", i), text})
		if i%40 == 0 {
			id, text := fmt.Sprintf("l-staff-%d", i), fmt.Sprintf("Answering parcel %d now", 1000+i)
			body := map[string]any{"id": id, "text": text}
			if i == 40 {
				body["template_id"] = template
			}
			c.expect(http.StatusCreated, "POST", conversationPath(long)+"/messages", body, true)
			sent = append(sent, sentMessage{"webchat", long, "staff", id, text})
		}
	}

	// A Messenger customer with two staff replies, one from the template.
	psid := fmt.Sprintf("4%015d", time.Now().UnixNano()%1e15)
	graph.SetProfile(psid, "Мира", "Колева")
	messengerPath := "/api/v1/conversations/messenger/" + psid
	deliver(t, c.base, messengerEvent(page, psid, `{"mid":"rx_m_1","text":"Здравейте, пратката ми закъснява"}`))
	waitUntil(t, 20*time.Second, "the Messenger conversation to start", func() (bool, error) {
		r := c.do("GET", messengerPath, nil, true)
		return r.status == http.StatusOK, fmt.Errorf("status %d", r.status)
	})
	c.expect(http.StatusCreated, "POST", messengerPath+"/messages", map[string]any{"id": "rx-s-1", "text": "Проверявам пратката", "template_id": template}, true)
	deliver(t, c.base, messengerEvent(page, psid, `{"mid":"rx_m_2","text":"Благодаря за бързия отговор"}`))
	c.expect(http.StatusCreated, "POST", messengerPath+"/messages", map[string]any{"id": "rx-s-2", "text": "Пратката пристига утре"}, true)
	sent = append(sent, sentMessage{"messenger", psid, "customer", "rx_m_1", "Здравейте, пратката ми закъснява"},
		sentMessage{"messenger", psid, "staff", "rx-s-1", "Проверявам пратката"},
		sentMessage{"messenger", psid, "customer", "rx_m_2", "Благодаря за бързия отговор"},
		sentMessage{"messenger", psid, "staff", "rx-s-2", "Пратката пристига утре"})

	// The AI answers a question from the knowledge base: its marker is on
	// the message and counted in the entry's statistics.
	askUntilAnswered(t, c)

	for _, m := range sent {
		waitSearchable(t, c, m)
	}
	if msgs := c.transcript(long, 0); slices.ContainsFunc(msgs, func(m message) bool { return m.ID == "l-1" }) {
		t.Fatalf("the workflow still keeps the first messages (%d kept): none is only in the history", len(msgs))
	}
	before := apiViews(t, c)
	if !strings.Contains(before, template+" sent 2") || !strings.Contains(before, "delivery-price answered ") {
		t.Fatalf("before the loss: %s; want the template sent twice and the entry's answers counted", before)
	}
	second.stop(t)

	searchDir := filepath.Join(dir, "search")
	held := indexSnapshot(t, searchDir, sent)
	if strings.Contains(held, "found false") {
		t.Fatalf("the index before the loss misses messages:\n%s", held)
	}
	if err := os.RemoveAll(searchDir); err != nil {
		t.Fatal(err)
	}
	sum := reindexInChild(t, dir, env)
	if sum.Conversations != 4 || sum.Runs < 6 || sum.Knowledge != 2 || sum.Deleted != 1 || len(sum.Failures) != 0 || sum.Messages < len(sent) {
		t.Errorf("summary %+v, want 4 conversations, the long one over several runs and the returning customer's two, 2 entries (1 deleted), no failure, every message", sum)
	}
	if got := indexSnapshot(t, searchDir, sent); got != held {
		t.Errorf("the rebuilt index holds\n%s\nthe lost one held\n%s", got, held)
	}
	again := reindexInChild(t, dir, env)
	if got := indexSnapshot(t, searchDir, sent); got != held || again.Messages != sum.Messages || again.Documents != sum.Documents {
		t.Errorf("a second rebuild (%s) left\n%s\nwant\n%s", again, got, held)
	}

	// The running process holds the data directory: a rebuild refuses it,
	// and goes through the process instead.
	share := freeAddr(t)
	const shareToken = "reindex-share-token-0123456789"
	third, httpAddr, _ := startChildOnFreePorts(t, dir, append(env,
		"HANDOFF_SEARCH_BLEVE_SERVE_ADDR="+share, "HANDOFF_SEARCH_REMOTE_TOKEN="+shareToken))
	defer third.stop(t)
	c = client(httpAddr)
	cfg := testConfig(dir)
	_, err = app.Reindex(context.Background(), cfg, reindex.Options{}, testLogger())
	if !errors.Is(err, dirlock.ErrInUse) || !strings.Contains(err.Error(), fmt.Sprint(third.cmd.Process.Pid)) || !strings.Contains(err.Error(), "search.backend remote") {
		t.Errorf("a rebuild beside the running process: %v, want the data directory in use, by whom, and how to go through it", err)
	}
	cfg.Temporal.Address = frontend
	cfg.Search.Backend = config.SearchRemote
	cfg.Search.Remote = config.RemoteIndex{URL: "http://" + share, Token: shareToken}
	live, err := app.Reindex(context.Background(), cfg, reindex.Options{}, testLogger())
	if err != nil {
		t.Fatalf("reindex through the running process: %v", err)
	}
	t.Logf("through the running process: %s", live)
	if live.Messages != sum.Messages || live.Documents != sum.Documents || live.Knowledge != sum.Knowledge {
		t.Errorf("through the running process: %s, want what the offline rebuild wrote (%s)", live, sum)
	}

	for _, m := range sent {
		waitSearchable(t, c, m)
	}
	if after := apiViews(t, c); after != before {
		t.Errorf("after the rebuild the API shows\n%s\nbefore it showed\n%s", after, before)
	}
	askUntilAnswered(t, c)
}

// reindexInChild runs a rebuild of the data directory in a process of its
// own, as `handoff reindex` does, and returns its summary.
func reindexInChild(t *testing.T, dir string, env []string) reindex.Summary {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HANDOFF_E2E_CHILD=reindex"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("reindex: %v\n%s", err, stderr.String())
	}
	var sum reindex.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("reindex printed %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	t.Logf("reindex: %s; %.0f messages/s", sum, float64(sum.Messages)/sum.Elapsed.Seconds())
	return sum
}

// reindexChild is the rebuild child process: it rebuilds the index of the
// configured data directory and prints its summary as JSON.
func reindexChild(ctx context.Context, cfg *config.Config, logger *slog.Logger) int {
	sum, err := app.Reindex(ctx, cfg, reindex.Options{Progress: os.Stderr, Logger: logger}, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(sum); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// waitSearchable waits until staff find the message in its conversation by
// its words.
func waitSearchable(t *testing.T, c *api, m sentMessage) {
	t.Helper()
	path := "/api/v1/conversations/" + m.channel + "/" + m.customer + "/search?size=100&q=" + url.QueryEscape(m.text)
	waitUntil(t, 20*time.Second, fmt.Sprintf("%s message %s to be searchable", m.sender, m.id), func() (bool, error) {
		res := c.expect(http.StatusOK, "GET", path, nil, true)
		for _, h := range res["hits"].([]any) {
			if msg := h.(map[string]any)["message"].(map[string]any); msg["id"] == m.id && msg["sender"] == m.sender {
				return true, nil
			}
		}
		return false, fmt.Errorf("the search found %v", res)
	})
}

// apiViews is what staff see of the index through the API: the staff list
// (the open conversations, their names, states and previews), the
// templates' send counts and the knowledge entries' statistics.
func apiViews(t *testing.T, c *api) string {
	t.Helper()
	var b strings.Builder
	var rows []string
	for _, row := range c.expect(http.StatusOK, "GET", "/api/v1/conversations", nil, true)["conversations"].([]any) {
		r := row.(map[string]any)
		rows = append(rows, fmt.Sprintf("%v %v %v %v %q", r["channel"], r["customer_name"], r["state"], r["last_message_at"], r["preview"]))
	}
	slices.Sort(rows)
	b.WriteString(strings.Join(rows, "\n") + "\n")
	for _, tpl := range c.expect(http.StatusOK, "GET", "/api/v1/templates", nil, true)["templates"].([]any) {
		tp := tpl.(map[string]any)
		fmt.Fprintf(&b, "template %v sent %v\n", tp["id"], tp["sent"])
	}
	for _, e := range c.expect(http.StatusOK, "GET", "/api/v1/knowledge/stats", nil, true)["entries"].([]any) {
		st := e.(map[string]any)
		fmt.Fprintf(&b, "%v answered %v helped %v asked for a human %v\n", st["entry_id"], st["answered"], st["helped"], st["asked_for_human"])
	}
	return b.String()
}

// indexSnapshot opens the Bleve index under dir (handoff is stopped) and
// describes what it holds: how many messages each sent message's words
// find in its conversation and whether it is among them, every
// conversation document but the moment it was stored, the template send
// counts, the knowledge base and its version, the entries' statistics and
// the declined questions.
func indexSnapshot(t *testing.T, dir string, sent []sentMessage) string {
	t.Helper()
	idx, err := bleveindex.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := idx.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	var b strings.Builder
	for _, m := range sent {
		res, err := idx.SearchMessages(ctx, search.MessageQuery{ConversationID: m.conversationID(), Text: m.text, Size: search.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(res.Hits, func(h search.MessageHit) bool { return h.Message.ID == m.id && h.Message.Sender == m.sender })
		fmt.Fprintf(&b, "%s %s/%s: %d hits, found %v\n", m.conversationID(), m.sender, m.id, res.Total, found)
	}
	b.WriteString(searchtest.ConversationDocuments(t, idx, 1000))
	sends, err := idx.TemplateSends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := idx.KnowledgeEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := idx.EntryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	declined, err := idx.DeclinedQuestions(ctx, search.DeclinedQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, e := range kb.Entries {
		entries = append(entries, e.ID)
	}
	fmt.Fprintf(&b, "template sends %+v\nknowledge %v at version %d\nentry stats %+v\ndeclined %d\n", sends, entries, kb.Version, stats, len(declined))
	return b.String()
}

// A process that would use the embedded Temporal server's database or the
// Bleve index of a data directory another process holds refuses to start,
// naming the directory and the holder, before it opens either.
func TestADataDirectoryInUseIsRefused(t *testing.T) {
	dir := t.TempDir()
	held, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	a, err := app.Start(context.Background(), testConfig(dir), app.RoleAll, testLogger())
	if err == nil {
		a.Stop()
		t.Fatal("a second all-in-one process on the data directory started")
	}
	if !errors.Is(err, dirlock.ErrInUse) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("error %q, want the data directory in use, by this process", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "temporal.db")); !os.IsNotExist(err) {
		t.Errorf("the refused process created the Temporal database (stat: %v)", err)
	}

	// The lock is given back at the stop: the next process on the
	// directory starts.
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	startApp(t, testConfig(dir), app.RoleAll).Stop()
	again, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("after the process stopped: %v", err)
	}
	_ = again.Release()
}

package elasticsearch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/searchtest"
	"github.com/handoff-chat/handoff/search/textanalysis"
)

// TestConformance runs the backend conformance suite against a real cluster.
func TestConformance(t *testing.T) {
	base := liveOptions(t)
	searchtest.Run(t, func(t *testing.T) search.Index {
		opts := base
		var b [6]byte
		_, _ = rand.Read(b[:])
		opts.IndexPrefix = "handofftest-" + hex.EncodeToString(b[:])
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		x, err := New(ctx, opts, nil)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := x.client.Indices.Delete([]string{x.messages, x.conversations}, x.client.Indices.Delete.WithContext(ctx))
			if err != nil {
				t.Errorf("delete indices: %v", err)
			} else {
				if res.IsError() {
					t.Errorf("delete indices: %s", res)
				}
				closeBody(res)
			}
			for _, name := range []string{x.messages, x.conversations} {
				res, err := x.client.Indices.DeleteIndexTemplate(name, x.client.Indices.DeleteIndexTemplate.WithContext(ctx))
				if err != nil {
					t.Errorf("delete index template %s: %v", name, err)
					continue
				}
				if res.IsError() {
					t.Errorf("delete index template %s: %s", name, res)
				}
				closeBody(res)
			}
			if err := x.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return x
	})
}

// liveOptions reads the cluster to test against from the environment.
func liveOptions(t *testing.T) Options {
	addr := os.Getenv("ELASTICSEARCH_URL")
	if addr == "" {
		t.Skip("no cluster: set ELASTICSEARCH_URL (comma-separated URLs, e.g. http://localhost:9200) and, if the cluster needs them, " +
			"ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD, and ELASTICSEARCH_CA_CERT (a PEM file) " +
			"to run the conformance suite; a local cluster: docker run --rm -p 9200:9200 -e discovery.type=single-node " +
			"-e xpack.security.enabled=false docker.elastic.co/elasticsearch/elasticsearch:8.15.0")
	}
	return Options{
		Addresses:  strings.Split(addr, ","),
		APIKey:     os.Getenv("ELASTICSEARCH_API_KEY"),
		Username:   os.Getenv("ELASTICSEARCH_USERNAME"),
		Password:   os.Getenv("ELASTICSEARCH_PASSWORD"),
		CACertFile: os.Getenv("ELASTICSEARCH_CA_CERT"),
	}
}

// openFake opens the backend on a fake cluster.
func openFake(t *testing.T, f *fakeES, opts Options) *Index {
	t.Helper()
	opts.Addresses = []string{f.srv.URL}
	if opts.IndexPrefix == "" {
		opts.IndexPrefix = "test"
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 10 * time.Millisecond
	}
	x, err := New(context.Background(), opts, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

func TestOptionValidation(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	addr := []string{"http://127.0.0.1:1"}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no addresses", Options{}, "search.elasticsearch.addresses must list at least one URL"},
		{"address without scheme", Options{Addresses: []string{"localhost:9200"}}, "search.elasticsearch.addresses[0] must be an http:// or https:// URL"},
		{"address with another scheme", Options{Addresses: []string{"http://ok:9200", "ftp://es"}}, "search.elasticsearch.addresses[1] must be an http:// or https:// URL"},
		{"API key and basic auth", Options{Addresses: addr, APIKey: "k", Username: "u", Password: "p"}, "search.elasticsearch.api_key and username/password are alternatives"},
		{"username without password", Options{Addresses: addr, Username: "u"}, "search.elasticsearch.password must be set"},
		{"password without username", Options{Addresses: addr, Password: "p"}, "search.elasticsearch.username must be set"},
		{"upper-case prefix", Options{Addresses: addr, IndexPrefix: "Handoff"}, "search.elasticsearch.index_prefix must be a lower-case name"},
		{"prefix with a slash", Options{Addresses: addr, IndexPrefix: "a/b"}, "search.elasticsearch.index_prefix"},
		{"prefix starting with _", Options{Addresses: addr, IndexPrefix: "_x"}, "search.elasticsearch.index_prefix"},
		{"flush interval too long", Options{Addresses: addr, FlushInterval: 2 * time.Second}, "search.elasticsearch.flush_interval must be more than 0 and at most 1s"},
		{"negative flush interval", Options{Addresses: addr, FlushInterval: -time.Second}, "search.elasticsearch.flush_interval"},
		{"missing CA file", Options{Addresses: addr, CACertFile: missing}, "search.elasticsearch.ca_file: cannot read " + missing},
		{"CA file without PEM", Options{Addresses: addr, CACertFile: notPEM}, "search.elasticsearch.ca_file: " + notPEM + " holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := New(context.Background(), tc.opts, nil)
			if err == nil {
				_ = x.Close()
				t.Fatalf("New succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if errors.Is(err, search.ErrUnavailable) {
				t.Errorf("configuration error %q wraps ErrUnavailable", err)
			}
		})
	}
}

func TestOptionDefaults(t *testing.T) {
	o, err := Options{Addresses: []string{"https://es:9200"}, APIKey: "id:secret"}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if o.IndexPrefix != "handoff" || o.FlushInterval != time.Second {
		t.Errorf("defaults: prefix %q, flush interval %s", o.IndexPrefix, o.FlushInterval)
	}
	if want := base64.StdEncoding.EncodeToString([]byte("id:secret")); o.APIKey != want {
		t.Errorf("API key %q, want the encoded %q", o.APIKey, want)
	}
}

func TestNewRejectedCredentials(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		f := newFakeES(t)
		f.infoStatus = status
		_, err := New(context.Background(), Options{Addresses: []string{f.srv.URL}, Username: "handoff", Password: "wrong"}, nil)
		if err == nil {
			t.Fatalf("HTTP %d: New succeeded", status)
		}
		for _, want := range []string{"the cluster at " + f.srv.URL, "rejected the credentials", "unable to authenticate", "search.elasticsearch.username"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("HTTP %d: error %q does not contain %q", status, err, want)
			}
		}
		if errors.Is(err, search.ErrUnavailable) {
			t.Errorf("HTTP %d: rejected credentials wrap ErrUnavailable: %v", status, err)
		}
		if status == http.StatusForbidden && !strings.Contains(err.Error(), "manage_index_templates") {
			t.Errorf("HTTP 403: error %q does not say which privileges are needed", err)
		}
	}
}

func TestNewUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = New(ctx, Options{Addresses: []string{addr}}, nil)
	if err == nil {
		t.Fatal("New succeeded on a closed port")
	}
	if !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("error %q does not wrap ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "the cluster at "+addr+" is unreachable") {
		t.Errorf("error %q does not name the address", err)
	}
}

func TestNewRefusesOldVersions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = w.Write([]byte(`{"cluster_name":"old","version":{"number":"7.17.0"}}`))
	}))
	defer srv.Close()
	_, err := New(context.Background(), Options{Addresses: []string{srv.URL}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"7.17.0"`) {
		t.Errorf("New on 7.17: %v", err)
	}
}

func TestNewCreatesTemplatesAndIndices(t *testing.T) {
	f := newFakeES(t)
	f.existing["test-messages"] = true // created by an earlier start
	x := openFake(t, f, Options{APIKey: "id:secret"})
	if x.messages != "test-messages" || x.conversations != "test-conversations" {
		t.Fatalf("index names %s, %s", x.messages, x.conversations)
	}
	if got, want := f.requests(http.MethodGet, "/")[0].Header.Get("Authorization"), "APIKey "+base64.StdEncoding.EncodeToString([]byte("id:secret")); got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}

	templates := map[string]any{}
	for _, r := range f.requests(http.MethodPut, "/_index_template/") {
		if !json.Valid(r.Body) {
			t.Fatalf("template %s: invalid JSON %s", r.Path, r.Body)
		}
		var v any
		_ = json.Unmarshal(r.Body, &v)
		templates[strings.TrimPrefix(r.Path, "/_index_template/")] = v
	}
	msgs, convs := templates["test-messages"], templates["test-conversations"]
	if msgs == nil || convs == nil {
		t.Fatalf("templates put: %v", reflect.ValueOf(templates).MapKeys())
	}
	for _, check := range []struct {
		doc  any
		path []string
		want any
	}{
		{msgs, []string{"index_patterns"}, []any{"test-messages"}},
		{msgs, []string{"template", "settings", "index", "refresh_interval"}, "1s"},
		{msgs, []string{"template", "mappings", "_routing", "required"}, true},
		{msgs, []string{"template", "mappings", "properties", "text", "analyzer"}, "standard"},
		{msgs, []string{"template", "mappings", "properties", "text", "fields", "bg", "analyzer"}, "bulgarian"},
		{msgs, []string{"template", "mappings", "properties", "text", "fields", "en", "analyzer"}, "english"},
		{msgs, []string{"template", "mappings", "properties", "conversation_id", "type"}, "keyword"},
		{msgs, []string{"template", "mappings", "properties", "links", "type"}, "keyword"},
		{msgs, []string{"template", "mappings", "properties", "sent_at", "type"}, "date"},
		{convs, []string{"index_patterns"}, []any{"test-conversations"}},
		{convs, []string{"template", "settings", "analysis", "filter", "handoff_name_edge_ngram"}, map[string]any{"type": "edge_ngram", "min_gram": 1.0, "max_gram": 20.0}},
		{convs, []string{"template", "settings", "analysis", "analyzer", "handoff_name"}, map[string]any{
			"type": "custom", "tokenizer": "standard", "filter": []any{"lowercase", "asciifolding", "handoff_name_edge_ngram"}}},
		{convs, []string{"template", "settings", "analysis", "analyzer", "handoff_name_search"}, map[string]any{
			"type": "custom", "tokenizer": "standard", "filter": []any{"lowercase", "asciifolding", "handoff_name_truncate"}}},
		{convs, []string{"template", "mappings", "properties", "customer_name", "analyzer"}, "handoff_name"},
		{convs, []string{"template", "mappings", "properties", "customer_name", "search_analyzer"}, "handoff_name_search"},
		{convs, []string{"template", "mappings", "properties", "customer_name_latin", "analyzer"}, "handoff_name"},
		{convs, []string{"template", "mappings", "properties", "agent_requested", "type"}, "boolean"},
		{convs, []string{"template", "mappings", "properties", "window_closes_at", "type"}, "date"},
		{convs, []string{"template", "mappings", "properties", "staff_deadline", "type"}, "date"},
		{convs, []string{"template", "mappings", "properties", "human_agent_until", "type"}, "date"},
		{convs, []string{"template", "mappings", "properties", "updated_at", "type"}, "date"},
	} {
		if got := dig(check.doc, check.path...); !reflect.DeepEqual(got, check.want) {
			t.Errorf("%s: %v, want %v", strings.Join(check.path, "."), got, check.want)
		}
	}

	creates := map[string]any{}
	for _, r := range f.requests(http.MethodPut, "/test-") {
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("create %s: invalid JSON %s", r.Path, r.Body)
		}
		creates[r.Path] = v
	}
	if len(creates) != 3 {
		t.Fatalf("index creations: %v", creates)
	}
	for path, want := range map[string]any{
		"settings.index.number_of_shards":   1.0,
		"mappings.properties.id.type":       "keyword",
		"mappings.properties.revision.type": "long",
		"mappings.properties.deleted.type":  "boolean",
		"mappings.properties.entry.enabled": false,
	} {
		if got := dig(creates["/test-knowledge"], strings.Split(path, ".")...); got != want {
			t.Errorf("knowledge index %s = %v, want %v", path, got, want)
		}
	}
	if got := dig(creates["/test-conversations"], "settings", "analysis", "analyzer", "handoff_name", "tokenizer"); got != "standard" {
		t.Errorf("create body of the conversations index lacks the name analyzer: %v", creates["/test-conversations"])
	}
	if len(f.requests(http.MethodGet, "/test-messages/_mapping")) != 1 {
		t.Error("the existing messages index's mapping was not checked")
	}
}

func TestNewRefusesForeignIndex(t *testing.T) {
	f := newFakeES(t)
	f.existing["test-conversations"] = true
	f.schema = 0
	_, err := New(context.Background(), Options{Addresses: []string{f.srv.URL}, IndexPrefix: "test"}, nil)
	if err == nil || !strings.Contains(err.Error(), "index test-conversations exists but was not created by handoff") {
		t.Errorf("New with a foreign index: %v", err)
	}
}

func TestCACertificate(t *testing.T) {
	f := &fakeES{existing: map[string]bool{}, schema: schemaVersion}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := New(context.Background(), Options{Addresses: []string{srv.URL}, Username: "u", Password: "p", CACertFile: ca}, nil)
	if err != nil {
		t.Fatalf("New over TLS with the CA file: %v", err)
	}
	_ = x.Close()
	if u, p, ok := (&http.Request{Header: f.requests(http.MethodGet, "/")[0].Header}).BasicAuth(); !ok || u != "u" || p != "p" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	// Without the CA file the server's certificate is not trusted.
	_, err = New(context.Background(), Options{Addresses: []string{srv.URL}}, nil)
	if err == nil || !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("New over TLS without the CA file: %v", err)
	}
}

func message(id, conv, text string, minute int) search.Message {
	return search.Message{
		ID: id, ConversationID: conv, Channel: "webchat", CustomerID: "c1", Sender: "customer", Text: text,
		Links: []string{"https://example.com"}, SentAt: time.Date(2026, 11, 2, 9, minute, 0, 123456789, time.UTC),
	}
}

func TestIndexMessagesWaitsForTheBulkAnswer(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	msgs := []search.Message{
		message("m1", "conversation/webchat/a", "first version", 1),
		message("m2", "conversation/webchat/b", "world", 2),
		message("m1", "conversation/webchat/a", "hello", 1),
	}
	if err := x.IndexMessages(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	// Everything was sent and answered before IndexMessages returned; of two
	// writes of one message only the last, under the message's key.
	items := f.bulkItems(t)
	if len(items) != 2 {
		t.Fatalf("%d bulk items sent, want 2", len(items))
	}
	seen := map[string]bool{}
	for _, it := range items {
		meta := it.Meta["index"]
		if meta == nil || it.Path != "/test-messages/_bulk" {
			t.Fatalf("bulk item %v to %s, want an index action to /test-messages/_bulk", it.Meta, it.Path)
		}
		id, _ := meta["_id"].(string)
		seen[id] = true
		var m search.Message
		raw, _ := json.Marshal(it.Doc)
		_ = json.Unmarshal(raw, &m)
		if m.Key() != id || meta["routing"] != m.ConversationID {
			t.Errorf("item _id %v routing %v for message %s of %s", meta["_id"], meta["routing"], m.ID, m.ConversationID)
		}
		if want := msgs[2]; m.ID == "m1" && (!m.SentAt.Equal(want.SentAt) || m.Text != want.Text || len(m.Links) != 1) {
			t.Errorf("document %+v", m)
		}
	}
	if !seen["conversation/webchat/a/customer/m1"] || !seen["conversation/webchat/b/customer/m2"] {
		t.Errorf("items %v", seen)
	}
	if err := x.IndexMessages(context.Background(), nil); err != nil {
		t.Errorf("no messages: %v", err)
	}
	if err := x.IndexMessages(context.Background(), []search.Message{{ID: "x"}}); err == nil {
		t.Error("a message without a conversation ID was accepted")
	}
}

func TestIndexMessagesFailures(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	f.mu.Lock()
	f.bulkItem = func(_ map[string]map[string]any, doc map[string]any) (int, string) {
		switch doc["id"] {
		case "busy":
			return http.StatusTooManyRequests, "es_rejected_execution_exception"
		case "bad":
			return http.StatusBadRequest, "document_parsing_exception"
		}
		return http.StatusCreated, ""
	}
	f.mu.Unlock()

	err := x.IndexMessages(context.Background(), []search.Message{message("ok", "c", "a", 1), message("bad", "c", "b", 2)})
	if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "1 of 2 messages not indexed: message bad: HTTP 400 document_parsing_exception") {
		t.Errorf("rejected document: %v", err)
	}
	err = x.IndexMessages(context.Background(), []search.Message{message("busy", "c", "a", 1), message("bad", "c", "b", 2)})
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "es_rejected_execution_exception") {
		t.Errorf("rejected for load: %v", err)
	}

	f.mu.Lock()
	f.bulkStatus = http.StatusServiceUnavailable
	f.mu.Unlock()
	err = x.IndexMessages(context.Background(), []search.Message{message("ok", "c", "a", 1)})
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("whole bulk request failed: %v", err)
	}

	f.srv.Close()
	err = x.IndexMessages(context.Background(), []search.Message{message("ok", "c", "a", 1)})
	if !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("cluster gone: %v", err)
	}
	_, err = x.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "c", Text: "a"})
	if !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("search with the cluster gone: %v", err)
	}
}

func TestIndexMessagesAfterClose(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.IndexMessages(context.Background(), []search.Message{message("m", "c", "a", 1)}); err == nil {
		t.Error("IndexMessages after Close succeeded")
	}
	if err := x.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestUpsertConversation(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	updated := time.Date(2026, 11, 2, 9, 30, 0, 123456789, time.UTC)
	asked := updated.Add(-time.Minute)
	c := chat.ConversationSummary{
		ID: "conversation/webchat/maria", Channel: "webchat", CustomerID: "maria", CustomerName: "Мария Иванова",
		State: "agent_requested", LastMessageAt: updated, WindowClosesAt: updated.Add(24 * time.Hour),
		AgentRequestedAt: &asked, UpdatedAt: updated,
	}
	if err := x.UpsertConversation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	items := f.bulkItems(t)
	if len(items) != 1 {
		t.Fatalf("%d bulk items", len(items))
	}
	meta := items[0].Meta["index"]
	for k, want := range map[string]any{
		"_index": "test-conversations", "_id": c.ID, "routing": c.ID,
		"version": float64(updated.UnixMicro()), "version_type": "external_gte",
	} {
		if meta[k] != want {
			t.Errorf("bulk meta %s = %v, want %v", k, meta[k], want)
		}
	}
	doc := items[0].Doc
	if !reflect.DeepEqual(doc["customer_name_latin"], []any{"mariya ivanova", "maria ivanova"}) || doc["agent_requested"] != true ||
		doc["updated_at"] != "2026-11-02T09:30:00.123456789Z" || doc["customer_name"] != "Мария Иванова" {
		t.Errorf("document %v", doc)
	}

	f.mu.Lock()
	f.bulkItem = func(map[string]map[string]any, map[string]any) (int, string) {
		return http.StatusConflict, "version_conflict_engine_exception"
	}
	f.mu.Unlock()
	if err := x.UpsertConversation(context.Background(), c); err != nil {
		t.Errorf("an older write must be ignored, got %v", err)
	}
	f.mu.Lock()
	f.bulkItem = func(map[string]map[string]any, map[string]any) (int, string) {
		return http.StatusTooManyRequests, "es_rejected_execution_exception"
	}
	f.mu.Unlock()
	if err := x.UpsertConversation(context.Background(), c); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("rejected for load: %v", err)
	}
	f.mu.Lock()
	f.bulkItem = func(map[string]map[string]any, map[string]any) (int, string) {
		return http.StatusBadRequest, "document_parsing_exception"
	}
	f.mu.Unlock()
	if err := x.UpsertConversation(context.Background(), c); err == nil || errors.Is(err, search.ErrUnavailable) {
		t.Errorf("rejected document: %v", err)
	}
	if err := x.UpsertConversation(context.Background(), chat.ConversationSummary{}); err == nil {
		t.Error("a conversation without an ID was accepted")
	}
	if v := conversationVersion(time.Time{}); v != 0 {
		t.Errorf("version of a zero UpdatedAt: %d", v)
	}
}

func TestSearchMessages(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	m1 := message("m1", "conversation/webchat/bg", "Доставката още не е пристигнала", 1)
	m2 := message("m2", "conversation/webchat/bg", "<b>доставка</b> & more", 2)
	src1, _ := json.Marshal(m1)
	src2, _ := json.Marshal(m2)
	f.searchAnswer = `{"took":2,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
		"hits":{"total":{"value":7,"relation":"eq"},"max_score":null,"hits":[
		{"_index":"test-messages","_id":"m2","_score":0.5,"_routing":"conversation/webchat/bg","_source":` + string(src2) + `,"sort":[1793610120123,0.5,"m2"]},
		{"_index":"test-messages","_id":"m1","_score":1.25,"_routing":"conversation/webchat/bg","_source":` + string(src1) + `,
		 "highlight":{"text":["Доставката още не е пристигнала"],"text.bg":["<mark>Доставката</mark> още не е пристигнала"]},"sort":[1793610060123,1.25,"m1"]}]}}`
	q := search.MessageQuery{ConversationID: "conversation/webchat/bg", Text: "доставка  ?", Sort: search.SortNewest, Page: 2, Size: 2}
	r, err := x.SearchMessages(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 7 || len(r.Hits) != 2 {
		t.Fatalf("results %+v", r)
	}
	if h := r.Hits[0]; h.Message.ID != "m2" || h.Score != 0.5 || !h.Message.SentAt.Equal(m2.SentAt) ||
		!reflect.DeepEqual(h.Highlights, []string{"&lt;b&gt;доставка&lt;/b&gt; &amp; more"}) {
		t.Errorf("hit without highlights: %+v", h)
	}
	if h := r.Hits[1]; !reflect.DeepEqual(h.Message, m1) || h.Score != 1.25 ||
		!reflect.DeepEqual(h.Highlights, []string{"<mark>Доставката</mark> още не е пристигнала"}) {
		t.Errorf("hit with highlights: %+v", h)
	}

	reqs := f.requests(http.MethodPost, "/test-messages/_search")
	if len(reqs) != 1 {
		t.Fatalf("%d searches", len(reqs))
	}
	req := reqs[0]
	if req.Query.Get("routing") != q.ConversationID || req.Query.Get("allow_partial_search_results") != "false" {
		t.Errorf("search parameters %v", req.Query)
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("search body %s: %v", req.Body, err)
	}
	for _, check := range []struct {
		path []string
		want any
	}{
		{[]string{"from"}, 2.0},
		{[]string{"size"}, 2.0},
		{[]string{"track_total_hits"}, true},
		{[]string{"track_scores"}, true},
		{[]string{"query", "bool", "filter"}, []any{map[string]any{"term": map[string]any{"conversation_id": q.ConversationID}}}},
		{[]string{"query", "bool", "must"}, []any{map[string]any{"multi_match": map[string]any{
			"query": "доставка", "type": "most_fields", "fields": []any{"text", "text.bg", "text.en"},
			"operator": "and", "zero_terms_query": "all"}}}},
		{[]string{"sort"}, []any{
			map[string]any{"sent_at": map[string]any{"order": "desc"}},
			map[string]any{"_score": map[string]any{"order": "desc"}},
			map[string]any{"id": map[string]any{"order": "asc"}}}},
		{[]string{"highlight", "pre_tags"}, []any{"<mark>"}},
		{[]string{"highlight", "post_tags"}, []any{"</mark>"}},
		{[]string{"highlight", "encoder"}, "html"},
		{[]string{"highlight", "number_of_fragments"}, 3.0},
		{[]string{"highlight", "fragment_size"}, 150.0},
		{[]string{"highlight", "fields", "text", "no_match_size"}, 150.0},
		{[]string{"highlight", "fields", "text.en"}, map[string]any{}},
	} {
		if got := dig(body, check.path...); !reflect.DeepEqual(got, check.want) {
			t.Errorf("%s: %v, want %v", strings.Join(check.path, "."), got, check.want)
		}
	}

	q.Sort, q.Page, q.Size = search.SortRelevance, 0, 0
	if _, err := x.SearchMessages(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	reqs = f.requests(http.MethodPost, "/test-messages/_search")
	_ = json.Unmarshal(reqs[len(reqs)-1].Body, &body)
	if got := dig(body, "sort"); !reflect.DeepEqual(got, []any{
		map[string]any{"_score": map[string]any{"order": "desc"}},
		map[string]any{"sent_at": map[string]any{"order": "desc"}},
		map[string]any{"id": map[string]any{"order": "asc"}}}) || body["from"] != 0.0 || body["size"] != 20.0 {
		t.Errorf("relevance search: sort %v from %v size %v", got, body["from"], body["size"])
	}

	// No words, no search; no conversation, an error.
	n := len(f.requests(http.MethodPost, "/test-messages/_search"))
	if r, err := x.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "c", Text: " ?! "}); err != nil || r.Hits == nil || r.Total != 0 {
		t.Errorf("empty query: %+v, %v", r, err)
	}
	if len(f.requests(http.MethodPost, "/test-messages/_search")) != n {
		t.Error("an empty query was sent")
	}
	if _, err := x.SearchMessages(context.Background(), search.MessageQuery{Text: "x"}); err == nil {
		t.Error("a search without a conversation ID was accepted")
	}
}

func TestSearchErrors(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	f.mu.Lock()
	f.searchAnswer = `not json`
	f.mu.Unlock()
	if _, err := x.SearchConversations(context.Background(), search.ConversationQuery{}); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("undecodable answer: %v", err)
	}
	// A comma in the conversation ID would split the routing: no routing then.
	if _, err := x.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "a,b", Text: "x"}); err == nil {
		t.Error("undecodable answer accepted")
	}
	reqs := f.requests(http.MethodPost, "/test-messages/_search")
	if q := reqs[len(reqs)-1].Query; q.Has("routing") {
		t.Errorf("routing %q for an ID with a comma", q.Get("routing"))
	}
}

func TestSearchConversations(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	at := time.Date(2026, 11, 2, 9, 25, 0, 1, time.UTC)
	want := []chat.ConversationSummary{
		{ID: "conversation/webchat/ivan", Channel: "webchat", CustomerID: "ivan", CustomerName: "Иван Петров", State: "agent_requested",
			LastMessageAt: at, WindowClosesAt: at.Add(24 * time.Hour), AgentRequestedAt: &at, UpdatedAt: at},
		{ID: "conversation/webchat/jose", Channel: "webchat", CustomerID: "jose", CustomerName: "José Pérez", State: "bot",
			LastMessageAt: at, WindowClosesAt: at.Add(24 * time.Hour), UpdatedAt: at},
	}
	var hits []string
	for _, c := range want {
		src, _ := json.Marshal(conversationDoc{ConversationSummary: c, CustomerNameLatin: textanalysis.LatinSpellings(c.CustomerName), AgentRequested: c.AgentRequestedAt != nil})
		hits = append(hits, `{"_index":"test-conversations","_id":"`+c.ID+`","_score":null,"_source":`+string(src)+`}`)
	}
	f.searchAnswer = `{"took":1,"timed_out":false,"hits":{"total":{"value":2,"relation":"eq"},"hits":[` + strings.Join(hits, ",") + `]}}`

	open := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	got, err := x.SearchConversations(context.Background(), search.ConversationQuery{Name: "Иван П", OpenAt: open})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conversations\n%+v\nwant\n%+v", got, want)
	}
	reqs := f.requests(http.MethodPost, "/test-conversations/_search")
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if reqs[0].Query.Has("routing") {
		t.Error("conversation search is routed")
	}
	match := func(field, query string) map[string]any {
		return map[string]any{"match": map[string]any{field: map[string]any{"query": query, "operator": "and"}}}
	}
	wantFilter := []any{
		map[string]any{"range": map[string]any{"staff_deadline": map[string]any{"gt": "2026-11-02T10:00:00Z"}}},
		map[string]any{"bool": map[string]any{"minimum_should_match": 1.0, "should": []any{
			match("customer_name", "Иван"), match("customer_name_latin", "Иван"), match("customer_name_latin", "ivan")}}},
		map[string]any{"bool": map[string]any{"minimum_should_match": 1.0, "should": []any{
			match("customer_name", "П"), match("customer_name_latin", "П"), match("customer_name_latin", "p")}}},
	}
	if got := dig(body, "query", "bool", "filter"); !reflect.DeepEqual(got, wantFilter) {
		t.Errorf("filter\n%v\nwant\n%v", got, wantFilter)
	}
	wantSort := []any{
		map[string]any{"agent_requested": map[string]any{"order": "desc"}},
		map[string]any{"agent_requested_at": map[string]any{"order": "asc", "missing": "_last"}},
		map[string]any{"last_message_at": map[string]any{"order": "desc", "missing": "_last"}},
		map[string]any{"id": map[string]any{"order": "asc"}},
	}
	if got := dig(body, "sort"); !reflect.DeepEqual(got, wantSort) || body["size"] != 50.0 {
		t.Errorf("sort %v size %v", got, body["size"])
	}

	if _, err := x.SearchConversations(context.Background(), search.ConversationQuery{Size: 5000}); err != nil {
		t.Fatal(err)
	}
	reqs = f.requests(http.MethodPost, "/test-conversations/_search")
	_ = json.Unmarshal(reqs[1].Body, &body)
	if !reflect.DeepEqual(body["query"], map[string]any{"match_all": map[string]any{}}) || body["size"] != 1000.0 {
		t.Errorf("unfiltered search: query %v size %v", body["query"], body["size"])
	}
}

func TestHelpers(t *testing.T) {
	if got := pickHighlights(map[string][]string{
		"text":    {"a b"},
		"text.bg": {"<mark>a</mark> b"},
		"text.en": {"<mark>a</mark> <mark>b</mark>"},
	}); !reflect.DeepEqual(got, []string{"<mark>a</mark> <mark>b</mark>"}) {
		t.Errorf("pickHighlights: %q", got)
	}
	if got := pickHighlights(map[string][]string{"text": {"<mark>a</mark>"}, "text.en": {"<mark>a</mark>"}}); !reflect.DeepEqual(got, []string{"<mark>a</mark>"}) {
		t.Errorf("pickHighlights tie: %q", got)
	}
	if got := pickHighlights(nil); got != nil {
		t.Errorf("pickHighlights(nil) = %q", got)
	}
	long := strings.Repeat("word ", 40)
	if got := leading(long, 150); len([]rune(got)) > 151 || !strings.HasSuffix(got, "word…") {
		t.Errorf("leading: %q", got)
	}
	if got := leading("short", 150); got != "short" {
		t.Errorf("leading(short) = %q", got)
	}
	for _, tc := range []struct{ p, size, wantSize, wantFrom int }{
		{0, 0, 20, 0}, {1, 10, 10, 0}, {3, 2, 2, 4}, {2, 500, 100, 100},
	} {
		if size, from := (search.MessageQuery{Page: tc.p, Size: tc.size}).Window(); size != tc.wantSize || from != tc.wantFrom {
			t.Errorf("Window(page %d, size %d) = %d, %d", tc.p, tc.size, size, from)
		}
	}
	if got := queryWords(" a  — b\tc ", 2); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("queryWords: %q", got)
	}
}

func TestDeepPagesComeBackEmpty(t *testing.T) {
	f := newFakeES(t)
	x := openFake(t, f, Options{})
	if _, err := x.SearchMessages(context.Background(), search.MessageQuery{ConversationID: "c", Text: "x", Page: 6000, Size: 2}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests(http.MethodPost, "/test-messages/_search")
	var body map[string]any
	_ = json.Unmarshal(reqs[0].Body, &body)
	if body["from"] != 10000.0 || body["size"] != 0.0 {
		t.Errorf("from %v size %v beyond the result window", body["from"], body["size"])
	}
}

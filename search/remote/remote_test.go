package remote_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/bleveindex"
	"github.com/handoff-chat/handoff/search/remote"
	"github.com/handoff-chat/handoff/search/searchtest"
)

const token = "a-shared-token-of-some-length"

// serve shares a fresh embedded index over HTTP and returns a client of it.
func serve(t *testing.T) (*remote.Client, *httptest.Server) {
	t.Helper()
	idx, err := bleveindex.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(remote.Handler(idx, token, nil))
	t.Cleanup(func() {
		srv.Close()
		_ = idx.Close()
	})
	c, err := remote.NewClient(srv.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, srv
}

// The shared index behaves like the index it shares.
func TestConformanceThroughTheSharedIndex(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		c, _ := serve(t)
		return c
	})
}

func TestWrongTokenIsRefused(t *testing.T) {
	_, srv := serve(t)
	c, err := remote.NewClient(srv.URL, "not-the-token-at-all")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.KnowledgeVersion(context.Background())
	if err == nil || !strings.Contains(err.Error(), "search.remote.token") || errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("a wrong token: %v, want a refusal naming search.remote.token", err)
	}
	r, err := http.Post(srv.URL+remote.PathPrefix+"knowledge-version", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", r.StatusCode)
	}
}

// Errors keep the search package's sentinels across the wire, and an owner
// that cannot be reached is ErrUnavailable, which callers retry.
func TestErrorsKeepTheirKind(t *testing.T) {
	c, srv := serve(t)
	ctx := context.Background()
	if err := c.UpsertKnowledge(ctx, search.KnowledgeDoc{Revision: 1}); !errors.Is(err, search.ErrNoEntryID) {
		t.Errorf("a document without an entry ID: %v, want ErrNoEntryID", err)
	}
	srv.Close()
	if _, err := c.SearchConversations(ctx, search.ConversationQuery{}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("an owner that is gone: %v, want ErrUnavailable", err)
	}
}

func TestBadConfigurationIsNamed(t *testing.T) {
	for _, tc := range []struct{ url, token, want string }{
		{"owner:7245", token, "http://host:port"},
		{"http://owner:7245", "short", "at least 16"},
	} {
		if _, err := remote.NewClient(tc.url, tc.token); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q, %q) = %v, want an error saying %q", tc.url, tc.token, err, tc.want)
		}
	}
}

func TestUnknownMethodsAndBadBodies(t *testing.T) {
	_, srv := serve(t)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", remote.PathPrefix + "drop-everything", "{}", http.StatusNotFound},
		{"GET", remote.PathPrefix + "knowledge-version", "", http.StatusMethodNotAllowed},
		{"POST", remote.PathPrefix + "search-messages", `{"Nope": 1}`, http.StatusBadRequest},
		{"POST", remote.PathPrefix + "index-messages", `[{`, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != tc.want {
			t.Errorf("%s %s %s: %d, want %d", tc.method, tc.path, tc.body, r.StatusCode, tc.want)
		}
	}
}

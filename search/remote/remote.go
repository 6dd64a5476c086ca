// Package remote shares one process's embedded search index with the other
// handoff processes of a deployment over HTTP, so that the api and worker
// roles can run apart without Elasticsearch. The process that owns the
// Bleve directory serves it with Handler; every other process opens a
// Client, which is a search.Index like the others and passes the same
// conformance suite.
//
// The protocol is internal to handoff: one POST per Index method, JSON in
// and out, with the shared token as a bearer token. Errors come back as
// {"error": "...", "kind": "..."}, the kind naming the search package's
// sentinel errors so that callers can still tell them apart.
package remote

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// PathPrefix is where Handler serves the index's methods.
const PathPrefix = "/search/v1/"

// MinTokenLength is the shortest shared token accepted.
const MinTokenLength = 16

// maxRequestBytes bounds one request body: a batch of messages to index.
const maxRequestBytes = 32 << 20

// Error kinds on the wire.
const (
	kindUnavailable = "unavailable"
	kindNoEntryID   = "no_entry_id"
	kindBadRequest  = "bad_request"
	kindUnknown     = "unknown"
)

// changedRequest is the body of ConversationsChangedSince.
type changedRequest struct {
	Since time.Time `json:"since"`
	Limit int       `json:"limit"`
}

// wireError is an error answer.
type wireError struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// Handler serves idx to processes that present token. It answers only
// under PathPrefix.
func Handler(idx search.Index, token string, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	s := &server{idx: idx, token: []byte(token), logger: logger}
	methods := map[string]func(ctx context.Context, body []byte) (any, error){
		"index-messages": func(ctx context.Context, body []byte) (any, error) {
			var msgs []search.Message
			if err := decode(body, &msgs); err != nil {
				return nil, err
			}
			return struct{}{}, idx.IndexMessages(ctx, msgs)
		},
		"upsert-conversation": func(ctx context.Context, body []byte) (any, error) {
			var c chat.ConversationSummary
			if err := decode(body, &c); err != nil {
				return nil, err
			}
			return struct{}{}, idx.UpsertConversation(ctx, c)
		},
		"search-messages": func(ctx context.Context, body []byte) (any, error) {
			var q search.MessageQuery
			if err := decode(body, &q); err != nil {
				return nil, err
			}
			return idx.SearchMessages(ctx, q)
		},
		"search-conversations": func(ctx context.Context, body []byte) (any, error) {
			var q search.ConversationQuery
			if err := decode(body, &q); err != nil {
				return nil, err
			}
			return idx.SearchConversations(ctx, q)
		},
		"conversations-changed-since": func(ctx context.Context, body []byte) (any, error) {
			var q changedRequest
			if err := decode(body, &q); err != nil {
				return nil, err
			}
			return idx.ConversationsChangedSince(ctx, q.Since, q.Limit)
		},
		"declined-questions": func(ctx context.Context, body []byte) (any, error) {
			var q search.DeclinedQuery
			if err := decode(body, &q); err != nil {
				return nil, err
			}
			return idx.DeclinedQuestions(ctx, q)
		},
		"entry-stats": func(ctx context.Context, _ []byte) (any, error) {
			return idx.EntryStats(ctx)
		},
		"template-sends": func(ctx context.Context, _ []byte) (any, error) {
			return idx.TemplateSends(ctx)
		},
		"upsert-knowledge": func(ctx context.Context, body []byte) (any, error) {
			var d search.KnowledgeDoc
			if err := decode(body, &d); err != nil {
				return nil, err
			}
			return struct{}{}, idx.UpsertKnowledge(ctx, d)
		},
		"knowledge-version": func(ctx context.Context, _ []byte) (any, error) {
			return idx.KnowledgeVersion(ctx)
		},
		"knowledge-entries": func(ctx context.Context, _ []byte) (any, error) {
			return idx.KnowledgeEntries(ctx)
		},
	}
	s.methods = methods
	return s
}

type server struct {
	idx     search.Index
	token   []byte
	logger  *slog.Logger
	methods map[string]func(ctx context.Context, body []byte) (any, error)
}

// errBadRequest marks a request the server could not read.
var errBadRequest = errors.New("bad request")

func decode(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	method := s.methods[name]
	switch {
	case !ok || method == nil:
		writeJSON(w, http.StatusNotFound, wireError{Error: "no such index method: " + r.URL.Path, Kind: kindBadRequest})
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, wireError{Error: "index methods are called with POST", Kind: kindBadRequest})
		return
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), s.token) != 1 {
		writeJSON(w, http.StatusUnauthorized, wireError{Error: "the shared index needs the token in search.remote.token", Kind: kindBadRequest})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, wireError{Error: fmt.Sprintf("request body over %d bytes or unreadable", maxRequestBytes), Kind: kindBadRequest})
		return
	}
	result, err := method(r.Context(), body)
	if err != nil {
		status, kind := http.StatusInternalServerError, kindUnknown
		switch {
		case errors.Is(err, errBadRequest):
			status, kind = http.StatusBadRequest, kindBadRequest
		case errors.Is(err, search.ErrNoEntryID):
			status, kind = http.StatusBadRequest, kindNoEntryID
		case errors.Is(err, search.ErrUnavailable), r.Context().Err() != nil:
			status, kind = http.StatusServiceUnavailable, kindUnavailable
		default:
			s.logger.Warn("shared search index: method failed", "method", name, "error", err)
		}
		writeJSON(w, status, wireError{Error: err.Error(), Kind: kind})
		return
	}
	writeJSON(w, http.StatusOK, result)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Client is the search index another process serves.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// callTimeout bounds a call whose context has no deadline.
const callTimeout = 30 * time.Second

// NewClient returns the index served at baseURL (http://host:port) to
// holders of token.
func NewClient(baseURL, token string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the shared index's URL must be like http://host:port, got %q", baseURL)
	}
	if len(token) < MinTokenLength {
		return nil, fmt.Errorf("the shared index's token must be at least %d characters", MinTokenLength)
	}
	return &Client{
		base:  strings.TrimSuffix(u.String(), "/") + PathPrefix,
		token: token,
		http:  &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
	}, nil
}

var _ search.Index = (*Client)(nil)

// call posts in to method and decodes the answer into out (nil: ignore it).
func (c *Client) call(ctx context.Context, method string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("shared index %s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("shared index %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: shared index at %s: %v", search.ErrUnavailable, c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%w: shared index at %s: read the answer to %s: %v", search.ErrUnavailable, c.base, method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(method, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("shared index %s: decode the answer: %w", method, err)
	}
	return nil
}

// answerError is the error of a non-200 answer, with the search package's
// sentinel the kind names.
func answerError(method string, status int, data []byte) error {
	var e wireError
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		e = wireError{Error: fmt.Sprintf("status %d", status), Kind: kindUnknown}
		if status >= 500 {
			e.Kind = kindUnavailable
		}
	}
	switch e.Kind {
	case kindUnavailable:
		return fmt.Errorf("%w: shared index %s: %s", search.ErrUnavailable, method, e.Error)
	case kindNoEntryID:
		return fmt.Errorf("shared index %s: %w", method, search.ErrNoEntryID)
	default:
		return fmt.Errorf("shared index %s: %s (status %d)", method, e.Error, status)
	}
}

func (c *Client) IndexMessages(ctx context.Context, msgs []search.Message) error {
	return c.call(ctx, "index-messages", msgs, nil)
}

func (c *Client) UpsertConversation(ctx context.Context, s chat.ConversationSummary) error {
	return c.call(ctx, "upsert-conversation", s, nil)
}

func (c *Client) SearchMessages(ctx context.Context, q search.MessageQuery) (search.MessageResults, error) {
	var res search.MessageResults
	err := c.call(ctx, "search-messages", q, &res)
	return res, err
}

func (c *Client) SearchConversations(ctx context.Context, q search.ConversationQuery) ([]chat.ConversationSummary, error) {
	var res []chat.ConversationSummary
	err := c.call(ctx, "search-conversations", q, &res)
	return res, err
}

func (c *Client) ConversationsChangedSince(ctx context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error) {
	var res []chat.ConversationSummary
	err := c.call(ctx, "conversations-changed-since", changedRequest{Since: since, Limit: limit}, &res)
	return res, err
}

func (c *Client) DeclinedQuestions(ctx context.Context, q search.DeclinedQuery) ([]search.Message, error) {
	var res []search.Message
	err := c.call(ctx, "declined-questions", q, &res)
	return res, err
}

func (c *Client) EntryStats(ctx context.Context) ([]search.EntryStats, error) {
	var res []search.EntryStats
	err := c.call(ctx, "entry-stats", struct{}{}, &res)
	return res, err
}

func (c *Client) TemplateSends(ctx context.Context) ([]search.TemplateSends, error) {
	var res []search.TemplateSends
	err := c.call(ctx, "template-sends", struct{}{}, &res)
	return res, err
}

func (c *Client) UpsertKnowledge(ctx context.Context, d search.KnowledgeDoc) error {
	return c.call(ctx, "upsert-knowledge", d, nil)
}

func (c *Client) KnowledgeVersion(ctx context.Context) (int64, error) {
	var v int64
	err := c.call(ctx, "knowledge-version", struct{}{}, &v)
	return v, err
}

func (c *Client) KnowledgeEntries(ctx context.Context) (search.KnowledgeSnapshot, error) {
	var s search.KnowledgeSnapshot
	err := c.call(ctx, "knowledge-entries", struct{}{}, &s)
	return s, err
}

// Close releases the client's idle connections; the index stays open in
// the process that owns it.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

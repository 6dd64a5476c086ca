package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one API request of the benchmark.
const requestTimeout = 30 * time.Second

// api is the benchmark's client of handoff's HTTP API: the web chat
// endpoints and the Messenger webhook as customers use them, and the staff
// API.
type api struct {
	base       string
	staffToken string
	// appSecret signs webhooks; page is the Messenger page customers write to.
	appSecret string
	page      string
	http      *http.Client
	// streams has no timeout, for the web chat event streams.
	streams *http.Client
	// searches counts the benchmark's own search requests (its overhead).
	searches atomic.Int64
}

func newAPI(base, staffToken, appSecret, page string) *api {
	transport := &http.Transport{
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
	}
	return &api{
		base:       strings.TrimRight(base, "/"),
		staffToken: staffToken,
		appSecret:  appSecret,
		page:       page,
		http:       &http.Client{Transport: transport, Timeout: requestTimeout},
		streams:    &http.Client{Transport: transport.Clone()},
	}
}

// statusError is an answer the benchmark did not expect.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %.200s", e.method, e.path, e.status, e.body)
}

// call makes one request and decodes a JSON answer into out (if not nil);
// an answer other than want is a *statusError.
func (a *api) call(ctx context.Context, method, path string, body []byte, header http.Header, want int, out any) error {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, reader)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return &statusError{method: method, path: path, status: resp.StatusCode, body: string(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // only plain maps and structs are encoded
	}
	return raw
}

// newVisitor creates a web chat visitor.
func (a *api) newVisitor(ctx context.Context) (id, token string, err error) {
	var out struct {
		VisitorID string `json:"visitor_id"`
		Token     string `json:"token"`
	}
	if err := a.call(ctx, http.MethodPost, "/webchat/v1/visitors", nil, nil, http.StatusCreated, &out); err != nil {
		return "", "", fmt.Errorf("create a web chat visitor: %w", err)
	}
	return out.VisitorID, out.Token, nil
}

// visitorMessage sends a web chat message; 202 is the acknowledgement.
func (a *api) visitorMessage(ctx context.Context, visitor, token, id, text string) error {
	body := mustJSON(map[string]string{"id": id, "text": text})
	return a.call(ctx, http.MethodPost, "/webchat/v1/visitors/"+visitor+"/messages", body, bearer(token), http.StatusAccepted, nil)
}

// messengerMessage delivers one customer message as Meta does: a signed
// webhook; 200 is the acknowledgement.
func (a *api) messengerMessage(ctx context.Context, psid, mid, text string) error {
	now := time.Now().UnixMilli()
	body := mustJSON(map[string]any{
		"object": "page",
		"entry": []any{map[string]any{
			"id": a.page, "time": now,
			"messaging": []any{map[string]any{
				"sender":    map[string]string{"id": psid},
				"recipient": map[string]string{"id": a.page},
				"timestamp": now,
				"message":   map[string]string{"mid": mid, "text": text},
			}},
		}},
	})
	mac := hmac.New(sha256.New, []byte(a.appSecret))
	mac.Write(body)
	header := http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	return a.call(ctx, http.MethodPost, "/webhooks/messenger", body, header, http.StatusOK, nil)
}

func conversationPath(channel, customer string) string {
	return "/api/v1/conversations/" + channel + "/" + url.PathEscape(customer)
}

// setLiveChat switches live chat on or off as staff.
func (a *api) setLiveChat(ctx context.Context, channel, customer string, on bool) error {
	body := mustJSON(map[string]bool{"on": on})
	return a.call(ctx, http.MethodPost, conversationPath(channel, customer)+"/live-chat", body, bearer(a.staffToken), http.StatusOK, nil)
}

// staffMessage sends a staff message; 201 is the acknowledgement.
func (a *api) staffMessage(ctx context.Context, channel, customer, id, text string) error {
	body := mustJSON(map[string]string{"id": id, "text": text})
	return a.call(ctx, http.MethodPost, conversationPath(channel, customer)+"/messages", body, bearer(a.staffToken), http.StatusCreated, nil)
}

// searchPageSize is the most hits one staff search returns.
const searchPageSize = 100

// searchCustomerMessages returns the IDs of the customer's messages the
// staff search finds for words, newest first, one page of searchPageSize
// hits (page counts from 1), and whether later pages hold more hits.
func (a *api) searchCustomerMessages(ctx context.Context, channel, customer, words string, page int) (ids []string, more bool, err error) {
	a.searches.Add(1)
	var out struct {
		Total int `json:"total"`
		Hits  []struct {
			Message struct {
				ID     string `json:"id"`
				Sender string `json:"sender"`
			} `json:"message"`
		} `json:"hits"`
	}
	path := fmt.Sprintf("%s/search?size=%d&page=%d&sort=newest&q=%s", conversationPath(channel, customer), searchPageSize, page, url.QueryEscape(words))
	if err := a.call(ctx, http.MethodGet, path, nil, bearer(a.staffToken), http.StatusOK, &out); err != nil {
		return nil, false, fmt.Errorf("search: %w", err)
	}
	ids = make([]string, 0, len(out.Hits))
	for _, h := range out.Hits {
		if h.Message.Sender == "customer" {
			ids = append(ids, h.Message.ID)
		}
	}
	return ids, page*searchPageSize < out.Total, nil
}

// findCustomerMessages pages through the customer's search hits for words
// until every ID of want was found or the hits end, and returns the IDs of
// want that were found.
func (a *api) findCustomerMessages(ctx context.Context, channel, customer, words string, want map[string]bool) (map[string]bool, error) {
	found := map[string]bool{}
	for page := 1; ; page++ {
		ids, more, err := a.searchCustomerMessages(ctx, channel, customer, words, page)
		if err != nil {
			return found, err
		}
		for _, id := range ids {
			if want[id] {
				found[id] = true
			}
		}
		if !more || len(found) == len(want) {
			return found, nil
		}
	}
}

// transcriptMessage is a message as the web chat and the staff view show it.
type transcriptMessage struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id"`
	Sender string `json:"sender"`
}

// conversation reads the staff view: whether the conversation is open, and
// its recent messages.
func (a *api) conversation(ctx context.Context, channel, customer string) (open bool, messages []transcriptMessage, err error) {
	var out struct {
		Open     bool                `json:"open"`
		Messages []transcriptMessage `json:"messages"`
	}
	if err := a.call(ctx, http.MethodGet, conversationPath(channel, customer), nil, bearer(a.staffToken), http.StatusOK, &out); err != nil {
		return false, nil, fmt.Errorf("read the conversation: %w", err)
	}
	return out.Open, out.Messages, nil
}

// visitorTranscript reads the web chat transcript as the visitor sees it.
func (a *api) visitorTranscript(ctx context.Context, visitor, token string) ([]transcriptMessage, error) {
	var out struct {
		Messages []transcriptMessage `json:"messages"`
	}
	if err := a.call(ctx, http.MethodGet, "/webchat/v1/visitors/"+visitor+"/messages", nil, bearer(token), http.StatusOK, &out); err != nil {
		return nil, fmt.Errorf("read the transcript: %w", err)
	}
	return out.Messages, nil
}

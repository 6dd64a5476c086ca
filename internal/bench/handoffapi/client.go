// Package handoffapi is a client of handoff's HTTP API as its users call
// it: web chat visitors, Meta's signed Messenger webhooks, staff, and the
// event streams. The benchmark and the fault test drive handoff with it.
package handoffapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RequestTimeout bounds one API request (not a stream).
const RequestTimeout = 30 * time.Second

// Client calls one handoff API process.
type Client struct {
	Base       string
	StaffToken string
	// AppSecret signs webhooks; Page is the Messenger page customers write to.
	AppSecret string
	Page      string
	http      *http.Client
	// streams has no timeout, for the event streams.
	streams *http.Client
	// Searches counts the staff searches made (a driver's own overhead).
	Searches atomic.Int64
}

// New returns a client of the API at base ("http://host:port").
func New(base, staffToken, appSecret, page string) *Client {
	transport := &http.Transport{
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		Base:       strings.TrimRight(base, "/"),
		StaffToken: staffToken,
		AppSecret:  appSecret,
		Page:       page,
		http:       &http.Client{Transport: transport, Timeout: RequestTimeout},
		streams:    &http.Client{Transport: transport.Clone()},
	}
}

// StatusError is an answer other than the one expected.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %.200s", e.Method, e.Path, e.Status, e.Body)
}

// Retryable reports whether a failed request may have been carried out, or
// may go through later: anything but a 4xx answer other than 429. Such a
// request is sent again with the same ID, as the widget and Meta do.
func Retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests
	}
	return true
}

// Call makes one request and decodes a JSON answer into out (if not nil);
// an answer other than want is a *StatusError.
func (a *Client) Call(ctx context.Context, method, path string, body []byte, header http.Header, want int, out any) error {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, reader)
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
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

// Bearer is the Authorization header of a token.
func Bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // only plain maps and structs are encoded
	}
	return raw
}

// NewVisitor creates a web chat visitor.
func (a *Client) NewVisitor(ctx context.Context) (id, token string, err error) {
	var out struct {
		VisitorID string `json:"visitor_id"`
		Token     string `json:"token"`
	}
	if err := a.Call(ctx, http.MethodPost, "/webchat/v1/visitors", nil, nil, http.StatusCreated, &out); err != nil {
		return "", "", fmt.Errorf("create a web chat visitor: %w", err)
	}
	return out.VisitorID, out.Token, nil
}

// sendAnswer is the answer to a staff message: duplicate says the ID was
// already recorded (a retry of a request that went through).
type sendAnswer struct {
	Duplicate bool `json:"duplicate"`
}

// VisitorMessage sends a web chat message; 202 is the acknowledgement (the
// message is kept; a retry with the same ID is recorded once).
func (a *Client) VisitorMessage(ctx context.Context, visitor, token, id, text string) error {
	body := mustJSON(map[string]string{"id": id, "text": text})
	return a.Call(ctx, http.MethodPost, "/webchat/v1/visitors/"+visitor+"/messages", body, Bearer(token), http.StatusAccepted, nil)
}

// MessengerMessage delivers one customer message as Meta does: a signed
// webhook; 200 is the acknowledgement.
func (a *Client) MessengerMessage(ctx context.Context, psid, mid, text string) error {
	now := time.Now().UnixMilli()
	body := mustJSON(map[string]any{
		"object": "page",
		"entry": []any{map[string]any{
			"id": a.Page, "time": now,
			"messaging": []any{map[string]any{
				"sender":    map[string]string{"id": psid},
				"recipient": map[string]string{"id": a.Page},
				"timestamp": now,
				"message":   map[string]string{"mid": mid, "text": text},
			}},
		}},
	})
	mac := hmac.New(sha256.New, []byte(a.AppSecret))
	mac.Write(body)
	header := http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	return a.Call(ctx, http.MethodPost, "/webhooks/messenger", body, header, http.StatusOK, nil)
}

// ConversationPath is the staff API's path of a conversation.
func ConversationPath(channel, customer string) string {
	return "/api/v1/conversations/" + channel + "/" + url.PathEscape(customer)
}

// SetLiveChat switches live chat on or off as staff.
func (a *Client) SetLiveChat(ctx context.Context, channel, customer string, on bool) error {
	body := mustJSON(map[string]bool{"on": on})
	return a.Call(ctx, http.MethodPost, ConversationPath(channel, customer)+"/live-chat", body, Bearer(a.StaffToken), http.StatusOK, nil)
}

// StaffMessage sends a staff message; 201 is the acknowledgement, and
// duplicate says an earlier attempt had recorded it.
func (a *Client) StaffMessage(ctx context.Context, channel, customer, id, text string) (duplicate bool, err error) {
	body := mustJSON(map[string]string{"id": id, "text": text})
	var out sendAnswer
	err = a.Call(ctx, http.MethodPost, ConversationPath(channel, customer)+"/messages", body, Bearer(a.StaffToken), http.StatusCreated, &out)
	return out.Duplicate, err
}

// ChangeSettings changes run-time settings (PATCH /api/v1/settings) with
// the request ID that makes a retry safe.
func (a *Client) ChangeSettings(ctx context.Context, requestID string, changes map[string]any) error {
	body := map[string]any{"request_id": requestID}
	for k, v := range changes {
		body[k] = v
	}
	return a.Call(ctx, http.MethodPatch, "/api/v1/settings", mustJSON(body), Bearer(a.StaffToken), http.StatusOK, nil)
}

// SearchPageSize is the most hits one staff search returns.
const SearchPageSize = 100

// SearchCustomerMessages returns the IDs of the customer's messages the
// staff search finds for words, newest first, one page of size hits (at
// most SearchPageSize; page counts from 1), and whether later pages hold
// more hits.
func (a *Client) SearchCustomerMessages(ctx context.Context, channel, customer, words string, page, size int) (ids []string, more bool, err error) {
	a.Searches.Add(1)
	var out struct {
		Total int `json:"total"`
		Hits  []struct {
			Message struct {
				ID     string `json:"id"`
				Sender string `json:"sender"`
			} `json:"message"`
		} `json:"hits"`
	}
	path := fmt.Sprintf("%s/search?size=%d&page=%d&sort=newest&q=%s", ConversationPath(channel, customer), size, page, url.QueryEscape(words))
	if err := a.Call(ctx, http.MethodGet, path, nil, Bearer(a.StaffToken), http.StatusOK, &out); err != nil {
		return nil, false, fmt.Errorf("search: %w", err)
	}
	ids = make([]string, 0, len(out.Hits))
	for _, h := range out.Hits {
		if h.Message.Sender == "customer" {
			ids = append(ids, h.Message.ID)
		}
	}
	return ids, page*size < out.Total, nil
}

// FindCustomerMessages pages through the customer's search hits for words
// until every ID of want was found or the hits end, and returns the IDs of
// want that were found.
func (a *Client) FindCustomerMessages(ctx context.Context, channel, customer, words string, want map[string]bool) (map[string]bool, error) {
	found := map[string]bool{}
	for page := 1; ; page++ {
		ids, more, err := a.SearchCustomerMessages(ctx, channel, customer, words, page, SearchPageSize)
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

// Message is a message as the web chat and the staff view show it.
type Message struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id"`
	Sender string `json:"sender"`
	Text   string `json:"text"`
	// Delivery is how sending it to the customer fared (Messenger).
	Delivery *Delivery `json:"delivery,omitempty"`
}

// Delivery is the outcome of sending a message to a channel.
type Delivery struct {
	Status            string   `json:"status"`
	ChannelMessageIDs []string `json:"channel_message_ids"`
}

// Conversation is the staff view of a conversation.
type Conversation struct {
	Open     bool      `json:"open"`
	State    string    `json:"state"`
	Messages []Message `json:"messages"`
}

// Conversation reads the staff view: whether the conversation is open, its
// state and its recent messages.
func (a *Client) Conversation(ctx context.Context, channel, customer string) (Conversation, error) {
	var out Conversation
	if err := a.Call(ctx, http.MethodGet, ConversationPath(channel, customer), nil, Bearer(a.StaffToken), http.StatusOK, &out); err != nil {
		return Conversation{}, fmt.Errorf("read the conversation: %w", err)
	}
	return out, nil
}

// VisitorTranscript reads the web chat transcript as the visitor sees it.
func (a *Client) VisitorTranscript(ctx context.Context, visitor, token string) ([]Message, error) {
	var out struct {
		Messages []Message `json:"messages"`
	}
	if err := a.Call(ctx, http.MethodGet, "/webchat/v1/visitors/"+visitor+"/messages", nil, Bearer(token), http.StatusOK, &out); err != nil {
		return nil, fmt.Errorf("read the transcript: %w", err)
	}
	return out.Messages, nil
}

// OpenStream opens an event stream (GET path, with the bearer token and,
// when lastEventID > 0, Last-Event-ID), for ReadEvents.
func (a *Client) OpenStream(ctx context.Context, path, token string, lastEventID int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("open the event stream %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastEventID, 10))
	}
	resp, err := a.streams.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open the event stream %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		resp.Body.Close()
		return nil, &StatusError{Method: http.MethodGet, Path: path, Status: resp.StatusCode, Body: string(body)}
	}
	return resp.Body, nil
}

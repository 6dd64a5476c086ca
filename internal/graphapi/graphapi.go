// Package graphapi is the client of Meta's Graph API for Messenger: the Send
// API, which delivers handoff's messages to customers, and the user profile,
// which names them in the staff list.
package graphapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/internal/chat"
)

// Defaults of Options.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v21.0"
)

// Messenger's limits on one message.
const (
	MaxTextRunes         = 2000
	MaxTemplateTextRunes = 640
	MaxQuickReplies      = 13
	MaxTemplateButtons   = 3
	MaxButtonTitleRunes  = 20
)

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// Options configure a Client.
type Options struct {
	// BaseURL of the Graph API; DefaultBaseURL when empty.
	BaseURL string
	// Version of the Graph API, e.g. "v21.0"; DefaultVersion when empty.
	Version string
	// PageTokens maps a page ID to its page access token.
	PageTokens map[string]string
	// HTTPClient makes the calls; one with a 15-second timeout when nil.
	HTTPClient *http.Client
}

// Client calls the Graph API for one or more pages.
type Client struct {
	base   string
	tokens map[string]string
	http   *http.Client
}

// New checks the options and returns a client.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("graph API base URL must be an absolute http(s) URL like %s, got %q", DefaultBaseURL, opts.BaseURL)
	}
	if !versionPattern.MatchString(opts.Version) {
		return nil, fmt.Errorf("graph API version must look like %s, got %q", DefaultVersion, opts.Version)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	tokens := make(map[string]string, len(opts.PageTokens))
	for page, token := range opts.PageTokens {
		tokens[page] = token
	}
	return &Client{base: strings.TrimRight(opts.BaseURL, "/") + "/" + opts.Version, tokens: tokens, http: opts.HTTPClient}, nil
}

// HasPage reports whether the client has a token for the page.
func (c *Client) HasPage(pageID string) bool { return c.tokens[pageID] != "" }

// Tag is a Messenger message tag; the zero value sends a standard response.
type Tag string

// TagHumanAgent lets staff answer up to 7 days after the customer's last message.
const TagHumanAgent Tag = chat.TagHumanAgent

// Parts returns how many Send API calls the content takes, or why it cannot
// be sent. The calls are: one per image, in order; then the text with its
// buttons. Text with link buttons goes as a button template (up to three
// buttons in all, link and payload buttons together); text with only payload
// buttons goes with quick replies (up to 13).
func Parts(content chat.Content) (int, error) {
	for i, a := range content.Attachments {
		if a.Type != "image" {
			return 0, fmt.Errorf("attachment %d is a %q; Messenger messages from handoff carry images only", i+1, a.Type)
		}
	}
	links := 0
	for _, b := range content.Buttons {
		if b.URL != "" {
			links++
		}
		if utf8.RuneCountInString(b.Title) > MaxButtonTitleRunes {
			return 0, fmt.Errorf("button title %q is longer than Messenger's %d characters", b.Title, MaxButtonTitleRunes)
		}
	}
	text := utf8.RuneCountInString(content.Text)
	switch {
	case links > 0 && len(content.Buttons) > MaxTemplateButtons:
		return 0, fmt.Errorf("a message with link buttons can have at most %d buttons on Messenger, this one has %d", MaxTemplateButtons, len(content.Buttons))
	case links > 0 && content.Text == "":
		return 0, errors.New("link buttons need text to go with them on Messenger")
	case links > 0 && text > MaxTemplateTextRunes:
		return 0, fmt.Errorf("text with link buttons is limited to %d characters on Messenger, this one has %d", MaxTemplateTextRunes, text)
	case len(content.Buttons) > MaxQuickReplies:
		return 0, fmt.Errorf("a message can offer at most %d quick replies on Messenger, this one has %d", MaxQuickReplies, len(content.Buttons))
	case text > MaxTextRunes:
		return 0, fmt.Errorf("text is limited to %d characters on Messenger, this one has %d", MaxTextRunes, text)
	case content.Text == "" && len(content.Buttons) > 0:
		return 0, errors.New("buttons need text to go with them on Messenger")
	}
	n := len(content.Attachments)
	if content.Text != "" {
		n++
	}
	if n == 0 {
		return 0, errors.New("the message has neither text nor an image")
	}
	return n, nil
}

// Send sends every part of the content and returns the message IDs Meta
// gave them, in order. The Send API has no idempotency key: a caller that
// retries should send part by part with SendPart and skip the parts that
// already went.
func (c *Client) Send(ctx context.Context, pageID, psid string, content chat.Content, tag Tag) ([]string, error) {
	n, err := Parts(content)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, n)
	for part := 0; part < n; part++ {
		id, err := c.SendPart(ctx, pageID, psid, content, tag, part)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// SendPart makes the part-th Send API call of the content (see Parts).
func (c *Client) SendPart(ctx context.Context, pageID, psid string, content chat.Content, tag Tag, part int) (string, error) {
	n, err := Parts(content)
	if err != nil {
		return "", err
	}
	if part < 0 || part >= n {
		return "", fmt.Errorf("part %d of a message with %d parts", part, n)
	}
	var message map[string]any
	if part < len(content.Attachments) {
		message = map[string]any{"attachment": map[string]any{
			"type":    "image",
			"payload": map[string]any{"url": content.Attachments[part].URL, "is_reusable": true},
		}}
	} else {
		message = textMessage(content)
	}
	body := map[string]any{
		"recipient":      map[string]string{"id": psid},
		"messaging_type": "RESPONSE",
		"message":        message,
	}
	if tag != "" {
		body["messaging_type"] = "MESSAGE_TAG"
		body["tag"] = string(tag)
	}
	var resp struct {
		MessageID string `json:"message_id"`
	}
	if err := c.call(ctx, http.MethodPost, pageID, "/"+url.PathEscape(pageID)+"/messages", nil, body, &resp); err != nil {
		return "", err
	}
	if resp.MessageID == "" {
		return "", errors.New("the Send API answered without a message_id")
	}
	return resp.MessageID, nil
}

// textMessage is the text with its buttons: a button template when there are
// link buttons, else text with quick replies.
func textMessage(content chat.Content) map[string]any {
	hasLinks := false
	for _, b := range content.Buttons {
		hasLinks = hasLinks || b.URL != ""
	}
	if !hasLinks {
		m := map[string]any{"text": content.Text}
		if len(content.Buttons) > 0 {
			replies := make([]map[string]string, 0, len(content.Buttons))
			for _, b := range content.Buttons {
				replies = append(replies, map[string]string{"content_type": "text", "title": b.Title, "payload": b.Payload})
			}
			m["quick_replies"] = replies
		}
		return m
	}
	buttons := make([]map[string]string, 0, len(content.Buttons))
	for _, b := range content.Buttons {
		if b.URL != "" {
			buttons = append(buttons, map[string]string{"type": "web_url", "title": b.Title, "url": b.URL})
		} else {
			buttons = append(buttons, map[string]string{"type": "postback", "title": b.Title, "payload": b.Payload})
		}
	}
	return map[string]any{"attachment": map[string]any{
		"type": "template",
		"payload": map[string]any{
			"template_type": "button",
			"text":          content.Text,
			"buttons":       buttons,
		},
	}}
}

// Profile is a customer's name as Messenger shows it to the page.
type Profile struct {
	FirstName string
	LastName  string
	// Name is the full name: Meta's, or first and last name joined.
	Name string
}

// Profile fetches the customer's name through the page they wrote to.
func (c *Client) Profile(ctx context.Context, pageID, psid string) (Profile, error) {
	var resp struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Name      string `json:"name"`
	}
	query := url.Values{"fields": {"first_name,last_name,name"}}
	if err := c.call(ctx, http.MethodGet, pageID, "/"+url.PathEscape(psid), query, nil, &resp); err != nil {
		return Profile{}, err
	}
	p := Profile{FirstName: resp.FirstName, LastName: resp.LastName, Name: resp.Name}
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	return p, nil
}

// call makes one Graph API request with the page's token and decodes the
// answer into out, or returns an *Error for Meta's error answers.
func (c *Client) call(ctx context.Context, method, pageID, path string, query url.Values, body, out any) error {
	token := c.tokens[pageID]
	if token == "" {
		return &Error{Code: codeNoToken, Message: fmt.Sprintf("no page access token for page %s; add \"%s:<token>\" to messenger.pages", pageID, pageID)}
	}
	if query == nil {
		query = url.Values{}
	}
	query.Set("access_token", token)
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode Graph API request: %w", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?"+query.Encode(), reader)
	if err != nil {
		return fmt.Errorf("build Graph API request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call Graph API %s %s: %w", method, path, redactToken(err, token))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read Graph API answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return parseError(resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode Graph API answer (HTTP %d): %w", resp.StatusCode, err)
	}
	return nil
}

// redactToken keeps the page token out of error messages, which end up in
// logs and workflow histories.
func redactToken(err error, token string) error {
	msg := err.Error()
	if !strings.Contains(msg, token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, token, "REDACTED"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

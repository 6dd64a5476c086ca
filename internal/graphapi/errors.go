package graphapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// codeNoToken marks the error of a page handoff has no token for; it is
// not one of Meta's codes.
const codeNoToken = -1

// Error is an error answer of the Graph API, or a page without a token.
type Error struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	FBTraceID  string
}

func (e *Error) Error() string {
	if e.Code == codeNoToken {
		return e.Message
	}
	s := fmt.Sprintf("graph API error %d", e.Code)
	if e.Subcode != 0 {
		s += fmt.Sprintf("/%d", e.Subcode)
	}
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	s += ": " + e.Message
	if e.FBTraceID != "" {
		s += " [fbtrace_id " + e.FBTraceID + "]"
	}
	return s
}

// Temporary reports whether the same call may succeed later: Meta's server
// errors and rate limits.
func (e *Error) Temporary() bool {
	if e.Code == codeNoToken {
		return false
	}
	switch e.Code {
	case 1, 2, 4, 17, 32, 341, 613:
		return true
	}
	return e.HTTPStatus >= 500 || e.HTTPStatus == 429
}

// Reason is one sentence for support staff about why a message did not go.
func (e *Error) Reason() string {
	switch {
	case e.Code == codeNoToken:
		return "Not sent: " + e.Message + "."
	case e.Code == 551 || e.Subcode == 1545041:
		return fmt.Sprintf("The customer can't be reached on Messenger right now (Meta error %d).", e.Code)
	case e.Code == 10 && e.Subcode == 2018278:
		return "Not sent: the message is outside the window in which Messenger allows replies (Meta error 10/2018278)."
	case e.Code == 190:
		return "Not sent: the page access token is invalid or expired; an admin must update messenger.pages (Meta error 190)."
	case e.Code == 10 || e.Code == 200 || e.Code == 230:
		return fmt.Sprintf("Not sent: the page lacks the permission to send this message: %s (Meta error %d).", e.Message, e.Code)
	case e.Code == 100:
		return fmt.Sprintf("Not sent: Messenger refused the message: %s (Meta error 100).", e.Message)
	case e.Temporary():
		return fmt.Sprintf("Not sent: Messenger is unavailable or rate-limiting: %s (Meta error %d).", e.Message, e.Code)
	default:
		return fmt.Sprintf("Not sent: Messenger answered: %s (Meta error %d).", e.Message, e.Code)
	}
}

// IsTemporary reports whether err may go away on retry: a temporary Graph
// API error, or a network failure or timeout on the way there.
func IsTemporary(err error) bool {
	var graphErr *Error
	if errors.As(err, &graphErr) {
		return graphErr.Temporary()
	}
	var netErr net.Error
	var urlErr *url.Error
	return errors.As(err, &netErr) || errors.As(err, &urlErr)
}

// parseError reads Meta's error body {"error": {...}}; any other body still
// yields an Error with the status and an excerpt.
func parseError(status int, body []byte) error {
	var envelope struct {
		Error *struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      int    `json:"code"`
			Subcode   int    `json:"error_subcode"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Error != nil {
		e := envelope.Error
		return &Error{HTTPStatus: status, Code: e.Code, Subcode: e.Subcode, Type: e.Type, Message: e.Message, FBTraceID: e.FBTraceID}
	}
	excerpt := strings.TrimSpace(string(body))
	if len(excerpt) > 200 {
		excerpt = excerpt[:200] + "…"
	}
	if excerpt == "" {
		excerpt = "(empty body)"
	}
	return &Error{HTTPStatus: status, Message: "unexpected answer: " + excerpt}
}

// Package graphsink is a stand-in for Meta's Graph API that the benchmark
// serves itself: handoff's Messenger replies go to it through the Send API,
// in the real wire format, and it reports each one, with the moment it
// arrived, to a callback. It also answers profile reads, so new Messenger
// customers get a name as they would from Meta.
package graphsink

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Delivery is one Send API call: a message to a customer.
type Delivery struct {
	PageID string
	// Recipient is the customer's page-scoped ID.
	Recipient string
	// Text is the message's text, or the text of its button template; empty
	// for an image.
	Text string
	// At is when the call arrived.
	At time.Time
	// MessageID is the message_id the stand-in answered with.
	MessageID string
}

// Sink is the running stand-in.
type Sink struct {
	// URL is the base URL to configure as messenger.graph_url.
	URL string

	tokens map[string]string // page ID -> access token
	onSend func(Delivery)
	srv    *http.Server
	done   chan error
	sends  atomic.Int64
	nextID atomic.Int64
}

// Start listens on addr ("127.0.0.1:0" for a free port) and accepts the
// pages' tokens; onSend is called, from the request's goroutine, for every
// accepted Send API call.
func Start(addr string, pageTokens map[string]string, onSend func(Delivery), logger *slog.Logger) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("graph API stand-in: listen on %s: %w", addr, err)
	}
	s := &Sink{
		URL:    "http://" + ln.Addr().String(),
		tokens: pageTokens,
		onSend: onSend,
		done:   make(chan error, 1),
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Sink) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("graph API stand-in: close: %w", err)
	}
	if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("graph API stand-in: %w", err)
	}
	return nil
}

// Sends is how many Send API calls were accepted.
func (s *Sink) Sends() int64 { return s.sends.Load() }

// ServeHTTP answers POST /{version}/{page}/messages and GET /{version}/{psid}.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	token := r.URL.Query().Get("access_token")
	switch {
	case len(parts) == 3 && parts[2] == "messages" && r.Method == http.MethodPost:
		s.send(w, r, parts[1], token)
	case len(parts) == 2 && r.Method == http.MethodGet:
		s.profile(w, parts[1], token)
	default:
		writeError(w, http.StatusNotFound, 803, "OAuthException", "Unknown path components: "+r.URL.Path)
	}
}

type sendBody struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	MessagingType string `json:"messaging_type"`
	Message       struct {
		Text       string `json:"text"`
		Attachment *struct {
			Payload struct {
				Text string `json:"text"`
			} `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
}

func (s *Sink) send(w http.ResponseWriter, r *http.Request, pageID, token string) {
	at := time.Now()
	if want, ok := s.tokens[pageID]; !ok || token != want {
		writeError(w, http.StatusBadRequest, 190, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, 100, "OAuthException", "(#100) "+err.Error())
		return
	}
	var body sendBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, 100, "OAuthException", "(#100) Invalid JSON: "+err.Error())
		return
	}
	if body.Recipient.ID == "" {
		writeError(w, http.StatusBadRequest, 100, "OAuthException", "(#100) The parameter recipient is required")
		return
	}
	if body.Message.Text == "" && body.Message.Attachment == nil {
		writeError(w, http.StatusBadRequest, 100, "OAuthException", "(#100) Must send either message or state")
		return
	}
	text := body.Message.Text
	if text == "" {
		text = body.Message.Attachment.Payload.Text
	}
	s.sends.Add(1)
	mid := fmt.Sprintf("m_bench_%d", s.nextID.Add(1))
	s.onSend(Delivery{PageID: pageID, Recipient: body.Recipient.ID, Text: text, At: at, MessageID: mid})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"recipient_id": body.Recipient.ID, "message_id": mid})
}

func (s *Sink) profile(w http.ResponseWriter, psid, token string) {
	known := false
	for _, t := range s.tokens {
		known = known || (token != "" && token == t)
	}
	if !known {
		writeError(w, http.StatusBadRequest, 190, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"id": psid, "first_name": "Bench", "last_name": "Customer " + psid[max(len(psid)-4, 0):]})
}

func writeError(w http.ResponseWriter, status, code int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": message, "type": typ, "code": code, "fbtrace_id": "BenchTrace",
	}})
}

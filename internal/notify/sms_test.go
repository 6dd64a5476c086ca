package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/notify/vonagetest"
)

const testPhone = "+359888123456"

var vonageMessageID = regexp.MustCompile(`^[0-9A-F]{16}$`)

func senderFor(t *testing.T, srv *vonagetest.Server, alter func(*VonageConfig)) *SMSSender {
	t.Helper()
	cfg := VonageConfig{
		APIKey:    vonagetest.DefaultAPIKey,
		APISecret: vonagetest.DefaultAPISecret,
		From:      "Handoff",
		BaseURL:   srv.URL(),
	}
	if alter != nil {
		alter(&cfg)
	}
	s, err := NewSMSSender(cfg)
	if err != nil {
		t.Fatalf("NewSMSSender(%+v): %v", cfg, err)
	}
	return s
}

func TestSMSSenderSend(t *testing.T) {
	t.Parallel()
	longRef := "alert/conversation/messenger/12345/2026-03-05T12:30:00Z/attempt-1"
	sum := sha256.Sum256([]byte(longRef))
	hashedRef := hex.EncodeToString(sum[:])[:40]

	tests := []struct {
		name      string
		from      string
		text      string
		ref       string
		wantFrom  string
		wantType  string
		wantRef   string
		wantParts int
	}{
		{"plain text", "Handoff", "Ivan Petrov (Messenger) asks for a human.", "alert-1", "Handoff", "text", "alert-1", 1},
		{"GSM extension characters stay text", "Handoff", "Price: 5€ {ok} [x] ~ ^ | \\", "alert-2", "Handoff", "text", "alert-2", 1},
		{"Cyrillic is unicode", "Handoff", "Иван Петров (Messenger) asks for a human.", "alert-3", "Handoff", "unicode", "alert-3", 1},
		{"emoji is unicode", "Handoff", "Help 🙂", "alert-4", "Handoff", "unicode", "alert-4", 1},
		{"long client-ref is hashed", "Handoff", "hello", longRef, "Handoff", "text", hashedRef, 1},
		{"40-character client-ref is kept", "Handoff", "hello", strings.Repeat("r", 40), "Handoff", "text", strings.Repeat("r", 40), 1},
		{"no client-ref", "Handoff", "hello", "", "Handoff", "text", "", 1},
		{"numeric sender loses its plus", "+447700900000", "hello", "x", "447700900000", "text", "x", 1},
		{"long Cyrillic text in several parts", "Handoff", strings.Repeat("Здравствуйте ", 15), "x", "Handoff", "unicode", "x", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vonagetest.NewServer(t)
			s := senderFor(t, srv, func(c *VonageConfig) { c.From = tt.from })
			id, err := s.Send(context.Background(), testPhone, tt.text, tt.ref)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if !vonageMessageID.MatchString(id) {
				t.Errorf("message ID = %q, want Vonage's message-id", id)
			}
			reqs := srv.WaitForRequests(t, 1)
			if len(reqs) != 1 {
				t.Fatalf("server received %d requests, want 1", len(reqs))
			}
			want := vonagetest.Request{
				APIKey:    vonagetest.DefaultAPIKey,
				APISecret: vonagetest.DefaultAPISecret,
				From:      tt.wantFrom,
				To:        "359888123456",
				Text:      tt.text,
				Type:      tt.wantType,
				ClientRef: tt.wantRef,
			}
			if reqs[0] != want {
				t.Errorf("request =\n%+v\nwant\n%+v", reqs[0], want)
			}
			if len(reqs[0].ClientRef) > 40 {
				t.Errorf("client-ref %q is longer than 40", reqs[0].ClientRef)
			}
		})
	}
}

func TestSMSSenderSendsComposedAlert(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	s := senderFor(t, srv, nil)
	a := sampleAlert()
	a.CustomerName = "Иван Петров"
	text := SMSText(a)
	if _, err := s.Send(context.Background(), testPhone, text, a.ConversationID); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitForRequests(t, 1)[0]
	if got.Text != text || got.Type != "unicode" || got.ClientRef != a.ConversationID {
		t.Errorf("request = %+v, want the composed unicode text with client-ref %q", got, a.ConversationID)
	}
}

func TestSMSSenderVonageStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, text string
		permanent    bool
		want         string
	}{
		{"29", "Non-Whitelisted Destination", true, "Vonage refused the SMS to +359888123456: status 29 (Non-Whitelisted Destination)"},
		{"1", "Throttled", false, "status 1 (Throttled)"},
		{"5", "Internal Error", false, "status 5 (Internal Error)"},
		{"10", "Too Many Existing Binds", false, "status 10 (Too Many Existing Binds)"},
		{"2", "Missing to param", true, "status 2 (Missing to param)"},
		{"3", "Invalid from param", true, "status 3 (Invalid from param)"},
		{"4", "Bad Credentials", true, "status 4 (Bad Credentials)"},
		{"6", "Invalid Message", true, "status 6 (Invalid Message)"},
		{"7", "Number Barred", true, "status 7 (Number Barred)"},
		{"9", "Partner Quota Exceeded", true, "status 9 (Partner Quota Exceeded)"},
		{"15", "Illegal Sender Address - rejected", true, "status 15 (Illegal Sender Address - rejected)"},
		{"33", "Number De-activated", true, "status 33 (Number De-activated)"},
		{"99", "", true, "status 99 (unknown status)"},
		{"7", "", true, "status 7 (Number Barred)"},
	}
	for _, tt := range tests {
		t.Run(tt.status+" "+tt.text, func(t *testing.T) {
			t.Parallel()
			srv := vonagetest.NewServer(t)
			srv.FailNext(tt.status, tt.text)
			s := senderFor(t, srv, nil)
			id, err := s.Send(context.Background(), testPhone, "hello", "ref")
			if err == nil {
				t.Fatalf("Send succeeded with message ID %q, want an error", id)
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), testPhone) {
				t.Errorf("error %q does not name the recipient %s", err, testPhone)
			}
		})
	}
}

func TestSMSSenderHTTPErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      int
		permanent bool
	}{
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
		{http.StatusTooManyRequests, false},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusForbidden, true},
		{http.StatusNotFound, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			t.Parallel()
			srv := vonagetest.NewServer(t)
			srv.FailNextHTTP(tt.code)
			s := senderFor(t, srv, nil)
			_, err := s.Send(context.Background(), testPhone, "hello", "ref")
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			for _, want := range []string{fmt.Sprintf("HTTP %d", tt.code), http.StatusText(tt.code), testPhone} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server received %d requests, want 1", n)
			}
		})
	}
}

func TestSMSSenderBadCredentials(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	srv.SetCredentials("abcd1234", "right-secret")
	s := senderFor(t, srv, func(c *VonageConfig) { c.APIKey, c.APISecret = "abcd1234", "wrong-secret" })
	_, err := s.Send(context.Background(), testPhone, "hello", "ref")
	if !IsPermanent(err) {
		t.Fatalf("Send with wrong credentials = %v, want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "status 4 (Bad Credentials)") {
		t.Errorf("error %q does not contain the Vonage status", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error %q contains the secret", err)
	}
	if got := srv.WaitForRequests(t, 1)[0]; got.APIKey != "abcd1234" || got.APISecret != "wrong-secret" {
		t.Errorf("request credentials = %q/%q, want the configured ones", got.APIKey, got.APISecret)
	}
}

func TestSMSSenderTemporaryFailureThenSuccess(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	srv.FailNext("1", "Throttled")
	srv.FailNextHTTP(http.StatusServiceUnavailable)
	s := senderFor(t, srv, nil)
	for i := range 2 {
		if _, err := s.Send(context.Background(), testPhone, "hello", "ref"); err == nil || IsPermanent(err) {
			t.Fatalf("attempt %d: Send = %v, want a temporary error", i+1, err)
		}
	}
	id, err := s.Send(context.Background(), testPhone, "hello", "ref")
	if err != nil || id == "" {
		t.Fatalf("third attempt: Send = %q, %v, want success", id, err)
	}
	if n := len(srv.WaitForRequests(t, 3)); n != 3 {
		t.Errorf("server received %d requests, want 3", n)
	}
}

func TestSMSSenderUnreachable(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	s, err := NewSMSSender(VonageConfig{APIKey: "abcd1234", APISecret: "s", From: "Handoff", BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), testPhone, "hello", "ref")
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send to a closed server = %v, want a temporary error", err)
	}
	if !strings.Contains(err.Error(), "could not reach Vonage") {
		t.Errorf("error %q does not say Vonage could not be reached", err)
	}
}

func TestSMSSenderUnreadableAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"HTML instead of JSON", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}},
		{"no messages", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"message-count":"0","messages":[]}`))
		}},
		{"broken JSON", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"message-count":`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := httptest.NewServer(tt.handler)
			t.Cleanup(hs.Close)
			s, err := NewSMSSender(VonageConfig{APIKey: "abcd1234", APISecret: "s", From: "Handoff", BaseURL: hs.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), testPhone, "hello", "ref")
			if err == nil || IsPermanent(err) {
				t.Fatalf("Send = %v, want a temporary error", err)
			}
		})
	}
}

func TestSMSSenderCancelledContext(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	s := senderFor(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Send(ctx, testPhone, "hello", "ref")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context = %v, want an error matching context.Canceled", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%q) = true, want false", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server received %d requests, want none", n)
	}
}

func TestSMSSenderInvalidInput(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	s := senderFor(t, srv, nil)
	tests := []struct {
		name, to, text, want string
	}{
		{"no plus", "359888123456", "hi", `invalid SMS recipient "359888123456"`},
		{"spaces", "+359 888 123 456", "hi", "invalid SMS recipient"},
		{"too short", "+35988", "hi", "invalid SMS recipient"},
		{"too long", "+3598881234567890", "hi", "invalid SMS recipient"},
		{"letters", "+35988812345a", "hi", "invalid SMS recipient"},
		{"leading zero", "+0888123456", "hi", "invalid SMS recipient"},
		{"empty text", testPhone, " \n", "SMS text for +359888123456 is empty"},
		{"invalid UTF-8", testPhone, "\xff\xfe", "not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := s.Send(context.Background(), tt.to, tt.text, "ref")
		if !IsPermanent(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Send = %v (permanent %v), want a permanent error containing %q", tt.name, err, IsPermanent(err), tt.want)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server received %d requests for invalid input, want none", n)
	}
}

func TestNewSMSSenderValidation(t *testing.T) {
	t.Parallel()
	valid := func() VonageConfig {
		return VonageConfig{APIKey: "abcd1234", APISecret: "Sup3rS3cret", From: "Handoff"}
	}
	tests := []struct {
		name  string
		alter func(*VonageConfig)
		want  []string
	}{
		{"empty key", func(c *VonageConfig) { c.APIKey = "" }, []string{"Vonage APIKey is empty"}},
		{"short key", func(c *VonageConfig) { c.APIKey = "abc" }, []string{`Vonage APIKey "abc" has 3 characters: expected the 8-character API key`}},
		{"long key", func(c *VonageConfig) { c.APIKey = "abcd12345" }, []string{`Vonage APIKey "abcd12345" has 9 characters`}},
		{"empty secret", func(c *VonageConfig) { c.APISecret = "" }, []string{"Vonage APISecret is empty"}},
		{"empty from", func(c *VonageConfig) { c.From = "" }, []string{"Vonage From is empty"}},
		{"from too long", func(c *VonageConfig) { c.From = "HandoffAlerts" }, []string{`Vonage From "HandoffAlerts" is not a valid sender: expected up to 11`}},
		{"from with punctuation", func(c *VonageConfig) { c.From = "Hand-off!" }, []string{`Vonage From "Hand-off!" is not a valid sender`}},
		{"from number too long", func(c *VonageConfig) { c.From = "+1234567890123456" }, []string{"is 16 digits: a phone number has at most 15"}},
		{"base URL without scheme", func(c *VonageConfig) { c.BaseURL = "rest.nexmo.com" }, []string{`Vonage BaseURL "rest.nexmo.com" is not an absolute http(s) URL`}},
		{"base URL with query", func(c *VonageConfig) { c.BaseURL = "https://rest.nexmo.com?x=1" }, []string{"must not contain a query"}},
		{"base URL ftp", func(c *VonageConfig) { c.BaseURL = "ftp://rest.nexmo.com" }, []string{"is not an absolute http(s) URL"}},
		{"negative timeout", func(c *VonageConfig) { c.Timeout = -5 }, []string{"Vonage Timeout -5ns is negative"}},
		{"several problems", func(c *VonageConfig) { c.APIKey = ""; c.From = "" }, []string{"Vonage APIKey is empty", "Vonage From is empty"}},
	}
	for _, tt := range tests {
		cfg := valid()
		tt.alter(&cfg)
		s, err := NewSMSSender(cfg)
		if err == nil {
			t.Errorf("%s: NewSMSSender succeeded, want an error", tt.name)
			continue
		}
		if s != nil {
			t.Errorf("%s: NewSMSSender returned a sender along with the error", tt.name)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "Sup3rS3cret") {
			t.Errorf("%s: error %q contains the secret", tt.name, err)
		}
	}

	for i, alter := range []func(*VonageConfig){
		func(*VonageConfig) {},
		func(c *VonageConfig) { c.From = "447700900000" },
		func(c *VonageConfig) { c.From = "+447700900000" },
		func(c *VonageConfig) { c.From = "My Shop 24" },
		func(c *VonageConfig) { c.BaseURL = "https://rest.nexmo.com/" },
		func(c *VonageConfig) { c.BaseURL = "http://127.0.0.1:8080" },
	} {
		cfg := valid()
		alter(&cfg)
		if _, err := NewSMSSender(cfg); err != nil {
			t.Errorf("valid config %d (%+v): %v", i, cfg, err)
		}
	}
}

func TestNewSMSSenderBasePath(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"":                          "https://rest.nexmo.com/sms",
		"https://rest.nexmo.com/":   "https://rest.nexmo.com/sms",
		"http://127.0.0.1:1234":     "http://127.0.0.1:1234/sms",
		"https://proxy.example/api": "https://proxy.example/api/sms",
	} {
		s, err := NewSMSSender(VonageConfig{APIKey: "abcd1234", APISecret: "s", From: "Handoff", BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		if s.basePath != want {
			t.Errorf("BaseURL %q: SDK base path = %q, want %q", base, s.basePath, want)
		}
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	perm := &PermanentError{Err: base}
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{base, false},
		{perm, true},
		{errors.Join(errors.New("context"), perm), true},
		{&detailedError{msg: "wrapped", err: perm}, true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if perm.Error() != "boom" || !errors.Is(perm, base) {
		t.Errorf("PermanentError does not show or unwrap its cause: %q", perm.Error())
	}
	if (&PermanentError{}).Error() == "" {
		t.Error("PermanentError with nil Err has an empty message")
	}
}

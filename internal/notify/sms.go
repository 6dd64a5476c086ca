package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vonage/vonage-go-sdk"
)

// DefaultVonageBaseURL is Vonage's REST API, used when VonageConfig.BaseURL
// is empty.
const DefaultVonageBaseURL = "https://rest.nexmo.com"

// maxClientRef is the longest client-ref Vonage accepts.
const maxClientRef = 40

// VonageConfig configures an [SMSSender].
type VonageConfig struct {
	// APIKey and APISecret are the Vonage account's API credentials. The
	// key is 8 characters long (the Vonage SDK refuses any other length).
	APIKey, APISecret string
	// From is the sender ID: up to 11 letters, digits and spaces (with at
	// least one letter), or a phone number of up to 15 digits, optionally
	// with a leading "+".
	From string
	// BaseURL is the API's base URL without the "/sms" path. Empty means
	// https://rest.nexmo.com. Tests point it at a vonagetest server.
	BaseURL string
	// Timeout limits each request to Vonage. Zero means 30 seconds. The
	// context passed to Send can shorten it.
	Timeout time.Duration
}

// SMSSender sends SMS through Vonage's SMS API. It is safe for concurrent
// use.
type SMSSender struct {
	apiKey, apiSecret string
	from              string
	basePath          string // BaseURL + "/sms", the SDK's BasePath
	host              string // for messages
	timeout           time.Duration
	transport         http.RoundTripper
	logger            *slog.Logger
}

// NewSMSSender checks cfg and returns an SMSSender for it. The errors say
// which field is wrong, what its value is and what is expected. It does not
// contact Vonage.
func NewSMSSender(cfg VonageConfig) (*SMSSender, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	switch n := utf8.RuneCountInString(cfg.APIKey); {
	case cfg.APIKey == "":
		bad("Vonage APIKey is empty: expected the 8-character API key from the Vonage dashboard")
	case n != 8 || strings.ContainsFunc(cfg.APIKey, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		bad("Vonage APIKey %q has %d characters: expected the 8-character API key (letters and digits) from the Vonage dashboard", cfg.APIKey, n)
	}
	if cfg.APISecret == "" {
		bad("Vonage APISecret is empty: expected the API secret from the Vonage dashboard")
	} else if strings.ContainsFunc(cfg.APISecret, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		bad("Vonage APISecret contains spaces or non-ASCII characters: expected the API secret from the Vonage dashboard")
	}

	from, err := normaliseSender(cfg.From)
	if err != nil {
		bad("%v", err)
	}

	base := cfg.BaseURL
	if base == "" {
		base = DefaultVonageBaseURL
	}
	u, err := url.Parse(base)
	switch {
	case err != nil:
		bad("Vonage BaseURL %q is not a valid URL (%v): expected e.g. %s", cfg.BaseURL, err, DefaultVonageBaseURL)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		bad("Vonage BaseURL %q is not an absolute http(s) URL: expected e.g. %s", cfg.BaseURL, DefaultVonageBaseURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		bad("Vonage BaseURL %q must not contain a query, fragment or user info: expected e.g. %s", cfg.BaseURL, DefaultVonageBaseURL)
	}

	if cfg.Timeout < 0 {
		bad("Vonage Timeout %s is negative: expected a positive duration, or 0 for the default of %s", cfg.Timeout, defaultTimeout)
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid Vonage configuration: %w", errors.Join(errs...))
	}

	s := &SMSSender{
		apiKey:    cfg.APIKey,
		apiSecret: cfg.APISecret,
		from:      from,
		basePath:  strings.TrimRight(base, "/") + "/sms",
		host:      u.Host,
		timeout:   cfg.Timeout,
		transport: http.DefaultTransport,
		logger:    slog.Default().With("component", "notify.sms"),
	}
	if s.timeout == 0 {
		s.timeout = defaultTimeout
	}
	return s, nil
}

// Send sends text to the phone number to (E.164, e.g. "+359888123456") and
// returns Vonage's message ID (of the first part, if Vonage split the text).
// clientRef is passed as Vonage's client-ref so the SMS can be traced; if it
// is longer than 40 characters, the first 40 hex digits of its SHA-256 are
// sent instead. The message type is "unicode" when text has characters
// outside the GSM-7 alphabet (Cyrillic, for example), else "text".
//
// Errors say what went wrong and include Vonage's status and error text;
// [IsPermanent] tells whether retrying can help: statuses 1, 5 and 10, HTTP
// 429 and 5xx, network errors and timeouts are temporary, every other
// status and HTTP 4xx are permanent. See the package documentation.
func (s *SMSSender) Send(ctx context.Context, to, text, clientRef string) (messageID string, err error) {
	number, err := e164Digits(to)
	if err != nil {
		return "", permanent(err)
	}
	if strings.TrimSpace(text) == "" {
		return "", permanent(fmt.Errorf("SMS text for %s is empty", to))
	}
	if !utf8.ValidString(text) {
		return "", permanent(fmt.Errorf("SMS text for %s is not valid UTF-8", to))
	}
	msgType := "text"
	if !isGSM7(text) {
		msgType = "unicode"
	}
	ref := clientRefFor(clientRef)

	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rt := &ctxTransport{ctx: ctx, base: s.transport}

	// The SDK builds its requests with context.Background(); a fresh client
	// per call, whose transport substitutes our context, makes ctx (and the
	// timeout) apply to the request and to reading the answer. The SDK
	// reads the whole answer before Send returns, so cancel() afterwards is
	// safe.
	client := vonage.NewSMSClient(vonage.CreateAuthFromKeySecret(s.apiKey, s.apiSecret))
	client.Config.BasePath = s.basePath
	client.Config.HTTPClient = &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	res, errResp, err := sendWithSDK(client, s.from, number, text, vonage.SMSOpts{Type: msgType, ClientRef: ref})
	if err != nil {
		return "", s.classifyHTTP(parent, ctx, to, rt.statusCode, err)
	}

	if len(res.Messages) == 0 {
		return "", vonageErrorf("Vonage (%s) answered the SMS to %s without any message status", s.host, to)
	}
	for i, m := range res.Messages {
		if m.Status == "0" {
			continue
		}
		errorText := ""
		if i < len(errResp.Messages) {
			errorText = strings.TrimSpace(errResp.Messages[i].ErrorText)
		}
		if errorText == "" {
			errorText = vonageStatusText[m.Status]
		}
		if errorText == "" {
			errorText = "unknown status"
		}
		part := ""
		switch {
		case i > 0:
			part = fmt.Sprintf(" (part %d of %d; the parts before it were accepted)", i+1, len(res.Messages))
		case len(res.Messages) > 1:
			part = fmt.Sprintf(" (part 1 of %d)", len(res.Messages))
		}
		switch m.Status {
		case "1", "5", "10":
			return "", vonageErrorf("Vonage could not take the SMS to %s for now: status %s (%s)%s", to, m.Status, errorText, part)
		default:
			return "", permanent(vonageErrorf("Vonage refused the SMS to %s: status %s (%s)%s", to, m.Status, errorText, part))
		}
	}
	id := res.Messages[0].MessageId
	s.logger.DebugContext(ctx, "SMS accepted by Vonage", "to", to, "message_id", id,
		"parts", len(res.Messages), "type", msgType, "client_ref", ref)
	return id, nil
}

// sendWithSDK calls the SDK, turning its panic on an answer without
// messages (it indexes Messages[0] unchecked) into an error.
func sendWithSDK(client *vonage.SMSClient, from, to, text string, opts vonage.SMSOpts) (res vonage.Sms, errResp vonage.SmsErrorResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the Vonage SDK could not read the answer: %v", r)
		}
	}()
	return client.Send(from, to, text, opts)
}

// classifyHTTP classifies an error from the SDK: no answer at all, or an
// HTTP answer that is not a readable 2xx.
// parent is the caller's context, ctx the one with our timeout.
func (s *SMSSender) classifyHTTP(parent, ctx context.Context, to string, status int, err error) error {
	detail := err.Error()
	if b, ok := err.(interface{ Body() []byte }); ok && len(b.Body()) > 0 {
		detail += ": " + truncateRunes(singleLine(string(b.Body())), 200, "…")
	}
	switch {
	case status == 0 && parent.Err() != nil:
		return &detailedError{
			msg: fmt.Sprintf("sending the SMS to %s via Vonage (%s) stopped: %v", to, s.host, parent.Err()),
			err: errors.Join(parent.Err(), err),
		}
	case status == 0 && ctx.Err() != nil:
		return &detailedError{
			msg: fmt.Sprintf("sending the SMS to %s: Vonage (%s) did not answer within %s", to, s.host, s.timeout),
			err: errors.Join(ctx.Err(), err),
		}
	case status == 0:
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return fmt.Errorf("sending the SMS to %s: Vonage (%s) did not answer in time: %w", to, s.host, err)
		}
		return fmt.Errorf("sending the SMS to %s: could not reach Vonage (%s): %w", to, s.host, err)
	case status == http.StatusTooManyRequests || status >= 500:
		return &detailedError{msg: fmt.Sprintf("Vonage (%s) answered HTTP %d for the SMS to %s, try again later: %s", s.host, status, to, detail), err: err}
	case status >= 300:
		return permanent(&detailedError{msg: fmt.Sprintf("Vonage (%s) refused the SMS to %s with HTTP %d: %s", s.host, to, status, detail), err: err})
	default:
		// A 2xx we could not read: the SMS may or may not have been sent.
		return &detailedError{msg: fmt.Sprintf("Vonage (%s) answered HTTP %d for the SMS to %s, but the answer could not be read: %s", s.host, status, to, detail), err: err}
	}
}

// ctxTransport makes every request use ctx and remembers the HTTP status of
// the last answer. It is used by one goroutine at a time.
type ctxTransport struct {
	ctx        context.Context
	base       http.RoundTripper
	statusCode int
}

func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if err == nil {
		t.statusCode = resp.StatusCode
	}
	return resp, err
}

// e164Digits checks an E.164 number ("+359888123456") and returns its digits
// without the "+", as Vonage wants them.
func e164Digits(to string) (string, error) {
	digits, ok := strings.CutPrefix(to, "+")
	valid := ok && len(digits) >= 7 && len(digits) <= 15 && digits[0] != '0' &&
		!strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	if !valid {
		return "", fmt.Errorf("invalid SMS recipient %q: expected an E.164 phone number, a \"+\" and 7 to 15 digits, e.g. +359888123456", to)
	}
	return digits, nil
}

// vonageErrorf is fmt.Errorf without %w, for messages that start with the
// proper noun "Vonage" (which linters would flag as a capitalised error
// string).
func vonageErrorf(format string, args ...any) error {
	return &detailedError{msg: fmt.Sprintf(format, args...)}
}

// normaliseSender checks a Vonage sender ID and returns it as Vonage wants
// it (numbers without "+").
func normaliseSender(from string) (string, error) {
	if from == "" {
		return "", vonageErrorf(`Vonage From is empty: expected a sender ID of up to 11 letters and digits (e.g. "Handoff") or a phone number (e.g. 447700900000)`)
	}
	digits := strings.TrimPrefix(from, "+")
	if digits != "" && !strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(digits) > 15 {
			return "", vonageErrorf("Vonage From %q is %d digits: a phone number has at most 15", from, len(digits))
		}
		return digits, nil
	}
	alnum := !strings.ContainsFunc(from, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != ' '
	})
	if !alnum || len(from) > 11 || strings.TrimSpace(from) == "" {
		return "", vonageErrorf(`Vonage From %q is not a valid sender: expected up to 11 ASCII letters, digits and spaces (e.g. "Handoff") or a phone number (e.g. 447700900000)`, from)
	}
	return from, nil
}

// clientRefFor returns ref, or the first 40 hex digits of its SHA-256 when it
// is longer than Vonage allows.
func clientRefFor(ref string) string {
	if len(ref) <= maxClientRef {
		return ref
	}
	sum := sha256.Sum256([]byte(ref))
	return hex.EncodeToString(sum[:])[:maxClientRef]
}

// gsm7 holds the GSM 03.38 basic character set (without ESC) and its
// extension table.
var gsm7 = func() map[rune]bool {
	const basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	const extension = "\f^{}\\[~]|€"
	m := make(map[rune]bool, len(basic)+len(extension))
	for _, r := range basic + extension {
		m[r] = true
	}
	return m
}()

// isGSM7 reports whether every character of s is in the GSM-7 alphabet, so
// the SMS can be sent as type "text".
func isGSM7(s string) bool {
	for _, r := range s {
		if !gsm7[r] {
			return false
		}
	}
	return true
}

// vonageStatusText describes Vonage SMS API statuses, for answers that carry
// no error-text.
var vonageStatusText = map[string]string{
	"1":  "Throttled",
	"2":  "Missing Parameters",
	"3":  "Invalid Parameters",
	"4":  "Invalid Credentials",
	"5":  "Internal Error",
	"6":  "Invalid Message",
	"7":  "Number Barred",
	"8":  "Partner Account Barred",
	"9":  "Partner Quota Violation",
	"10": "Too Many Existing Binds",
	"11": "Account Not Enabled For HTTP",
	"12": "Message Too Long",
	"14": "Invalid Signature",
	"15": "Invalid Sender Address",
	"22": "Invalid Network Code",
	"23": "Invalid Callback URL",
	"29": "Non-Whitelisted Destination",
	"32": "Signature And API Secret Disallowed",
	"33": "Number De-activated",
}

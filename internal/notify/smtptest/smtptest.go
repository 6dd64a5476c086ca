// Package smtptest runs a real SMTP server on 127.0.0.1 for tests, built on
// github.com/emersion/go-smtp. It records every message it accepts and can
// be told to reject recipients or fail transactions.
//
//	srv := smtptest.Start(t, smtptest.Options{TLS: "starttls", Username: "u", Password: "p"})
//	// configure the client with srv.Host(), srv.Port(), srv.ClientTLSConfig()
//	msgs := srv.WaitForMessages(t, 1)
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// waitTimeout is how long WaitForMessages waits.
const waitTimeout = 20 * time.Second

// Options configures a test server.
type Options struct {
	// TLS selects the transport security: "" is plain text with no TLS at
	// all (STARTTLS is not offered), "starttls" offers STARTTLS on a plain
	// listener, "tls" is an implicit-TLS listener (SMTPS).
	TLS string
	// Username and Password, when set, make AUTH PLAIN required: MAIL FROM
	// is refused with 530 until the client has authenticated, and wrong
	// credentials get 535. With TLS "starttls", AUTH is offered only after
	// STARTTLS, like real servers do; with TLS "" it is offered in plain
	// text.
	Username, Password string
}

// Message is one message the server accepted.
type Message struct {
	// From is the envelope sender (MAIL FROM), without angle brackets.
	From string
	// To holds the envelope recipients (RCPT TO), without angle brackets.
	To []string
	// Data is the message exactly as received (CRLF line endings).
	Data []byte
	// Header is the parsed header; nil if the message could not be parsed.
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Body is the decoded text/plain body (quoted-printable and base64 are
	// decoded; for multipart messages the first text/plain part), with
	// line endings normalised to "\n".
	Body string
}

// Server is a running test SMTP server.
type Server struct {
	opts      Options
	srv       *smtp.Server
	ln        net.Listener
	port      int
	clientTLS *tls.Config

	mu        sync.Mutex
	messages  []Message
	rejected  map[string]bool
	failNext  int
	attempts  int
	changed   chan struct{} // closed and replaced whenever something is recorded
	serveDone chan struct{}
}

// Start starts a server on 127.0.0.1 with a random port. It is stopped when
// the test ends (t.Cleanup).
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	switch opts.TLS {
	case "", "starttls", "tls":
	default:
		t.Fatalf(`smtptest: Options.TLS %q is not known: expected "", "starttls" or "tls"`, opts.TLS)
	}
	if (opts.Username == "") != (opts.Password == "") {
		t.Fatalf("smtptest: set both Options.Username and Options.Password, or neither")
	}

	cert, pool, err := selfSignedCert()
	if err != nil {
		t.Fatalf("smtptest: generating the TLS certificate: %v", err)
	}
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listening on 127.0.0.1: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if opts.TLS == "tls" {
		ln = tls.NewListener(ln, serverTLS)
	}

	s := &Server{
		opts:      opts,
		ln:        ln,
		port:      port,
		clientTLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		rejected:  make(map[string]bool),
		changed:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.TLS != "" {
		// With "tls" the connection is already encrypted, so go-smtp does
		// not offer STARTTLS; with "starttls" it does.
		srv.TLSConfig = serverTLS
	}
	srv.AllowInsecureAuth = opts.TLS == ""
	s.srv = srv

	go func() {
		defer close(s.serveDone)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	// go-smtp's Close misses a listener that Serve has not registered yet,
	// so close it here too.
	_ = s.srv.Close()
	_ = s.ln.Close()
	<-s.serveDone
}

// Host returns the server's IP address, "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the server's TCP port.
func (s *Server) Port() int { return s.port }

// ClientTLSConfig returns a TLS config that trusts the server's self-signed
// certificate (valid for 127.0.0.1, ::1 and localhost). Its ServerName is
// empty, so the client fills in the host it dials. Each call returns a new
// config.
func (s *Server) ClientTLSConfig() *tls.Config { return s.clientTLS.Clone() }

// Messages returns a copy of the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	copy(out, s.messages)
	return out
}

// WaitForMessages waits up to 20 seconds until at least n messages have been
// accepted and returns them all; otherwise it fails the test, saying how
// many arrived. Call it from the test's goroutine.
func (s *Server) WaitForMessages(t testing.TB, n int) []Message {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			out := make([]Message, len(s.messages))
			copy(out, s.messages)
			s.mu.Unlock()
			return out
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-changed:
		case <-timer.C:
			s.mu.Lock()
			got, attempts := len(s.messages), s.attempts
			s.mu.Unlock()
			t.Fatalf("smtptest: waited %s for %d message(s) on 127.0.0.1:%d, but %d arrived (%d MAIL FROM attempt(s))",
				waitTimeout, n, s.port, got, attempts)
			return nil
		}
	}
}

// RejectRecipient makes RCPT TO addr (compared case-insensitively) fail
// with "550 5.1.1".
func (s *Server) RejectRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(strings.Trim(addr, "<>"))] = true
}

// FailNext makes the next n transactions fail with "451 4.3.0" at MAIL
// FROM (a temporary failure). Calls add up.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext += n
}

// Attempts returns how many MAIL FROM commands the server has received,
// including refused ones.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// notifyLocked wakes WaitForMessages; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP connection's state.
type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.s.opts.Username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if (identity != "" && identity != username) ||
			username != se.s.opts.Username || password != se.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	s := se.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	s.notifyLocked()
	if s.opts.Username != "" && !se.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if s.failNext > 0 {
		s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	}
	se.from = from
	se.to = nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := se.s
	s.mu.Lock()
	rejected := s.rejected[strings.ToLower(to)]
	s.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("<%s>: no such user", to)}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := parseMessage(data)
	msg.From = se.from
	msg.To = append([]string(nil), se.to...)

	s := se.s
	s.mu.Lock()
	s.messages = append(s.messages, msg)
	s.notifyLocked()
	s.mu.Unlock()
	return nil
}

func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

func (se *session) Logout() error { return nil }

// parseMessage parses what it can of data; it never fails.
func parseMessage(data []byte) Message {
	msg := Message{Data: data}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		msg.Body = normaliseNewlines(string(data))
		return msg
	}
	msg.Header = m.Header
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(m.Header.Get("Subject")); err == nil {
		msg.Subject = subj
	} else {
		msg.Subject = m.Header.Get("Subject")
	}
	body, err := textBody(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0)
	if err != nil {
		raw, _ := io.ReadAll(m.Body)
		body = string(raw)
	}
	msg.Body = normaliseNewlines(body)
	return msg
}

// textBody returns the decoded text/plain content of an entity, looking
// into multipart entities (up to a small depth).
func textBody(contentType, encoding string, r io.Reader, depth int) (string, error) {
	mediaType := "text/plain"
	var params map[string]string
	if contentType != "" {
		var err error
		mediaType, params, err = mime.ParseMediaType(contentType)
		if err != nil {
			return "", err
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth > 5 {
			return "", errors.New("multipart nesting too deep")
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return "", fmt.Errorf("no text/plain part: %w", err)
			}
			text, err := textBody(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if err == nil {
				return text, nil
			}
		}
	}
	if mediaType != "text/plain" {
		return "", fmt.Errorf("not text/plain but %s", mediaType)
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

func normaliseNewlines(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// selfSignedCert makes a certificate for 127.0.0.1, ::1 and localhost, and a
// pool that trusts it.
func selfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest", Organization: []string{"handoff smtptest"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

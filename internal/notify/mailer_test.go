package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/notify/smtptest"
)

const (
	testUser = "alerts@example.com"
	testPass = "s3cret pass"
)

// mailerFor returns a Mailer for srv; alter may change the config first.
func mailerFor(t *testing.T, srv *smtptest.Server, sec Security, alter func(*SMTPConfig)) *Mailer {
	t.Helper()
	cfg := SMTPConfig{
		Host:      srv.Host(),
		Port:      srv.Port(),
		Security:  sec,
		From:      "Handoff Alerts <alerts@example.com>",
		TLSConfig: srv.ClientTLSConfig(),
	}
	if alter != nil {
		alter(&cfg)
	}
	m, err := NewMailer(cfg)
	if err != nil {
		t.Fatalf("NewMailer(%+v): %v", cfg, err)
	}
	return m
}

func withAuth(user, pass string) func(*SMTPConfig) {
	return func(c *SMTPConfig) { c.Username, c.Password = user, pass }
}

func sampleEmail() Email {
	a := sampleAlert()
	a.CustomerName = "Иван Петров"
	a.Recent = append(a.Recent, Quote{Text: "Здравствуйте, мне нужен оператор.\n.\nA line with only a dot above.", SentAt: a.RequestedAt})
	return Email{
		To:        "Shop Owner <owner@example.com>",
		Subject:   EmailSubject(a),
		Body:      EmailBody(a),
		MessageID: "<alert-conversation-12345-1@handoff>",
	}
}

func TestMailerSendDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     smtptest.Options
		security Security
		alter    func(*SMTPConfig)
	}{
		{"plain text, no auth", smtptest.Options{}, SecurityNone, nil},
		{"plain text to localhost with auth", smtptest.Options{Username: testUser, Password: testPass}, SecurityNone, withAuth(testUser, testPass)},
		{"STARTTLS with auth", smtptest.Options{TLS: "starttls", Username: testUser, Password: testPass}, SecuritySTARTTLS, withAuth(testUser, testPass)},
		{"STARTTLS without auth", smtptest.Options{TLS: "starttls"}, SecuritySTARTTLS, nil},
		{"implicit TLS with auth", smtptest.Options{TLS: "tls", Username: testUser, Password: testPass}, SecurityTLS, withAuth(testUser, testPass)},
		{"STARTTLS to localhost by name", smtptest.Options{TLS: "starttls"}, SecuritySTARTTLS, func(c *SMTPConfig) { c.Host = "localhost" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opts)
			m := mailerFor(t, srv, tt.security, tt.alter)
			e := sampleEmail()
			if err := m.Send(context.Background(), e); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.WaitForMessages(t, 1)
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != "alerts@example.com" {
				t.Errorf("envelope sender = %q, want alerts@example.com", got.From)
			}
			if len(got.To) != 1 || got.To[0] != "owner@example.com" {
				t.Errorf("envelope recipients = %q, want [owner@example.com]", got.To)
			}
			if got.Header == nil {
				t.Fatalf("server could not parse the message:\n%s", got.Data)
			}
			if got.Subject != e.Subject {
				t.Errorf("Subject = %q, want %q", got.Subject, e.Subject)
			}
			if got.Body != e.Body {
				t.Errorf("Body =\n%s\nwant\n%s", got.Body, e.Body)
			}
			if id := got.Header.Get("Message-Id"); id != e.MessageID {
				t.Errorf("Message-ID = %q, want %q", id, e.MessageID)
			}
			if _, err := got.Header.Date(); err != nil {
				t.Errorf("Date header %q: %v", got.Header.Get("Date"), err)
			}
			if to := got.Header.Get("To"); !strings.Contains(to, "owner@example.com") {
				t.Errorf("To header = %q, want it to name owner@example.com", to)
			}
			if from, err := got.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "alerts@example.com" || from[0].Name != "Handoff Alerts" {
				t.Errorf("From header = %q (%v), want Handoff Alerts <alerts@example.com>", got.Header.Get("From"), err)
			}
			if ct := got.Header.Get("Content-Type"); !strings.Contains(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "utf-8") {
				t.Errorf("Content-Type = %q, want text/plain; charset=UTF-8", ct)
			}
			if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("Auto-Submitted = %q, want auto-generated", v)
			}
		})
	}
}

func TestMailerSendWithoutMessageIDGeneratesOne(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailerFor(t, srv, SecurityNone, nil)
	e := sampleEmail()
	e.MessageID = ""
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitForMessages(t, 1)[0]
	if id := got.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID = %q, want a generated <x@y>", id)
	}
}

func TestMailerSendFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      smtptest.Options
		security  Security
		alter     func(*SMTPConfig)
		prepare   func(*smtptest.Server)
		to        string
		permanent bool
		contains  []string
	}{
		{
			name:      "rejected recipient",
			opts:      smtptest.Options{TLS: "starttls", Username: testUser, Password: testPass},
			security:  SecuritySTARTTLS,
			alter:     withAuth(testUser, testPass),
			prepare:   func(s *smtptest.Server) { s.RejectRecipient("nobody@example.com") },
			to:        "nobody@example.com",
			permanent: true,
			contains:  []string{`rejected recipient "nobody@example.com": 550 5.1.1`, "no such user"},
		},
		{
			name:      "temporary failure",
			opts:      smtptest.Options{},
			security:  SecurityNone,
			prepare:   func(s *smtptest.Server) { s.FailNext(1) },
			permanent: false,
			contains:  []string{`rejected sender "alerts@example.com": 451 4.3.0`},
		},
		{
			name:      "wrong password",
			opts:      smtptest.Options{TLS: "starttls", Username: testUser, Password: testPass},
			security:  SecuritySTARTTLS,
			alter:     withAuth(testUser, "wrong"),
			permanent: true,
			contains:  []string{`rejected the login for user "alerts@example.com": 535 5.7.8`},
		},
		{
			name:      "wrong user over implicit TLS",
			opts:      smtptest.Options{TLS: "tls", Username: testUser, Password: testPass},
			security:  SecurityTLS,
			alter:     withAuth("someone@example.com", testPass),
			permanent: true,
			contains:  []string{"535 5.7.8"},
		},
		{
			name:      "no credentials where the server requires them",
			opts:      smtptest.Options{TLS: "starttls", Username: testUser, Password: testPass},
			security:  SecuritySTARTTLS,
			permanent: true,
			contains:  []string{`rejected sender "alerts@example.com": 530 5.7.0`},
		},
		{
			name:      "STARTTLS required but not offered",
			opts:      smtptest.Options{},
			security:  SecuritySTARTTLS,
			permanent: true,
			contains:  []string{"does not offer STARTTLS", `Security is "starttls"`},
		},
		{
			name:      "STARTTLS required but not offered, with credentials",
			opts:      smtptest.Options{Username: testUser, Password: testPass},
			security:  SecuritySTARTTLS,
			alter:     withAuth(testUser, testPass),
			permanent: true,
			contains:  []string{"does not offer STARTTLS"},
		},
		{
			name:      "untrusted certificate with STARTTLS",
			opts:      smtptest.Options{TLS: "starttls"},
			security:  SecuritySTARTTLS,
			alter:     func(c *SMTPConfig) { c.TLSConfig = nil },
			permanent: false,
			contains:  []string{"STARTTLS", "certificate"},
		},
		{
			name:      "untrusted certificate with implicit TLS",
			opts:      smtptest.Options{TLS: "tls"},
			security:  SecurityTLS,
			alter:     func(c *SMTPConfig) { c.TLSConfig = nil },
			permanent: false,
			contains:  []string{"TLS handshake with SMTP server", "certificate"},
		},
		{
			name:      "certificate for another name",
			opts:      smtptest.Options{TLS: "tls"},
			security:  SecurityTLS,
			alter:     func(c *SMTPConfig) { c.TLSConfig.ServerName = "smtp.example.com" },
			permanent: false,
			contains:  []string{"TLS handshake", "smtp.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opts)
			if tt.prepare != nil {
				tt.prepare(srv)
			}
			m := mailerFor(t, srv, tt.security, tt.alter)
			e := sampleEmail()
			if tt.to != "" {
				e.To = tt.to
			}
			err := m.Send(context.Background(), e)
			if err == nil {
				t.Fatalf("Send succeeded, want an error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			addr := net.JoinHostPort(srv.Host(), strconv.Itoa(srv.Port()))
			if !strings.Contains(err.Error(), addr) {
				t.Errorf("error %q does not name the server %s", err, addr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server received %d messages, want none", n)
			}
		})
	}
}

func TestMailerStartTLSRequiredSendsNothing(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Username: testUser, Password: testPass})
	m := mailerFor(t, srv, SecuritySTARTTLS, withAuth(testUser, testPass))
	if err := m.Send(context.Background(), sampleEmail()); err == nil {
		t.Fatal("Send succeeded over a server without STARTTLS")
	}
	if n := srv.Attempts(); n != 0 {
		t.Errorf("server saw %d MAIL FROM, want 0: nothing may be sent without TLS", n)
	}
}

func TestMailerTemporaryFailureThenSuccess(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{TLS: "starttls", Username: testUser, Password: testPass})
	srv.FailNext(1)
	m := mailerFor(t, srv, SecuritySTARTTLS, withAuth(testUser, testPass))
	e := sampleEmail()

	err := m.Send(context.Background(), e)
	if err == nil {
		t.Fatal("first Send succeeded, want a temporary failure")
	}
	if IsPermanent(err) {
		t.Fatalf("first Send: IsPermanent(%q) = true, want false", err)
	}
	if !strings.Contains(err.Error(), "451 4.3.0") {
		t.Errorf("error %q does not quote the 451 reply", err)
	}
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("second Send: %v", err)
	}
	msgs := srv.WaitForMessages(t, 1)
	if len(msgs) != 1 || msgs[0].Header.Get("Message-Id") != e.MessageID {
		t.Errorf("server has %d messages, want exactly the re-sent one", len(msgs))
	}
	if n := srv.Attempts(); n != 2 {
		t.Errorf("server saw %d MAIL FROM, want 2", n)
	}
}

func TestMailerUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	for _, sec := range []Security{SecurityNone, SecuritySTARTTLS, SecurityTLS} {
		m, err := NewMailer(SMTPConfig{Host: "127.0.0.1", Port: port, Security: sec, From: "alerts@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		err = m.Send(context.Background(), sampleEmail())
		if err == nil {
			t.Fatalf("%s: Send to a closed port succeeded", sec)
		}
		if IsPermanent(err) {
			t.Errorf("%s: IsPermanent(%q) = true, want false", sec, err)
		}
		want := fmt.Sprintf("connecting to SMTP server 127.0.0.1:%d", port)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not contain %q", sec, err, want)
		}
	}
}

func TestMailerCancelledContext(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailerFor(t, srv, SecurityNone, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.Send(ctx, sampleEmail())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context = %v, want an error matching context.Canceled", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%q) = true, want false", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want none", n)
	}
}

func TestMailerInvalidEmail(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailerFor(t, srv, SecurityNone, nil)
	tests := []struct {
		name  string
		alter func(*Email)
		want  string
	}{
		{"empty recipient", func(e *Email) { e.To = "" }, `invalid email recipient ""`},
		{"recipient without domain", func(e *Email) { e.To = "owner" }, `invalid email recipient "owner"`},
		{"recipient with line break", func(e *Email) { e.To = "owner@example.com\r\nRCPT TO:<x@y>" }, "invalid email recipient"},
		{"message ID without brackets", func(e *Email) { e.MessageID = "abc@handoff" }, `invalid email MessageID "abc@handoff"`},
		{"message ID without @", func(e *Email) { e.MessageID = "<abc>" }, `invalid email MessageID "<abc>"`},
		{"message ID with a space", func(e *Email) { e.MessageID = "<a b@handoff>" }, "invalid email MessageID"},
	}
	for _, tt := range tests {
		e := sampleEmail()
		tt.alter(&e)
		err := m.Send(context.Background(), e)
		if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Send = %v (permanent %v), want a permanent error containing %q", tt.name, err, IsPermanent(err), tt.want)
		}
	}
	if n := srv.Attempts(); n != 0 {
		t.Errorf("server saw %d MAIL FROM for invalid emails, want 0", n)
	}
}

func TestMailerSubjectLineBreaksAreRemoved(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailerFor(t, srv, SecurityNone, nil)
	e := sampleEmail()
	e.Subject = "Hello\r\nBcc: evil@example.com"
	if err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitForMessages(t, 1)[0]
	if got.Subject != "Hello Bcc: evil@example.com" || got.Header.Get("Bcc") != "" {
		t.Errorf("Subject = %q, Bcc = %q: line breaks were not removed", got.Subject, got.Header.Get("Bcc"))
	}
	if len(got.To) != 1 {
		t.Errorf("envelope recipients = %q, want only the intended one", got.To)
	}
}

func TestNewMailerValidation(t *testing.T) {
	t.Parallel()
	valid := func() SMTPConfig {
		return SMTPConfig{Host: "smtp.example.com", Port: 587, Security: SecuritySTARTTLS,
			Username: "u", Password: "pw-Xy9!", From: "Alerts <alerts@example.com>"}
	}
	tests := []struct {
		name  string
		alter func(*SMTPConfig)
		want  []string
	}{
		{"empty host", func(c *SMTPConfig) { c.Host = "" }, []string{"SMTP Host is empty"}},
		{"host with port", func(c *SMTPConfig) { c.Host = "smtp.example.com:587" }, []string{`SMTP Host "smtp.example.com:587" includes a port`}},
		{"host as URL", func(c *SMTPConfig) { c.Host = "smtp://smtp.example.com" }, []string{"looks like a URL"}},
		{"host with space", func(c *SMTPConfig) { c.Host = "smtp example.com" }, []string{`SMTP Host "smtp example.com" contains spaces`}},
		{"port zero", func(c *SMTPConfig) { c.Port = 0 }, []string{"SMTP Port 0 is out of range: expected 1-65535"}},
		{"port too big", func(c *SMTPConfig) { c.Port = 70000 }, []string{"SMTP Port 70000 is out of range"}},
		{"empty security", func(c *SMTPConfig) { c.Security = "" }, []string{`SMTP Security is empty: expected "starttls", "tls" or "none"`}},
		{"unknown security", func(c *SMTPConfig) { c.Security = "ssl" }, []string{`SMTP Security "ssl" is not known`}},
		{"username without password", func(c *SMTPConfig) { c.Password = "" }, []string{`SMTP Username "u" is set but Password is empty`}},
		{"password without username", func(c *SMTPConfig) { c.Username = "" }, []string{"SMTP Password is set but Username is empty"}},
		{"credentials in plain text to a remote host", func(c *SMTPConfig) { c.Security = SecurityNone }, []string{"would travel in plain text"}},
		{"empty from", func(c *SMTPConfig) { c.From = "" }, []string{"SMTP From is empty"}},
		{"invalid from", func(c *SMTPConfig) { c.From = "Alerts" }, []string{`SMTP From "Alerts" is not a valid email address`}},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -1 }, []string{"SMTP Timeout -1ns is negative"}},
		{"several problems at once", func(c *SMTPConfig) { c.Host = ""; c.Port = -1 }, []string{"SMTP Host is empty", "SMTP Port -1"}},
	}
	for _, tt := range tests {
		cfg := valid()
		tt.alter(&cfg)
		m, err := NewMailer(cfg)
		if err == nil {
			t.Errorf("%s: NewMailer succeeded, want an error", tt.name)
			continue
		}
		if m != nil {
			t.Errorf("%s: NewMailer returned a Mailer along with the error", tt.name)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), cfg.Password) && cfg.Password != "" {
			t.Errorf("%s: error %q contains the password", tt.name, err)
		}
	}

	ok := []func(*SMTPConfig){
		func(*SMTPConfig) {},
		func(c *SMTPConfig) { c.Username, c.Password = "", "" },
		func(c *SMTPConfig) { c.Security = SecurityTLS; c.Port = 465 },
		func(c *SMTPConfig) { c.Security = SecurityNone; c.Host = "localhost" },
		func(c *SMTPConfig) { c.Security = SecurityNone; c.Host = "127.0.0.1" },
		func(c *SMTPConfig) { c.Security = SecurityNone; c.Host = "::1" },
		func(c *SMTPConfig) { c.Security = SecurityNone; c.Username, c.Password = "", "" },
		func(c *SMTPConfig) { c.From = "alerts@example.com" },
	}
	for i, alter := range ok {
		cfg := valid()
		alter(&cfg)
		if _, err := NewMailer(cfg); err != nil {
			t.Errorf("valid config %d (%+v): %v", i, cfg, err)
		}
	}
}

// scriptedSMTP is a minimal hand-written SMTP server for the cases the real
// test server cannot produce: it follows a fixed script and can drop the
// connection at chosen points.
type scriptedSMTP struct {
	greeting  string // first line sent
	dataReply string // reply after the message data; "" drops the connection
	quitReply string // reply to QUIT; "" drops the connection
}

// start serves one connection and returns the port; dataDone is closed
// once the message data has been read.
func (s scriptedSMTP) start(t *testing.T) (port int, dataDone <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	done := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("%s", s.greeting)
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
			switch {
			case verb == "EHLO":
				_ = tp.PrintfLine("250-localhost greets you")
				_ = tp.PrintfLine("250 8BITMIME")
			case verb == "MAIL", verb == "RCPT", verb == "RSET", verb == "NOOP":
				_ = tp.PrintfLine("250 2.0.0 OK")
			case verb == "DATA":
				_ = tp.PrintfLine("354 go ahead")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				close(done)
				if s.dataReply == "" {
					return
				}
				_ = tp.PrintfLine("%s", s.dataReply)
			case verb == "QUIT":
				if s.quitReply != "" {
					_ = tp.PrintfLine("%s", s.quitReply)
				}
				return
			default:
				_ = tp.PrintfLine("502 5.5.1 not implemented")
			}
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, done
}

func TestMailerSessionEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		script    scriptedSMTP
		wantErr   bool
		permanent bool
		contains  []string
	}{
		{
			name:   "delivered, then QUIT fails: success",
			script: scriptedSMTP{greeting: "220 ready", dataReply: "250 2.0.0 queued as 1234"},
		},
		{
			name:   "delivered, QUIT answered with an error: success",
			script: scriptedSMTP{greeting: "220 ready", dataReply: "250 2.0.0 queued as 1234", quitReply: "500 5.5.1 what?"},
		},
		{
			name:      "transaction failed after the data",
			script:    scriptedSMTP{greeting: "220 ready", dataReply: "554 5.7.1 message refused as spam", quitReply: "221 bye"},
			wantErr:   true,
			permanent: true,
			contains:  []string{"did not accept the message: 554 5.7.1 message refused as spam"},
		},
		{
			name:      "temporary failure after the data",
			script:    scriptedSMTP{greeting: "220 ready", dataReply: "452 4.3.1 insufficient storage", quitReply: "221 bye"},
			wantErr:   true,
			permanent: false,
			contains:  []string{"452 4.3.1 insufficient storage"},
		},
		{
			name:      "connection lost before the reply to the data: unknown, temporary",
			script:    scriptedSMTP{greeting: "220 ready"},
			wantErr:   true,
			permanent: false,
			contains:  []string{"end of DATA"},
		},
		{
			name:      "busy server at greeting",
			script:    scriptedSMTP{greeting: "421 4.3.2 too busy, try later"},
			wantErr:   true,
			permanent: false,
			contains:  []string{"did not greet properly: 421 4.3.2 too busy, try later"},
		},
		{
			name:      "no service at greeting",
			script:    scriptedSMTP{greeting: "554 5.3.2 no SMTP service here"},
			wantErr:   true,
			permanent: true,
			contains:  []string{"554 5.3.2 no SMTP service here"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			port, _ := tt.script.start(t)
			m, err := NewMailer(SMTPConfig{Host: "127.0.0.1", Port: port, Security: SecurityNone, From: "alerts@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(context.Background(), sampleEmail())
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send = %v, want nil: the message was delivered", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
		})
	}
}

func TestMailerReplyCodeIsReachable(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	srv.RejectRecipient("nobody@example.com")
	m := mailerFor(t, srv, SecurityNone, nil)
	e := sampleEmail()
	e.To = "nobody@example.com"
	err := m.Send(context.Background(), e)
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code != 550 {
		t.Fatalf("errors.As(%v, *textproto.Error) = %v, want the 550 reply", err, reply)
	}
}

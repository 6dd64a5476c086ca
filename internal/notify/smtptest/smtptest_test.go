package smtptest

import (
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
)

func addr(s *Server) string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

func TestParsesEncodedBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, subject, body string
	}{
		{
			name:    "quoted-printable",
			raw:     "Subject: =?UTF-8?q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?=\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82, a long =\r\nline\r\nsecond\r\n",
			subject: "Привет",
			body:    "Привет, a long line\nsecond\n",
		},
		{
			name:    "base64",
			raw:     "Subject: plain\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n0J/RgNC40LLQtdGCCg==\r\n",
			subject: "plain",
			body:    "Привет\n",
		},
		{
			name:    "multipart",
			raw:     "Subject: multi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XYZ\r\n\r\n--XYZ\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--XYZ\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nplain =3D text\r\n--XYZ--\r\n",
			subject: "multi",
			body:    "plain = text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Start(t, Options{})
			if err := smtp.SendMail(addr(s), nil, "a@example.com", []string{"b@example.com"}, []byte(tt.raw)); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			m := s.WaitForMessages(t, 1)[0]
			if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.com" {
				t.Errorf("envelope = %q -> %q", m.From, m.To)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.Body != tt.body {
				t.Errorf("Body = %q, want %q", m.Body, tt.body)
			}
		})
	}
}

func TestRejectFailAndAuth(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{TLS: "starttls", Username: "user", Password: "pass"})
	s.RejectRecipient("Nobody@Example.com")
	s.FailNext(1)

	dial := func() *smtp.Client {
		t.Helper()
		c, err := smtp.Dial(addr(s))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH is offered before STARTTLS")
		}
		cfg := s.ClientTLSConfig()
		cfg.ServerName = "localhost"
		if err := c.StartTLS(cfg); err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
		return c
	}
	wantCode := func(err error, code int) {
		t.Helper()
		var tp *textproto.Error
		if !errors.As(err, &tp) || tp.Code != code {
			t.Fatalf("got %v, want reply %d", err, code)
		}
	}

	c := dial()
	wantCode(c.Mail("a@example.com"), 530)
	wantCode(c.Auth(smtp.PlainAuth("", "user", "wrong", s.Host())), 535)

	c = dial()
	if err := c.Auth(smtp.PlainAuth("", "user", "pass", s.Host())); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	wantCode(c.Mail("a@example.com"), 451)
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatalf("MAIL after the failure: %v", err)
	}
	wantCode(c.Rcpt("nobody@example.com"), 550)
	if got := s.Attempts(); got != 3 {
		t.Errorf("Attempts() = %d, want 3", got)
	}
	if len(s.Messages()) != 0 {
		t.Errorf("Messages() = %v, want none", s.Messages())
	}
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{TLS: "tls"})
	cfg := s.ClientTLSConfig()
	cfg.ServerName = "127.0.0.1"
	conn, err := tls.Dial("tcp", addr(s), cfg)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS is offered on an implicit TLS connection")
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("Subject: hi\r\n\r\nbody\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m := s.WaitForMessages(t, 1)[0]; !strings.HasPrefix(m.Body, "body") {
		t.Errorf("Body = %q", m.Body)
	}
}

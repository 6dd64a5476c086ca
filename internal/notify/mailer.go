package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Security says how the connection to the SMTP server is protected.
type Security string

const (
	// SecuritySTARTTLS connects in plain text and then requires STARTTLS
	// before anything else is sent (usually port 587). If the server does
	// not offer STARTTLS, Send fails; it never falls back to plain text.
	SecuritySTARTTLS Security = "starttls"
	// SecurityTLS speaks TLS from the first byte ("implicit TLS", SMTPS,
	// usually port 465).
	SecurityTLS Security = "tls"
	// SecurityNone sends everything in plain text. Meant for a trusted
	// relay on the same machine; see SMTPConfig.Username for the limits on
	// credentials.
	SecurityNone Security = "none"
)

// defaultTimeout is used when a config's Timeout is zero.
const defaultTimeout = 30 * time.Second

// SMTPConfig configures a [Mailer].
type SMTPConfig struct {
	// Host is the SMTP server's host name or IP address, without a port.
	Host string
	// Port is the SMTP server's TCP port: usually 587 for STARTTLS, 465 for
	// implicit TLS, 25 for a local relay.
	Port int
	// Security is how the connection is protected; it must be set.
	Security Security

	// Username and Password are the SMTP AUTH credentials: both empty means
	// no authentication, otherwise both must be set. AUTH PLAIN is used if
	// the server offers it, else AUTH LOGIN.
	//
	// Credentials are only ever sent over TLS. With Security "none" they
	// are accepted only when Host is a loopback address ("localhost",
	// "127.0.0.1", "::1"), where the password never leaves the machine;
	// NewMailer rejects them for any other host.
	Username, Password string

	// From is the sender: "Name <addr@example.com>" or "addr@example.com".
	// Its address is also the envelope sender (MAIL FROM).
	From string

	// Timeout limits each connection attempt: dialling, the TLS handshake
	// and the whole SMTP session. Zero means 30 seconds. The context passed
	// to Send can shorten it.
	Timeout time.Duration

	// TLSConfig is optional (tests pass RootCAs). Nil means the system's
	// root certificates. If its ServerName is empty, Host is used. It is
	// not used with Security "none".
	TLSConfig *tls.Config
}

// Email is one message to send with [Mailer.Send].
type Email struct {
	// To is the recipient: "Name <addr@example.com>" or "addr@example.com".
	To string
	// Subject is the subject line; CR and LF in it are replaced by spaces.
	Subject string
	// Body is the plain-text UTF-8 body. It is sent quoted-printable.
	Body string
	// MessageID is set as the Message-ID header, e.g. "<abc@handoff>", so
	// that a re-sent copy of the same alert is recognisable. It must have
	// the form "<left@right>" without spaces. Empty means a random one.
	MessageID string
}

// Mailer sends emails through one SMTP server. It opens a new connection for
// every Send and is safe for concurrent use.
type Mailer struct {
	cfg       SMTPConfig
	addr      string // host:port, for dialling and for messages
	from      *mail.Address
	tlsConfig *tls.Config
	timeout   time.Duration
	helo      string
	logger    *slog.Logger
}

// NewMailer checks cfg and returns a Mailer for it. The errors say which
// field is wrong, what its value is and what is expected. It does not
// connect to the server.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	host := cfg.Host
	switch {
	case strings.TrimSpace(host) == "":
		bad("SMTP Host is empty: expected the SMTP server's host name, e.g. smtp.example.com")
	case strings.Contains(host, "://"):
		bad("SMTP Host %q looks like a URL: expected only the host name, e.g. smtp.example.com", host)
	case strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == '/' || r == '@' || r == 0x7f }):
		bad("SMTP Host %q contains spaces, control characters, '/' or '@': expected a host name like smtp.example.com or an IP address", host)
	case strings.HasPrefix(host, "["):
		bad("SMTP Host %q: write an IPv6 address without brackets, and the port in Port", host)
	default:
		if _, port, err := net.SplitHostPort(host); err == nil {
			bad("SMTP Host %q includes a port: put only the host name in Host and %s in Port", host, port)
		}
	}

	if cfg.Port < 1 || cfg.Port > 65535 {
		bad("SMTP Port %d is out of range: expected 1-65535 (usually 587 for starttls, 465 for tls, 25 for a local relay)", cfg.Port)
	}

	switch cfg.Security {
	case SecuritySTARTTLS, SecurityTLS, SecurityNone:
	case "":
		bad("SMTP Security is empty: expected %q, %q or %q", SecuritySTARTTLS, SecurityTLS, SecurityNone)
	default:
		bad("SMTP Security %q is not known: expected %q, %q or %q", cfg.Security, SecuritySTARTTLS, SecurityTLS, SecurityNone)
	}

	switch {
	case cfg.Username != "" && cfg.Password == "":
		bad("SMTP Username %q is set but Password is empty: set both, or neither for no authentication", cfg.Username)
	case cfg.Username == "" && cfg.Password != "":
		bad("SMTP Password is set but Username is empty: set both, or neither for no authentication")
	case cfg.Username != "" && cfg.Security == SecurityNone && !isLoopback(host):
		bad("SMTP Username and Password are set with Security %q for Host %q: the password would travel in plain text; use %q or %q, or a relay on localhost",
			SecurityNone, host, SecuritySTARTTLS, SecurityTLS)
	}
	if strings.ContainsAny(cfg.Username, "\r\n\x00") {
		bad("SMTP Username contains a line break or NUL character")
	}
	if strings.ContainsAny(cfg.Password, "\r\n\x00") {
		bad("SMTP Password contains a line break or NUL character")
	}

	var from *mail.Address
	if strings.TrimSpace(cfg.From) == "" {
		bad(`SMTP From is empty: expected "Name <addr@example.com>" or "addr@example.com"`)
	} else if a, err := parseAddress(cfg.From); err != nil {
		bad(`SMTP From %q is not a valid email address (%v): expected "Name <addr@example.com>" or "addr@example.com"`, cfg.From, err)
	} else {
		from = a
	}

	if cfg.Timeout < 0 {
		bad("SMTP Timeout %s is negative: expected a positive duration, or 0 for the default of %s", cfg.Timeout, defaultTimeout)
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid SMTP configuration: %w", errors.Join(errs...))
	}

	m := &Mailer{
		cfg:     cfg,
		addr:    net.JoinHostPort(host, strconv.Itoa(cfg.Port)),
		from:    from,
		timeout: cfg.Timeout,
		helo:    heloName(),
		logger:  slog.Default().With("component", "notify.mailer"),
	}
	if m.timeout == 0 {
		m.timeout = defaultTimeout
	}
	if cfg.Security != SecurityNone {
		tc := &tls.Config{}
		if cfg.TLSConfig != nil {
			tc = cfg.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = host
		}
		if tc.MinVersion == 0 {
			tc.MinVersion = tls.VersionTLS12
		}
		m.tlsConfig = tc
	}
	return m, nil
}

// Send delivers e through the configured SMTP server.
//
// It returns nil once the server has accepted the message data, even if
// ending the session fails afterwards. Otherwise the error says which step
// failed and quotes the server's reply; [IsPermanent] tells whether retrying
// can help (5xx replies and configuration problems are permanent; network
// errors, timeouts, TLS errors and 4xx replies are temporary). See the
// package documentation.
//
// ctx cancels the attempt at any step; the error then matches ctx.Err()
// with [errors.Is].
func (m *Mailer) Send(ctx context.Context, e Email) error {
	msg, rcpt, err := m.compose(e)
	if err != nil {
		return permanent(err)
	}

	s := &smtpSession{m: m, ctx: ctx, rcpt: rcpt}
	delivered, err := s.run(msg)
	if delivered {
		if err != nil {
			// The message is delivered; a failure while saying goodbye
			// must not make the caller send it again.
			m.logger.WarnContext(ctx, "email delivered but ending the SMTP session failed",
				"server", m.addr, "to", rcpt, "error", err)
		}
		m.logger.DebugContext(ctx, "email delivered", "server", m.addr, "to", rcpt,
			"message_id", e.MessageID, "reply", s.dataReply)
		return nil
	}
	return err
}

// compose renders e into a complete RFC 5322 message and returns it with
// the bare recipient address.
func (m *Mailer) compose(e Email) ([]byte, string, error) {
	to, err := parseAddress(e.To)
	if err != nil {
		return nil, "", fmt.Errorf(`invalid email recipient %q (%v): expected "Name <addr@example.com>" or "addr@example.com"`, e.To, err)
	}
	msgID := ""
	if e.MessageID != "" {
		msgID, err = parseMessageID(e.MessageID)
		if err != nil {
			return nil, "", err
		}
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(m.from)
	msg.ToMailAddress(to)
	msg.Subject(singleLine(e.Subject))
	msg.SetDate()
	if msgID != "" {
		msg.SetMessageIDWithValue(msgID)
	} else {
		msg.SetMessageID()
	}
	// RFC 3834: tells auto-responders (out-of-office etc.) not to answer.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	body := strings.ToValidUTF8(e.Body, "\uFFFD")
	msg.SetBodyString(gomail.TypeTextPlain, body)

	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, "", fmt.Errorf("composing the email to %s: %w", to.Address, err)
	}
	return buf.Bytes(), to.Address, nil
}

// smtpSession is one connection attempt of Mailer.Send.
type smtpSession struct {
	m         *Mailer
	ctx       context.Context
	rcpt      string
	dataReply string
}

// run performs the SMTP dialogue. delivered is true once the server has
// accepted the message data; err may then still report a failure while
// ending the session.
func (s *smtpSession) run(msg []byte) (delivered bool, err error) {
	m := s.m
	ctx, cancel := context.WithTimeout(s.ctx, m.timeout)
	defer cancel()

	dialer := &net.Dialer{}
	conn, err := dialer.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return false, s.transient(ctx, "connecting to SMTP server "+m.addr, err)
	}
	defer func() { _ = conn.Close() }()

	// Every read and write after this point is bounded by the timeout, and
	// cancelling ctx interrupts a blocked read or write at once.
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var sessionConn net.Conn = conn
	if m.cfg.Security == SecurityTLS {
		tlsConn := tls.Client(conn, m.tlsConfig)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return false, s.transient(ctx, "TLS handshake with SMTP server "+m.addr, err)
		}
		sessionConn = tlsConn
	}

	c, err := smtp.NewClient(sessionConn, m.cfg.Host)
	if err != nil {
		return false, s.fail(ctx, "greeting", "did not greet properly", err)
	}
	defer func() { _ = c.Close() }()

	if err := c.Hello(m.helo); err != nil {
		return false, s.fail(ctx, "EHLO", "refused EHLO/HELO", err)
	}

	if m.cfg.Security == SecuritySTARTTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return false, permanent(fmt.Errorf("SMTP server %s does not offer STARTTLS, but Security is %q: refusing to continue without encryption (use %q for implicit TLS, usually port 465, or %q only for a trusted local relay)",
				m.addr, SecuritySTARTTLS, SecurityTLS, SecurityNone))
		}
		if err := c.StartTLS(m.tlsConfig); err != nil {
			return false, s.fail(ctx, "STARTTLS", "failed STARTTLS", err)
		}
		if _, ok := c.TLSConnectionState(); !ok {
			return false, fmt.Errorf("SMTP server %s: STARTTLS did not establish TLS", m.addr)
		}
	}

	if m.cfg.Username != "" {
		if err := s.auth(ctx, c); err != nil {
			return false, err
		}
	}

	if err := c.Mail(mailAddr(m.from.Address)); err != nil {
		return false, s.fail(ctx, "MAIL FROM", fmt.Sprintf("rejected sender %q", m.from.Address), err)
	}
	if err := c.Rcpt(mailAddr(s.rcpt)); err != nil {
		return false, s.fail(ctx, "RCPT TO", fmt.Sprintf("rejected recipient %q", s.rcpt), err)
	}
	w, err := c.Data()
	if err != nil {
		return false, s.fail(ctx, "DATA", "refused DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return false, s.fail(ctx, "DATA", "failed while receiving the message data", err)
	}
	if err := w.Close(); err != nil {
		// A reply error (e.g. 554) means the message was refused. Any other
		// error (the connection broke while we waited for the reply) leaves
		// the outcome unknown: temporary, so it is retried; the Message-ID
		// makes a duplicate recognisable.
		return false, s.fail(ctx, "end of DATA", "did not accept the message", err)
	}
	if dc, ok := w.(*smtp.DataCloser); ok {
		s.dataReply = dc.ServerResponse()
	}

	// Delivered. From here on errors are only reported, never returned.
	if err := c.Quit(); err != nil {
		return true, fmt.Errorf("QUIT: %w", err)
	}
	return true, nil
}

// auth authenticates with PLAIN, or LOGIN if the server offers no PLAIN.
func (s *smtpSession) auth(ctx context.Context, c *smtp.Client) error {
	m := s.m
	ok, mechList := c.Extension("AUTH")
	if !ok {
		return permanent(fmt.Errorf("SMTP server %s does not offer authentication (AUTH), but a Username is configured", m.addr))
	}
	mechs := strings.Fields(strings.ToUpper(mechList))
	// Our own checks guarantee TLS or a loopback host here; allowUnenc lets
	// the loopback case through even when the host is named differently
	// from what go-mail's isLocalhost knows.
	allowUnenc := m.cfg.Security == SecurityNone
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host, allowUnenc)
	case slices.Contains(mechs, "LOGIN"):
		a = smtp.LoginAuth(m.cfg.Username, m.cfg.Password, m.cfg.Host, allowUnenc)
	default:
		return permanent(fmt.Errorf("SMTP server %s offers no supported authentication mechanism: it offers %q, we support PLAIN and LOGIN", m.addr, mechList))
	}
	if err := c.Auth(a); err != nil {
		return s.fail(ctx, "AUTH", fmt.Sprintf("rejected the login for user %q", m.cfg.Username), err)
	}
	return nil
}

// fail turns the error of one SMTP step into a classified error: a 5xx
// reply is permanent, anything else temporary.
func (s *smtpSession) fail(ctx context.Context, step, what string, err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		msg := fmt.Sprintf("SMTP server %s %s: %d %s", s.m.addr, what, reply.Code, oneLine(reply.Msg))
		e := &detailedError{msg: msg, err: err}
		if reply.Code >= 500 && reply.Code <= 599 {
			return permanent(e)
		}
		return e
	}
	switch {
	case errors.Is(err, smtp.ErrUnencrypted), errors.Is(err, smtp.ErrWrongHostname):
		return permanent(fmt.Errorf("SMTP server %s: %s refused by the client: %w", s.m.addr, step, err))
	}
	return s.transient(ctx, fmt.Sprintf("SMTP server %s: %s", s.m.addr, step), err)
}

// transient wraps a non-reply failure (network, TLS, timeout,
// cancellation) as a temporary error, naming the context's error when that
// is the cause.
func (s *smtpSession) transient(ctx context.Context, what string, err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return &detailedError{msg: fmt.Sprintf("%s: stopped, %v (%v)", what, ctxErr, err), err: ctxErr}
	}
	if ctx.Err() != nil {
		return &detailedError{
			msg: fmt.Sprintf("%s: timed out after %s (%v)", what, s.m.timeout, err),
			err: errors.Join(err, context.DeadlineExceeded),
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("%s: timed out: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// parseAddress parses "Name <addr>" or "addr" and rejects line breaks.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("contains a line break")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return nil, errors.New("missing the part before or after @")
	}
	return a, nil
}

// parseMessageID checks "<left@right>" and returns "left@right".
func parseMessageID(id string) (string, error) {
	inner, ok := strings.CutPrefix(id, "<")
	if ok {
		inner, ok = strings.CutSuffix(inner, ">")
	}
	at := strings.IndexByte(inner, '@')
	if !ok || at <= 0 || at == len(inner)-1 ||
		strings.ContainsFunc(inner, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune(`<>()[]\",;:`, r)
		}) {
		return "", fmt.Errorf(`invalid email MessageID %q: expected "<left@right>" with printable ASCII and no spaces, e.g. "<alert-123@handoff>"`, id)
	}
	return inner, nil
}

// mailAddr formats a bare address for MAIL FROM / RCPT TO.
func mailAddr(addr string) string { return "<" + addr + ">" }

// oneLine joins a multi-line server reply into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " / ")), " ")
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// heloName is the name we introduce ourselves with in EHLO.
func heloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \r\n") {
		return "localhost"
	}
	return h
}

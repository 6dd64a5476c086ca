package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/staff"
)

// Dashboard sessions are signed cookies, so every api process with the
// same auth.session_secret accepts them and no session store is shared.
// A session names the user and a digest of the password hash it was
// opened with: a changed password (or a removed user) ends it at once.
const (
	sessionCookie = "handoff_session"
	// csrfHeader carries the session's CSRF token on every state-changing
	// request a browser makes; forms carry it as csrfField.
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf_token"
)

type sessionClaims struct {
	User       string `json:"u"`
	Credential string `json:"c"`
	Expires    int64  `json:"e"`
	// Nonce makes every session's CSRF token its own.
	Nonce string `json:"n"`
}

// sessions signs and checks session cookies.
type sessions struct {
	key []byte
	ttl time.Duration
}

func (s sessions) sign(data string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issue returns a cookie value for member.
func (s sessions) issue(member staff.Member, now time.Time) (string, sessionClaims, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", sessionClaims{}, err
	}
	claims := sessionClaims{
		User: member.Name, Credential: member.Credential(), Expires: now.Add(s.ttl).Unix(),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce),
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", sessionClaims{}, err
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + s.sign("session|"+payload), claims, nil
}

var errNoSession = errors.New("not logged in")

// parse checks a cookie value's signature and expiry.
func (s sessions) parse(value string, now time.Time) (sessionClaims, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || len(s.key) == 0 || !hmac.Equal([]byte(sig), []byte(s.sign("session|"+payload))) {
		return sessionClaims{}, errNoSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return sessionClaims{}, errNoSession
	}
	var claims sessionClaims
	if json.Unmarshal(raw, &claims) != nil || claims.User == "" || now.Unix() >= claims.Expires {
		return sessionClaims{}, errNoSession
	}
	return claims, nil
}

// csrfToken is the session's CSRF token.
func (s sessions) csrfToken(claims sessionClaims) string {
	return s.sign("csrf|" + claims.Nonce)
}

// sessionMember returns the member whose valid session cookie the request
// carries.
func (s *server) sessionMember(c *gin.Context) (staff.Member, sessionClaims, bool) {
	cookie, err := c.Cookie(sessionCookie)
	if err != nil || s.Staff == nil {
		return staff.Member{}, sessionClaims{}, false
	}
	claims, err := s.sessions.parse(cookie, time.Now())
	if err != nil {
		return staff.Member{}, sessionClaims{}, false
	}
	member, ok := s.Staff.User(claims.User)
	if !ok || !hmac.Equal([]byte(member.Credential()), []byte(claims.Credential)) {
		return staff.Member{}, sessionClaims{}, false
	}
	return member, claims, true
}

// setSessionCookie sets (or, with value "", clears) the session cookie:
// HttpOnly, SameSite=Lax, Secure when the public URL is https.
func (s *server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.PublicURL, "https://"),
	})
}

// isUnsafe tells whether a request changes something.
func isUnsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// checkCSRF refuses a state-changing request of a browser session without
// the session's CSRF token, or from another origin.
func (s *server) checkCSRF(c *gin.Context, claims sessionClaims) error {
	if !isUnsafe(c.Request.Method) {
		return nil
	}
	if origin := c.GetHeader("Origin"); origin != "" && !s.sameOrigin(c, origin) {
		return forbidden("the request comes from " + origin + ", not from the dashboard's own origin")
	}
	token := c.GetHeader(csrfHeader)
	if token == "" {
		token = c.PostForm(csrfField)
	}
	if token == "" || !hmac.Equal([]byte(token), []byte(s.sessions.csrfToken(claims))) {
		return forbidden("the request lacks the session's CSRF token (header " + csrfHeader + "); reload the page and try again")
	}
	return nil
}

// sameOrigin tells whether origin is the public URL's or the request's own.
func (s *server) sameOrigin(c *gin.Context, origin string) bool {
	if u, err := url.Parse(s.PublicURL); err == nil && u.Host != "" && strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return true
	}
	scheme := "http://"
	if c.Request.TLS != nil {
		scheme = "https://"
	}
	return strings.EqualFold(origin, scheme+c.Request.Host)
}

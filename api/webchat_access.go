package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// WebChat configures the widget's endpoints.
type WebChat struct {
	// AllowedOrigins may call the web chat API from the browser (CORS),
	// e.g. "https://shop.example.com". The app's own origin always may.
	AllowedOrigins []string
	// TokenKey signs visitor tokens. Every api process serving the same
	// visitors needs the same key.
	TokenKey []byte
	// Limits bound visitor creation per client address, and messages and
	// event streams per visitor.
	Limits WebChatLimits
}

// visitorToken is the credential of a web chat visitor: an HMAC of its ID.
// The ID names the conversation (staff and auditors see it); only the token
// lets a browser read or write that conversation.
func (w WebChat) visitorToken(visitor string) string {
	mac := hmac.New(sha256.New, w.TokenKey)
	mac.Write([]byte("webchat-visitor:" + visitor))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (w WebChat) validToken(visitor, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(w.visitorToken(visitor)))
}

// requireVisitor checks the :visitor parameter and its token, given as
// "Authorization: Bearer <token>". A token in the query string is refused:
// URLs end up in logs, and only the event stream, which EventSource opens
// without headers, takes one there (requireStreamVisitor).
func (s *server) requireVisitor(c *gin.Context) error {
	if _, err := visitorID(c); err != nil {
		return err
	}
	if c.Request.URL.Query().Has("token") {
		return unauthorized("the visitor's token goes in the Authorization: Bearer <token> header; ?token= is accepted only by the event stream (GET .../events)")
	}
	return s.checkVisitorToken(c, bearerToken(c))
}

// requireStreamVisitor is requireVisitor for the event stream, which also
// takes the token as the token query parameter; the header wins when both
// are given.
func (s *server) requireStreamVisitor(c *gin.Context) error {
	token := bearerToken(c)
	if token == "" {
		token = c.Query("token")
	}
	return s.checkVisitorToken(c, token)
}

func (s *server) checkVisitorToken(c *gin.Context, token string) error {
	visitor, err := visitorID(c)
	if err != nil {
		return err
	}
	if token == "" {
		return unauthorized("web chat calls need the visitor's token as Authorization: Bearer <token> (or ?token= for the event stream), as issued by POST /webchat/v1/visitors")
	}
	if !s.WebChat.validToken(visitor, token) {
		return unauthorized("the token does not belong to visitor " + strconv.Quote(visitor) + "; start a new visitor with POST /webchat/v1/visitors")
	}
	return nil
}

// bearerToken is the token of an "Authorization: Bearer <token>" header, or "".
func bearerToken(c *gin.Context) string {
	if scheme, value, found := strings.Cut(c.GetHeader("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(value)
	}
	return ""
}

// webChatCORS lets the configured websites call the web chat API
// (/webchat/v1/...) from the browser, preflight requests included. Requests
// without an Origin (not from a browser) pass; requests from other origins
// are refused with a message naming the setting. It runs for every request,
// so that preflight OPTIONS requests, which have no route, are answered.
func (s *server) webChatCORS(c *gin.Context) error {
	origin := c.GetHeader("Origin")
	if origin == "" || !strings.HasPrefix(c.Request.URL.Path, "/webchat/v1/") {
		return nil
	}
	if !s.originAllowed(c.Request, origin) {
		return forbidden("origin " + strconv.Quote(origin) + " may not use the web chat; add it to webchat.allowed_origins")
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	// The widget reads Retry-After of a 429; cross-origin it sees only the
	// headers listed here.
	h.Set("Access-Control-Expose-Headers", "Retry-After, X-Request-ID")
	if c.Request.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
	return nil
}

func (s *server) originAllowed(r *http.Request, origin string) bool {
	for _, allowed := range s.WebChat.AllowedOrigins {
		if strings.EqualFold(allowed, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

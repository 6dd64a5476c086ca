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
// "Authorization: Bearer <token>" or, for EventSource which cannot set
// headers, the token query parameter.
func (s *server) requireVisitor(c *gin.Context) error {
	visitor, err := visitorID(c)
	if err != nil {
		return err
	}
	token := c.Query("token")
	if scheme, value, found := strings.Cut(c.GetHeader("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(value)
	}
	if token == "" {
		return unauthorized("web chat calls need the visitor's token as Authorization: Bearer <token> (or ?token= for the event stream), as issued by POST /webchat/v1/visitors")
	}
	if !s.WebChat.validToken(visitor, token) {
		return unauthorized("the token does not belong to visitor " + strconv.Quote(visitor) + "; start a new visitor with POST /webchat/v1/visitors")
	}
	return nil
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

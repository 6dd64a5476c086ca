package api

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed webchat/widget.js webchat/chat.html
var webchatFiles embed.FS

// staticAsset is an embedded file with its ETag.
type staticAsset struct {
	body []byte
	etag string
}

var (
	widgetAsset   = mustAsset("webchat/widget.js")
	chatPageAsset = mustAsset("webchat/chat.html")
)

func mustAsset(name string) staticAsset {
	body, err := webchatFiles.ReadFile(name)
	if err != nil {
		panic("embedded web chat file missing: " + err.Error())
	}
	sum := sha256.Sum256(body)
	return staticAsset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// serveWidget serves the embeddable chat widget; websites load it with
// <script src="https://<host>/webchat/widget.js" async></script>.
func (s *server) serveWidget(c *gin.Context) {
	serveAsset(c, widgetAsset, "text/javascript; charset=utf-8", "public, max-age=300")
}

// serveChatPage serves the /chat demo page, which loads the widget.
func (s *server) serveChatPage(c *gin.Context) {
	serveAsset(c, chatPageAsset, "text/html; charset=utf-8", "no-cache")
}

func serveAsset(c *gin.Context, a staticAsset, contentType, cacheControl string) {
	c.Header("Cache-Control", cacheControl)
	c.Header("ETag", a.etag)
	c.Header("X-Content-Type-Options", "nosniff")
	if etagMatches(c.GetHeader("If-None-Match"), a.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, contentType, a.body)
}

// etagMatches reports whether an If-None-Match header names etag, comparing
// weakly as RFC 9110 asks for GET.
func etagMatches(header, etag string) bool {
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == etag {
			return true
		}
	}
	return false
}

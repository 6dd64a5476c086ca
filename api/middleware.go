package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const staffKey = "handoff.staff"

func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("panic serving request", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
			writeError(c, http.StatusInternalServerError, "internal error")
		}
	}()
	c.Next()
}

func (s *server) logRequests(c *gin.Context) {
	began := time.Now()
	c.Next()
	s.Logger.Debug("http request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(began))
}

func (s *server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBodyBytes)
	}
	c.Next()
}

// requireStaff accepts only requests with a configured bearer token and
// records the staff member's name for the handlers.
func (s *server) requireStaff(c *gin.Context) {
	scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="handoff"`)
		writeError(c, http.StatusUnauthorized, "staff endpoints need an Authorization: Bearer <token> header")
		return
	}
	given := sha256.Sum256([]byte(token))
	name := ""
	for secret, staff := range s.StaffTokens {
		want := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(given[:], want[:]) == 1 {
			name = staff
		}
	}
	if name == "" {
		c.Header("WWW-Authenticate", `Bearer realm="handoff", error="invalid_token"`)
		writeError(c, http.StatusUnauthorized, "the bearer token is not one of the configured staff tokens")
		return
	}
	c.Set(staffKey, name)
	c.Next()
}

func staffName(c *gin.Context) string { return c.GetString(staffKey) }

// readBody reads the whole request body; on failure it answers 413 or 400
// and returns false.
func readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err == nil {
		return body, true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
	} else {
		writeError(c, http.StatusBadRequest, "could not read the request body: "+err.Error())
	}
	return nil, false
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be left out.
func decodeOptionalJSON(c *gin.Context, v any) bool {
	body, ok := readBody(c)
	if !ok {
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return decodeJSON(c, v)
}

// decodeJSON reads a JSON object into v, rejecting unknown fields, trailing
// data and oversized bodies with a message that says what was wrong. It
// reports whether decoding succeeded; on failure the response is written.
func decodeJSON(c *gin.Context, v any) bool {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		writeError(c, http.StatusBadRequest, "request body is empty; expected a JSON object")
	case errors.As(err, &syntaxErr):
		writeError(c, http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err))
	case errors.As(err, &typeErr):
		writeError(c, http.StatusBadRequest, fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value))
	default:
		writeError(c, http.StatusBadRequest, "invalid JSON body: "+err.Error())
	}
	return false
}

package api

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	staffKey     = "handoff.staff"
	requestIDKey = "handoff.request_id"
	// requestIDHeader carries the request ID both ways.
	requestIDHeader = "X-Request-ID"
)

// requestIDPattern is what an incoming X-Request-ID must look like to be
// kept; anything else is replaced by a new ID.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// assignRequestID names the request: the client's X-Request-ID when it is
// well-formed, else a new random one. The ID is on the response, in the
// request log line and in every logged error of the request.
func (s *server) assignRequestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !requestIDPattern.MatchString(id) {
		id = newRequestID()
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// requestLogger is the server's logger with the request's ID.
func (s *server) requestLogger(c *gin.Context) *slog.Logger {
	return s.Logger.With("request_id", requestID(c))
}

func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.writeErr(c, fmt.Errorf("panic serving request: %v\n%s", r, debug.Stack()))
		}
	}()
	c.Next()
}

func (s *server) logRequests(c *gin.Context) {
	began := time.Now()
	c.Next()
	s.requestLogger(c).Debug("http request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(began))
}

func (s *server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		limit := s.MaxBodyBytes
		if c.FullPath() == knowledgeImportPath {
			limit = max(limit, s.MaxImportBytes)
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// requireStaff accepts only requests with a configured bearer token and
// records the staff member's name for the handlers.
func (s *server) requireStaff(c *gin.Context) error {
	scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="handoff"`)
		return unauthorized("staff endpoints need an Authorization: Bearer <token> header")
	}
	name := StaffTokenName(s.StaffTokens, token)
	if name == "" {
		c.Header("WWW-Authenticate", `Bearer realm="handoff", error="invalid_token"`)
		return unauthorized("the bearer token is not one of the configured staff tokens")
	}
	c.Set(staffKey, name)
	return nil
}

// StaffTokenName returns the name of the staff member whose token (a key of
// tokens, secret → name) is token, or "" when it is none of them. Every
// token is compared, in constant time, so the answer's timing tells nothing
// about the secrets.
func StaffTokenName(tokens map[string]string, token string) string {
	given := sha256.Sum256([]byte(token))
	name := ""
	for secret, staff := range tokens {
		want := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(given[:], want[:]) == 1 {
			name = staff
		}
	}
	return name
}

// displayName is the name customers see on the calling staff member's messages.
func (s *server) displayName(c *gin.Context) string {
	if s.StaffDisplayName == nil {
		return ""
	}
	return s.StaffDisplayName(staffName(c))
}

func staffName(c *gin.Context) string { return c.GetString(staffKey) }

// readBody reads the whole request body; a body over the limit is a 413
// error, one that cannot be read a 400.
func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err == nil {
		return body, nil
	}
	if tooLarge := bodyTooLarge(err); tooLarge != nil {
		return nil, tooLarge
	}
	return nil, badRequest("could not read the request body: " + err.Error())
}

// bodyTooLarge returns the 413 error when err is the body limit's.
func bodyTooLarge(err error) error {
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) {
		return nil
	}
	return newAPIError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be left out.
func decodeOptionalJSON(c *gin.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return decodeJSON(c, v)
}

// decodeJSON reads a JSON object into v, rejecting unknown fields, trailing
// data and oversized bodies with an error (400 or 413) that says what was
// wrong.
func decodeJSON(c *gin.Context, v any) error {
	return decodeJSONFrom(c.Request.Body, v)
}

// decodeJSONFrom is decodeJSON for a body already taken from its request.
func decodeJSONFrom(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	if tooLarge := bodyTooLarge(err); tooLarge != nil {
		return tooLarge
	}
	return badRequest(jsonProblem(err))
}

// jsonProblem says what is wrong with a request body that did not decode.
func jsonProblem(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty; expected a JSON object"
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
	default:
		return "invalid JSON body: " + err.Error()
	}
}

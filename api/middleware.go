package api

import (
	"bytes"
	"crypto/rand"
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
	"github.com/handoff-chat/handoff/internal/staff"
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
		switch c.FullPath() {
		case knowledgeImportPath:
			limit = max(limit, s.MaxImportBytes)
		case mediaUploadPath:
			if s.Media != nil {
				limit = max(limit, s.Media.MaxBytes()+64<<10) // room for a multipart envelope
			}
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// requireStaff accepts requests with a configured bearer token or a
// dashboard session (with its CSRF token on changes) and records the staff
// member for the handlers.
func (s *server) requireStaff(c *gin.Context) error {
	header := c.GetHeader("Authorization")
	if header == "" {
		member, claims, ok := s.sessionMember(c)
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="handoff"`)
			return unauthorized("staff endpoints need an Authorization: Bearer <token> header or a dashboard login")
		}
		if err := s.checkCSRF(c, claims); err != nil {
			return err
		}
		c.Set(staffKey, member)
		return nil
	}
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="handoff"`)
		return unauthorized("staff endpoints need an Authorization: Bearer <token> header")
	}
	member, ok := s.Staff.ByToken(token)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="handoff", error="invalid_token"`)
		return unauthorized("the bearer token is not one of the configured staff tokens")
	}
	c.Set(staffKey, member)
	return nil
}

// mayWork lets through staff who may change conversations (agents and
// admins); auditors get 403.
func (s *server) mayWork(c *gin.Context) error {
	if m := member(c); !m.Role.MayWork() {
		return forbidden(m.Name + " is an " + string(m.Role) + " and may read conversations but not change them")
	}
	return nil
}

// mayAdminister lets through admins; others get 403.
func (s *server) mayAdminister(c *gin.Context) error {
	if m := member(c); !m.Role.MayAdminister() {
		return forbidden("this is for admins; " + m.Name + " has the role " + string(m.Role))
	}
	return nil
}

// mayReadAdministration lets through admins and auditors (who read
// everything): settings, the knowledge base and its statistics.
func (s *server) mayReadAdministration(c *gin.Context) error {
	if m := member(c); m.Role != staff.Admin && m.Role != staff.Auditor {
		return forbidden("this is for admins and auditors; " + m.Name + " has the role " + string(m.Role))
	}
	return nil
}

// member is the authenticated staff member of the request.
func member(c *gin.Context) staff.Member {
	m, _ := c.Get(staffKey)
	out, _ := m.(staff.Member)
	return out
}

// displayName is the name customers see on the calling staff member's messages.
func (s *server) displayName(c *gin.Context) string { return member(c).DisplayName }

func staffName(c *gin.Context) string { return member(c).Name }

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

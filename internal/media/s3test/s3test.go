// Package s3test is a local stand-in for an S3-compatible object store, for
// tests. It speaks the S3 REST wire format: PUT, GET (with Range and
// If-Match) and HEAD of objects, HEAD of buckets and their location, by
// path-style (http://host/bucket/key) or virtual-hosted-style
// (http://bucket.domain/key) addressing. Every request must carry an AWS
// Signature Version 4 made with the server's key, checked as S3 checks it,
// and every refusal is S3's XML error: NoSuchBucket, NoSuchKey,
// AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch and the rest.
package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// MaxObjectBytes bounds an object's size.
const MaxObjectBytes = 64 << 20

// maxKeyBytes is S3's bound on a key.
const maxKeyBytes = 1024

// Options configure a Server.
type Options struct {
	// AccessKeyID and SecretAccessKey are the one key requests are signed
	// with.
	AccessKeyID     string
	SecretAccessKey string
	// Region is the region requests are signed for; us-east-1 by default.
	Region string
	// Buckets exist from the start, empty.
	Buckets []string
	// Domain makes a request to <bucket>.<Domain> address the bucket
	// (virtual-hosted style); requests to any other host are path-style.
	Domain string
	// TLS serves HTTPS with a certificate of its own (see CertPEM).
	TLS bool
	// Now is the server's clock, for the request time check; time.Now by
	// default.
	Now func() time.Time
}

// Request is one request the server answered.
type Request struct {
	Method, Bucket, Key string
	Status              int
	// Code is the S3 error code of a refusal, else "".
	Code string
}

type object struct {
	data        []byte
	contentType string
	etag        string
	modTime     time.Time
}

// Server is the stand-in; it is an http.Handler and, from New, listens on
// a local port.
type Server struct {
	opts Options
	http *httptest.Server

	mu          sync.Mutex
	buckets     map[string]map[string]*object
	requests    []Request
	unavailable bool
}

// New starts a server on a local port, closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewHandler(opts)
	if opts.TLS {
		s.http = httptest.NewTLSServer(s)
	} else {
		s.http = httptest.NewServer(s)
	}
	t.Cleanup(s.http.Close)
	return s
}

// NewHandler returns the server as a handler only, listening nowhere.
func NewHandler(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, buckets: map[string]map[string]*object{}}
	for _, b := range opts.Buckets {
		s.buckets[b] = map[string]*object{}
	}
	return s
}

// URL is the server's address, http://127.0.0.1:port (https with TLS).
func (s *Server) URL() string { return s.http.URL }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.http.Listener.Addr().String() }

// CertPEM is the certificate of a TLS server, PEM-encoded.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.http.Certificate().Raw})
}

// Transport connects to this server whatever host a request names, so
// virtual-hosted-style names (bucket.domain) reach it without DNS.
func (s *Server) Transport() *http.Transport {
	t := s.http.Client().Transport.(*http.Transport).Clone()
	addr := s.Addr()
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return t
}

// Close stops the server: requests then fail to connect, as to a store
// that is down.
func (s *Server) Close() { s.http.Close() }

// SetUnavailable makes every request answer 503 ServiceUnavailable, or
// answer again.
func (s *Server) SetUnavailable(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable = on
}

// CreateBucket adds an empty bucket.
func (s *Server) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[name] == nil {
		s.buckets[name] = map[string]*object{}
	}
}

// PutObject stores an object directly, as if uploaded.
func (s *Server) PutObject(bucket, key string, data []byte, contentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store(bucket, key, data, contentType)
}

func (s *Server) store(bucket, key string, data []byte, contentType string) *object {
	sum := md5.Sum(data)
	o := &object{data: bytes.Clone(data), contentType: contentType, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modTime: s.opts.Now().UTC().Truncate(time.Second)}
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*object{}
	}
	s.buckets[bucket][key] = o
	return o
}

// Object returns the object stored under key.
func (s *Server) Object(bucket, key string) (data []byte, contentType string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.buckets[bucket][key]
	if !ok {
		return nil, "", false
	}
	return bytes.Clone(o.data), o.contentType, true
}

// Keys are the keys stored in bucket, sorted.
func (s *Server) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.buckets[bucket]))
}

// Requests are the requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count is how many requests with method reached key (any bucket) and
// were answered with status.
func (s *Server) Count(method, key string, status int) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Key == key && r.Status == status {
			n++
		}
	}
	return n
}

// ServeHTTP answers one S3 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	w.Header().Set("x-amz-request-id", strings.ToUpper(hex.EncodeToString(id)))
	w.Header().Set("Server", "s3test")
	bucket, key := s.address(r)
	status, code := s.serve(w, r, bucket, key, hex.EncodeToString(id))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Bucket: bucket, Key: key, Status: status, Code: code})
	s.mu.Unlock()
}

// address is the bucket and key a request names.
func (s *Server) address(r *http.Request) (bucket, key string) {
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		path = rawPath
	}
	path = strings.TrimPrefix(path, "/")
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if s.opts.Domain != "" && strings.HasSuffix(host, "."+s.opts.Domain) {
		return strings.TrimSuffix(host, "."+s.opts.Domain), path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, bucket, key, requestID string) (int, string) {
	fail := func(e *s3Error) (int, string) {
		e.RequestID = requestID
		if e.Resource == "" {
			e.Resource = "/" + bucket
			if key != "" {
				e.Resource += "/" + key
			}
		}
		e.write(w, r)
		return e.Status, e.Code
	}
	s.mu.Lock()
	unavailable := s.unavailable
	s.mu.Unlock()
	if unavailable {
		return fail(&s3Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "Please reduce your request rate."})
	}
	payloadHash, e := s.authenticate(r)
	if e != nil {
		return fail(e)
	}
	body, e := readBody(r, payloadHash)
	if e != nil {
		return fail(e)
	}
	if bucket == "" {
		return fail(errNotImplemented("listing buckets"))
	}
	if len(key) > maxKeyBytes {
		return fail(&s3Error{Status: http.StatusBadRequest, Code: "KeyTooLongError", Message: "Your key is too long"})
	}
	s.mu.Lock()
	objects, ok := s.buckets[bucket]
	var obj *object
	if ok {
		obj = objects[key]
	}
	s.mu.Unlock()
	if !ok {
		return fail(&s3Error{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist", BucketName: bucket})
	}
	if key == "" {
		return s.serveBucket(w, r, fail)
	}
	switch r.Method {
	case http.MethodPut:
		if r.URL.RawQuery != "" || r.Header.Get("X-Amz-Copy-Source") != "" {
			return fail(errNotImplemented("PUT with a subresource, multipart parts or copies"))
		}
		contentType := r.Header.Get("Content-Type")
		if contentType == "" {
			contentType = "binary/octet-stream"
		}
		s.mu.Lock()
		o := s.store(bucket, key, body, contentType)
		s.mu.Unlock()
		w.Header().Set("ETag", o.etag)
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, ""
	case http.MethodGet, http.MethodHead:
		if obj == nil {
			return fail(&s3Error{Status: http.StatusNotFound, Code: "NoSuchKey", Message: "The specified key does not exist.", Key: key, BucketName: bucket})
		}
		return serveObject(w, r, obj, fail)
	default:
		return fail(errNotImplemented(r.Method + " of an object"))
	}
}

// readBody reads the request body and checks it against the signed
// payload hash and Content-MD5.
func readBody(r *http.Request, payloadHash string) ([]byte, *s3Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxObjectBytes+1))
	if err != nil {
		return nil, &s3Error{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	}
	if len(body) > MaxObjectBytes {
		return nil, &s3Error{Status: http.StatusBadRequest, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed object size."}
	}
	if payloadHash != "" && hexSHA256(body) != payloadHash {
		return nil, &s3Error{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch", Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	if m := r.Header.Get("Content-MD5"); m != "" {
		want, err := base64.StdEncoding.DecodeString(m)
		if err != nil || len(want) != md5.Size {
			return nil, &s3Error{Status: http.StatusBadRequest, Code: "InvalidDigest", Message: "The Content-MD5 you specified was invalid."}
		}
		if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
			return nil, &s3Error{Status: http.StatusBadRequest, Code: "BadDigest", Message: "The Content-MD5 you specified did not match what we received."}
		}
	}
	return body, nil
}

// serveBucket answers HEAD of a bucket and GET of its location.
func (s *Server) serveBucket(w http.ResponseWriter, r *http.Request, fail func(*s3Error) (int, string)) (int, string) {
	w.Header().Set("x-amz-bucket-region", s.opts.Region)
	switch {
	case r.Method == http.MethodHead && r.URL.RawQuery == "":
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, ""
	case r.Method == http.MethodGet && r.URL.Query().Has("location"):
		region := s.opts.Region
		if region == "us-east-1" {
			region = ""
		}
		body, _ := xml.Marshal(struct {
			XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
			Region  string   `xml:",chardata"`
		}{Region: region})
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(xml.Header))
		_, _ = w.Write(body)
		return http.StatusOK, ""
	default:
		return fail(errNotImplemented(r.Method + " of a bucket"))
	}
}

// serveObject answers GET or HEAD of an object, with If-Match,
// If-None-Match and a single Range.
func serveObject(w http.ResponseWriter, r *http.Request, o *object, fail func(*s3Error) (int, string)) (int, string) {
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && !slices.Contains(etagList(m), o.etag) {
		return fail(&s3Error{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
			Message: "At least one of the pre-conditions you specified did not hold", Condition: "If-Match"})
	}
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modTime.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	if m := r.Header.Get("If-None-Match"); m != "" && (m == "*" || slices.Contains(etagList(m), o.etag)) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, ""
	}
	size := int64(len(o.data))
	start, end, ranged := parseRange(r.Header.Get("Range"), size)
	if ranged && start >= size {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		return fail(&s3Error{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidRange", Message: "The requested range is not satisfiable"})
	}
	status := http.StatusOK
	if ranged {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	} else {
		start, end = 0, size-1
	}
	h.Set("Content-Type", o.contentType)
	h.Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = w.Write(o.data[start : end+1])
	}
	return status, ""
}

// etagList splits an If-Match or If-None-Match value.
func etagList(v string) []string {
	var out []string
	for tag := range strings.SplitSeq(v, ",") {
		out = append(out, strings.TrimPrefix(strings.TrimSpace(tag), "W/"))
	}
	return out
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range
// of an object of size bytes; anything else is no range, which S3 answers
// with the whole object. A start at or past the end is returned as it is,
// for the caller to refuse.
func parseRange(v string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	end = size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end, true
}

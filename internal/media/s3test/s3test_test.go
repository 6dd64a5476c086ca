package s3test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
)

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// The example of AWS's Signature Version 4 documentation for S3 ("GET
// Object": the first 10 bytes of examplebucket/test.txt, signed at
// 20130524T000000Z) is taken as signed, and answered with those bytes.
func TestAWSDocumentationExampleIsTaken(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	s := NewHandler(Options{
		AccessKeyID: testKeyID, SecretAccessKey: testSecret, Buckets: []string{"examplebucket"},
		Domain: "s3.amazonaws.com", Now: func() time.Time { return at },
	})
	s.PutObject("examplebucket", "test.txt", []byte("0123456789abcdef"), "text/plain")
	req := httptest.NewRequest("GET", "/test.txt", nil)
	req.Host = "examplebucket.s3.amazonaws.com"
	req.Header.Set("Range", "bytes=0-9")
	req.Header.Set("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	req.Header.Set("x-amz-date", "20130524T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusPartialContent || w.Body.String() != "0123456789" || w.Header().Get("Content-Range") != "bytes 0-9/16" {
		t.Fatalf("%d %v %q, want 206 with the first 10 bytes", w.Code, w.Header(), w.Body)
	}

	// One byte of the signature changed is refused, with what was signed.
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "Signature=f0e8", "Signature=f0e9", 1))
	w = httptest.NewRecorder()
	s.ServeHTTP(w, req)
	e := decodeError(t, w.Code, w.Body.Bytes())
	if w.Code != http.StatusForbidden || e.Code != "SignatureDoesNotMatch" || !strings.Contains(e.StringToSign, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972") {
		t.Errorf("a changed signature: %d %+v, want 403 SignatureDoesNotMatch with AWS's string to sign", w.Code, e)
	}
}

func decodeError(t *testing.T, status int, body []byte) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("answer %d is not an S3 error document: %v\n%s", status, err, body)
	}
	if e.RequestID == "" || e.Message == "" {
		t.Errorf("error document without a message or request ID: %s", body)
	}
	return e
}

// signed is a request signed by the MinIO client's signer (as a client
// made elsewhere signs it), with the payload hash given.
func signed(t *testing.T, s *Server, method, path string, body []byte, payload, keyID, secret, region string, edit func(*http.Request)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	if edit != nil {
		edit(req)
	}
	return signer.SignV4(*req, keyID, secret, "", region)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, body}
}

func TestRequestsAreAuthenticatedAndAnsweredAsS3Does(t *testing.T) {
	s := New(t, Options{AccessKeyID: "handoff-key", SecretAccessKey: "handoff-secret-0123456789", Buckets: []string{"media"}, Region: "eu-central-1"})
	data := []byte("\x89PNG not really")
	good := func(method, path string, body []byte, payload string, edit func(*http.Request)) *http.Request {
		return signed(t, s, method, path, body, payload, "handoff-key", "handoff-secret-0123456789", "eu-central-1", edit)
	}
	if a := do(t, good("PUT", "/media/a/b.png", data, hexSHA256(data), func(r *http.Request) { r.Header.Set("Content-Type", "image/png") })); a.status != http.StatusOK || a.header.Get("ETag") == "" {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	if got, typ, ok := s.Object("media", "a/b.png"); !ok || !bytes.Equal(got, data) || typ != "image/png" {
		t.Fatalf("stored %q %q %v", got, typ, ok)
	}
	a := do(t, good("GET", "/media/a/b.png", nil, unsignedPayload, nil))
	if a.status != http.StatusOK || !bytes.Equal(a.body, data) || a.header.Get("Content-Type") != "image/png" || a.header.Get("Last-Modified") == "" {
		t.Errorf("GET: %d %v %q", a.status, a.header, a.body)
	}
	etag := a.header.Get("ETag")
	if a := do(t, good("GET", "/media/a/b.png", nil, unsignedPayload, func(r *http.Request) {
		r.Header.Set("Range", "bytes=4-")
		r.Header.Set("If-Match", etag)
	})); a.status != http.StatusPartialContent || !bytes.Equal(a.body, data[4:]) {
		t.Errorf("GET from byte 4 of the same version: %d %q", a.status, a.body)
	}
	// A signed query is taken whatever order its parameters come in.
	if a := do(t, good("GET", "/media?location=&x-id=GetBucketLocation", nil, hexSHA256(nil), nil)); a.status != http.StatusOK || !strings.Contains(string(a.body), "eu-central-1</LocationConstraint>") {
		t.Errorf("GET ?location: %d %s", a.status, a.body)
	}

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"a wrong secret", signed(t, s, "GET", "/media/a/b.png", nil, unsignedPayload, "handoff-key", "another-secret", "eu-central-1", nil),
			http.StatusForbidden, "SignatureDoesNotMatch"},
		{"an unknown key", signed(t, s, "GET", "/media/a/b.png", nil, unsignedPayload, "someone-else", "handoff-secret-0123456789", "eu-central-1", nil),
			http.StatusForbidden, "InvalidAccessKeyId"},
		{"another region", signed(t, s, "GET", "/media/a/b.png", nil, unsignedPayload, "handoff-key", "handoff-secret-0123456789", "us-east-1", nil),
			http.StatusBadRequest, "AuthorizationHeaderMalformed"},
		{"no signature", func() *http.Request { r, _ := http.NewRequest("GET", s.URL()+"/media/a/b.png", nil); return r }(),
			http.StatusForbidden, "AccessDenied"},
		{"a body that is not the one signed", good("PUT", "/media/c.png", data, hexSHA256([]byte("other")), nil),
			http.StatusBadRequest, "XAmzContentSHA256Mismatch"},
		{"a wrong Content-MD5", good("PUT", "/media/c.png", data, unsignedPayload, func(r *http.Request) { r.Header.Set("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==") }),
			http.StatusBadRequest, "BadDigest"},
		{"no payload hash", good("GET", "/media/a/b.png", nil, "", nil),
			http.StatusBadRequest, "InvalidRequest"},
		{"a chunked upload", good("PUT", "/media/c.png", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", nil),
			http.StatusNotImplemented, "NotImplemented"},
		{"an unsigned x-amz header", func() *http.Request {
			r := good("GET", "/media/a/b.png", nil, unsignedPayload, nil)
			r.Header.Set("X-Amz-Meta-Extra", "added after signing")
			return r
		}(), http.StatusForbidden, "AccessDenied"},
		{"a header changed after signing", func() *http.Request {
			r := good("GET", "/media/a/b.png", nil, unsignedPayload, nil)
			r.Header.Set("X-Amz-Date", time.Now().UTC().Add(time.Minute).Format(amzDateFormat))
			return r
		}(), http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a path changed after signing", func() *http.Request {
			r := good("GET", "/media/a/b.png", nil, unsignedPayload, nil)
			r.URL.Path = "/media/a/c.png"
			return r
		}(), http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a missing bucket", good("GET", "/other/a/b.png", nil, unsignedPayload, nil), http.StatusNotFound, "NoSuchBucket"},
		{"a missing key", good("GET", "/media/a/none.png", nil, unsignedPayload, nil), http.StatusNotFound, "NoSuchKey"},
		{"another version", good("GET", "/media/a/b.png", nil, unsignedPayload, func(r *http.Request) { r.Header.Set("If-Match", `"0123"`) }),
			http.StatusPreconditionFailed, "PreconditionFailed"},
		{"a range past the end", good("GET", "/media/a/b.png", nil, unsignedPayload, func(r *http.Request) { r.Header.Set("Range", "bytes=100-") }),
			http.StatusRequestedRangeNotSatisfiable, "InvalidRange"},
		{"a delete", good("DELETE", "/media/a/b.png", nil, unsignedPayload, nil), http.StatusNotImplemented, "NotImplemented"},
	} {
		a := do(t, tc.req)
		if a.status != tc.status {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
			continue
		}
		if e := decodeError(t, a.status, a.body); e.Code != tc.code {
			t.Errorf("%s: code %s (%s), want %s", tc.name, e.Code, e.Message, tc.code)
		}
	}
	if _, _, ok := s.Object("media", "c.png"); ok {
		t.Error("a refused PUT stored its body")
	}

	s.opts.Now = func() time.Time { return time.Now().Add(time.Hour) }
	a = do(t, good("GET", "/media/a/b.png", nil, unsignedPayload, nil))
	if e := decodeError(t, a.status, a.body); a.status != http.StatusForbidden || e.Code != "RequestTimeTooSkewed" {
		t.Errorf("a request an hour old: %d %s", a.status, a.body)
	}
}

// A HEAD answer has no body: the status and headers tell it all, the
// region of the bucket included.
func TestHeadAnswersHaveNoBody(t *testing.T) {
	s := New(t, Options{AccessKeyID: "k", SecretAccessKey: "s", Buckets: []string{"media"}})
	for _, tc := range []struct {
		path, region string
		status       int
	}{
		{"/media", "us-east-1", http.StatusOK},
		{"/media/none.png", "us-east-1", http.StatusNotFound},
		{"/other", "us-east-1", http.StatusNotFound},
		{"/media", "eu-west-1", http.StatusBadRequest},
	} {
		a := do(t, signed(t, s, "HEAD", tc.path, nil, hexSHA256(nil), "k", "s", tc.region, nil))
		if a.status != tc.status || len(a.body) != 0 || a.header.Get("x-amz-request-id") == "" {
			t.Errorf("HEAD %s signed for %s: %d %v %q, want %d without a body", tc.path, tc.region, a.status, a.header, a.body, tc.status)
		}
		if tc.region == "eu-west-1" && a.header.Get("x-amz-bucket-region") != "us-east-1" {
			t.Errorf("HEAD signed for the wrong region does not name the bucket's: %v", a.header)
		}
	}
}

// Virtual-hosted-style requests name the bucket in the host.
func TestVirtualHostedStyle(t *testing.T) {
	s := New(t, Options{AccessKeyID: "k", SecretAccessKey: "s", Buckets: []string{"media"}, Domain: "s3.test"})
	client := &http.Client{Transport: s.Transport()}
	put, _ := http.NewRequest("PUT", "http://media.s3.test/x/y.gif", strings.NewReader("GIF89a"))
	put.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte("GIF89a")))
	resp, err := client.Do(signer.SignV4(*put, "k", "s", "", "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	if keys := s.Keys("media"); len(keys) != 1 || keys[0] != "x/y.gif" {
		t.Errorf("bucket media holds %v, want x/y.gif", keys)
	}
	if got := s.Requests(); len(got) != 1 || got[0] != (Request{Method: "PUT", Bucket: "media", Key: "x/y.gif", Status: http.StatusOK}) {
		t.Errorf("requests %+v", got)
	}
}

func TestUnavailable(t *testing.T) {
	s := New(t, Options{AccessKeyID: "k", SecretAccessKey: "s", Buckets: []string{"media"}})
	s.SetUnavailable(true)
	a := do(t, signed(t, s, "GET", "/media/a.png", nil, unsignedPayload, "k", "s", "us-east-1", nil))
	if e := decodeError(t, a.status, a.body); a.status != http.StatusServiceUnavailable || e.Code != "ServiceUnavailable" {
		t.Errorf("%d %s, want 503 ServiceUnavailable", a.status, a.body)
	}
	s.SetUnavailable(false)
	if a := do(t, signed(t, s, "HEAD", "/media", nil, unsignedPayload, "k", "s", "us-east-1", nil)); a.status != http.StatusOK {
		t.Errorf("after it is back: %d", a.status)
	}
}

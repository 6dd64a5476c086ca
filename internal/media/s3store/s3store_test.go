package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/media/mediatest"
	"github.com/handoff-chat/handoff/internal/media/s3store"
	"github.com/handoff-chat/handoff/internal/media/s3test"
)

const (
	keyID  = "handoff-test-key"
	secret = "handoff-test-secret-0123456789"
	bucket = "handoff-media"
)

func newServer(t *testing.T, opts s3test.Options) *s3test.Server {
	if opts.AccessKeyID == "" {
		opts.AccessKeyID, opts.SecretAccessKey = keyID, secret
	}
	if opts.Buckets == nil {
		opts.Buckets = []string{bucket}
	}
	return s3test.New(t, opts)
}

func options(srv *s3test.Server) s3store.Options {
	return s3store.Options{
		Endpoint: srv.URL(), Region: "us-east-1", Bucket: bucket,
		AccessKeyID: keyID, SecretAccessKey: secret, PathStyle: true,
	}
}

func open(t *testing.T, o s3store.Options) *s3store.Store {
	t.Helper()
	s, err := s3store.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformancePathStyle(t *testing.T) {
	mediatest.Run(t, func(t *testing.T) media.Backend {
		return open(t, options(newServer(t, s3test.Options{})))
	})
}

func TestConformanceVirtualHostedStyleUnderAPrefix(t *testing.T) {
	mediatest.Run(t, func(t *testing.T) media.Backend {
		srv := newServer(t, s3test.Options{Domain: "objects.test", Region: "eu-central-1"})
		o := options(srv)
		o.Endpoint, o.Region, o.PathStyle, o.Prefix = "http://objects.test", "eu-central-1", false, "shop-1/media"
		s, err := s3store.NewWithTransport(o, srv.Transport())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Over HTTPS, the store's certificate is trusted through the CA file.
func TestConformanceTLSWithACAFile(t *testing.T) {
	mediatest.Run(t, func(t *testing.T) media.Backend {
		srv := newServer(t, s3test.Options{TLS: true})
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		o := options(srv)
		o.CAFile = ca
		return open(t, o)
	})
}

// What is stored where: the image and its thumbnail under the prefix,
// with their types; the same image uploaded twice is PUT once, and a kept
// thumbnail is not PUT again.
func TestObjectsStoredOnceUnderThePrefix(t *testing.T) {
	srv := newServer(t, s3test.Options{})
	o := options(srv)
	o.Prefix = "handoff/media/"
	s := media.New(open(t, o), 8<<20)
	ctx := context.Background()
	data := mediatest.Encoded(t, 600, 300, true)
	var name string
	for range 2 {
		n, _, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		name = n
	}
	for range 2 {
		f, err := s.Thumbnail(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	image, thumb := "handoff/media/"+name, "handoff/media/thumbs/"+name
	if keys := srv.Keys(bucket); strings.Join(keys, " ") != image+" "+thumb {
		t.Errorf("the bucket holds %v, want %s and %s", keys, image, thumb)
	}
	if got, typ, _ := srv.Object(bucket, image); !bytes.Equal(got, data) || typ != "image/jpeg" {
		t.Errorf("the image is stored as %d bytes of %q", len(got), typ)
	}
	if _, typ, _ := srv.Object(bucket, thumb); typ != "image/jpeg" {
		t.Errorf("the thumbnail is stored as %q", typ)
	}
	if n := srv.Count("PUT", image, http.StatusOK); n != 1 {
		t.Errorf("the image uploaded twice was PUT %d times", n)
	}
	if n := srv.Count("PUT", thumb, http.StatusOK); n != 1 {
		t.Errorf("the thumbnail asked for twice was PUT %d times", n)
	}
}

// Reading a file start to end is one GET; a seek elsewhere reads on with
// a ranged GET of the same version, which fails when the object changed.
func TestReadingIsOneGetAndSeeksAreRanges(t *testing.T) {
	srv := newServer(t, s3test.Options{})
	backend := open(t, options(srv))
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 100)
	if err := backend.Write(ctx, "k.png", data, "image/png"); err != nil {
		t.Fatal(err)
	}
	f, err := backend.Open(ctx, "k.png")
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != int64(len(data)) || f.ModTime.IsZero() {
		t.Errorf("size %d, modified %v", f.Size, f.ModTime)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if n := srv.Count("GET", "k.png", http.StatusOK); n != 1 {
		t.Errorf("a whole read after seeking to the end and back took %d GETs, want 1", n)
	}
	if _, err := f.Seek(995, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(f)
	if err != nil || string(tail) != "56789" {
		t.Errorf("from 995: %q %v", tail, err)
	}
	if n := srv.Count("GET", "k.png", http.StatusPartialContent); n != 1 {
		t.Errorf("reading from 995 took %d ranged GETs, want 1", n)
	}
	f.Close()

	f, err = backend.Open(ctx, "k.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv.PutObject(bucket, "k.png", []byte("replaced meanwhile"), "image/png")
	if _, err := f.Seek(500, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(f); !errors.Is(err, media.ErrUnavailable) || !strings.Contains(err.Error(), "PreconditionFailed") {
		t.Errorf("reading on after the object changed: %v, want ErrUnavailable for PreconditionFailed", err)
	}
}

// A store that is down, or answers 503, makes every operation
// ErrUnavailable, whose text (for the log) says what failed and where.
func TestUnavailableStore(t *testing.T) {
	srv := newServer(t, s3test.Options{})
	backend := open(t, options(srv))
	s := media.New(backend, 1<<20)
	ctx := context.Background()
	name, _, err := s.Put(ctx, bytes.NewReader(mediatest.Encoded(t, 4, 4, false)))
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		if _, _, err := s.Put(ctx, bytes.NewReader(mediatest.Encoded(t, 5, 5, false))); !errors.Is(err, media.ErrUnavailable) {
			t.Errorf("%s: Put: %v, want ErrUnavailable", state, err)
		}
		if _, err := s.Open(ctx, name); !errors.Is(err, media.ErrUnavailable) || !strings.Contains(err.Error(), bucket) {
			t.Errorf("%s: Open: %v, want ErrUnavailable naming the bucket", state, err)
		}
		if _, err := s.Thumbnail(ctx, name); !errors.Is(err, media.ErrUnavailable) {
			t.Errorf("%s: Thumbnail: %v, want ErrUnavailable", state, err)
		}
		if err := backend.Check(ctx); !errors.Is(err, media.ErrUnavailable) {
			t.Errorf("%s: Check: %v, want ErrUnavailable", state, err)
		}
	}
	srv.SetUnavailable(true)
	check("answering 503")
	srv.SetUnavailable(false)
	if _, err := s.Open(ctx, name); err != nil {
		t.Errorf("back again: %v", err)
	}
	srv.Close()
	check("down")
}

// Check tells a configuration that no waiting mends: a wrong secret or
// key, a missing bucket, another region. Operations with a wrong secret
// fail as S3 refuses them, never as "not found".
func TestCheckTellsWhatIsWrong(t *testing.T) {
	srv := newServer(t, s3test.Options{})
	ctx := context.Background()
	if err := open(t, options(srv)).Check(ctx); err != nil {
		t.Fatalf("a good configuration: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*s3store.Options)
		want error
		says string
	}{
		{"a wrong secret", func(o *s3store.Options) { o.SecretAccessKey = "not-the-secret" }, s3store.ErrAccessDenied, "AccessDenied"},
		{"an unknown key", func(o *s3store.Options) { o.AccessKeyID = "someone-else" }, s3store.ErrAccessDenied, "AccessDenied"},
		{"a missing bucket", func(o *s3store.Options) { o.Bucket = "no-such-bucket" }, s3store.ErrNoSuchBucket, `"no-such-bucket"`},
		{"another region", func(o *s3store.Options) { o.Region = "eu-west-1" }, s3store.ErrWrongRegion, "us-east-1"},
	} {
		o := options(srv)
		tc.edit(&o)
		err := open(t, o).Check(ctx)
		if !errors.Is(err, tc.want) || errors.Is(err, media.ErrUnavailable) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %s", tc.name, err, tc.want, tc.says)
		}
	}
	o := options(srv)
	o.SecretAccessKey = "not-the-secret"
	s := media.New(open(t, o), 1<<20)
	if _, _, err := s.Put(ctx, bytes.NewReader(mediatest.Encoded(t, 4, 4, false))); !errors.Is(err, media.ErrUnavailable) || !strings.Contains(err.Error(), "403") {
		t.Errorf("Put with a wrong secret: %v, want ErrUnavailable with the 403", err)
	}
	if _, err := s.Open(ctx, strings.Repeat("ab", 16)+".png"); !errors.Is(err, media.ErrUnavailable) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("Open with a wrong secret: %v, want ErrUnavailable for SignatureDoesNotMatch", err)
	}
	if len(srv.Keys(bucket)) != 0 {
		t.Errorf("requests signed with a wrong secret stored %v", srv.Keys(bucket))
	}
}

// The description for the log names the store, never the secret.
func TestStringHasNoSecret(t *testing.T) {
	o := s3store.Options{
		Endpoint: "https://s3.eu-central-1.amazonaws.com", Region: "eu-central-1", Bucket: "shop-media",
		Prefix: "handoff", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "very-secret-value",
	}
	got := open(t, o).String()
	if got != "S3 bucket shop-media at https://s3.eu-central-1.amazonaws.com under handoff/" {
		t.Errorf("String() = %q", got)
	}
	if strings.Contains(got, o.SecretAccessKey) || strings.Contains(got, o.AccessKeyID) {
		t.Errorf("String() = %q tells the key", got)
	}
}

func TestBadOptionsAreRefusedWithTheReason(t *testing.T) {
	good := s3store.Options{Endpoint: "http://minio:9000", Region: "us-east-1", Bucket: "media", AccessKeyID: "k", SecretAccessKey: "s"}
	for _, tc := range []struct {
		name string
		edit func(*s3store.Options)
		says string
	}{
		{"no scheme", func(o *s3store.Options) { o.Endpoint = "minio:9000" }, "endpoint: must be the store's URL with http:// or https://"},
		{"a path", func(o *s3store.Options) { o.Endpoint = "https://s3.amazonaws.com/media" }, "without a path"},
		{"credentials in the URL", func(o *s3store.Options) { o.Endpoint = "https://k:s@s3.amazonaws.com" }, "credentials"},
		{"an upper-case bucket", func(o *s3store.Options) { o.Bucket = "Media" }, "bucket: must be a bucket name"},
		{"a two-letter bucket", func(o *s3store.Options) { o.Bucket = "me" }, "bucket:"},
		{"a bucket with ..", func(o *s3store.Options) { o.Bucket = "me..dia" }, "bucket:"},
		{"no region", func(o *s3store.Options) { o.Region = "" }, "region: must be the region"},
		{"a prefix from the root", func(o *s3store.Options) { o.Prefix = "/media" }, "prefix: must not start with /"},
		{"a prefix climbing out", func(o *s3store.Options) { o.Prefix = "a/../b" }, "prefix:"},
		{"a prefix with spaces", func(o *s3store.Options) { o.Prefix = "my media" }, "prefix: must be at most 256"},
		{"no key", func(o *s3store.Options) { o.AccessKeyID = "" }, "access key ID: must be set"},
		{"no secret", func(o *s3store.Options) { o.SecretAccessKey = "" }, "secret access key: must be set"},
		{"a secret with a space", func(o *s3store.Options) { o.SecretAccessKey = "a b" }, "secret access key: must not contain white space"},
		{"a CA file that is missing", func(o *s3store.Options) { o.CAFile = "/nonexistent/ca.pem" }, "ca_file:"},
	} {
		o := good
		tc.edit(&o)
		if _, err := s3store.New(o); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.says)
		}
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := good
	o.CAFile = notPEM
	if _, err := s3store.New(o); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}

// Package s3store is the media backend of an S3-compatible object store
// (AWS S3, MinIO, Ceph, Cloudflare R2 and others): a bucket every api
// process of a deployment shares, so an image uploaded through one is
// served by all. Requests are signed with AWS Signature Version 4; an
// upload is one PUT whose body's SHA-256 and MD5 are signed and checked by
// the store.
package s3store

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/handoff-chat/handoff/internal/media"
)

// Errors of Check that no waiting mends: the configuration is wrong.
var (
	ErrNoSuchBucket = errors.New("the bucket does not exist")
	ErrAccessDenied = errors.New("the store refused the key")
	ErrWrongRegion  = errors.New("the bucket is in another region")
)

// Bounds of a request to the store: a store that does not answer fails a
// request after three attempts of at most these waits each, or sooner when
// the request's own time runs out.
const (
	dialTimeout           = 5 * time.Second
	responseHeaderTimeout = 15 * time.Second
	attempts              = 3
)

// Store is the backend.
type Store struct {
	core     minio.Core
	endpoint string
	region   string
	bucket   string
	prefix   string
}

var _ media.Backend = (*Store)(nil)

// New returns the backend of the bucket o names. It does not connect;
// Check does.
func New(o Options) (*Store, error) {
	return newStore(o, nil)
}

// NewWithTransport is New with the HTTP transport given: for tests, and
// for proxies of one's own. o.CAFile is not read.
func NewWithTransport(o Options, transport http.RoundTripper) (*Store, error) {
	return newStore(o, transport)
}

func newStore(o Options, transport http.RoundTripper) (*Store, error) {
	u, err := o.check()
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	if transport == nil {
		if transport, err = newTransport(o.CAFile); err != nil {
			return nil, fmt.Errorf("s3store: %w", err)
		}
	}
	lookup := minio.BucketLookupDNS
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, ""),
		Secure:       u.Scheme == "https",
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    transport,
		MaxRetries:   attempts,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: endpoint %s: %w", o.Endpoint, err)
	}
	prefix := o.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{
		core:     minio.Core{Client: client},
		endpoint: u.Scheme + "://" + u.Host,
		region:   o.Region,
		bucket:   o.Bucket,
		prefix:   prefix,
	}, nil
}

// newTransport is the HTTP transport to the store: bounded waits for the
// connection and the answer's headers (never for a body, which a slow
// client may take long to download), and caFile's CA trusted besides the
// system's.
func newTransport(caFile string) (*http.Transport, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", caFile)
		}
		tlsConfig.RootCAs = pool
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		// The bodies are images, and a compressed answer's length would
		// not be the object's.
		DisableCompression: true,
	}, nil
}

// String implements media.Backend.
func (s *Store) String() string {
	where := "S3 bucket " + s.bucket + " at " + s.endpoint
	if s.prefix != "" {
		where += " under " + s.prefix
	}
	return where
}

// Check implements media.Backend: the bucket is there and the key may use
// it. A store that does not answer is media.ErrUnavailable; a missing
// bucket, a refused key and a wrong region are ErrNoSuchBucket,
// ErrAccessDenied and ErrWrongRegion.
func (s *Store) Check(ctx context.Context) error {
	exists, err := s.core.BucketExists(ctx, s.bucket)
	var resp minio.ErrorResponse
	switch {
	case err == nil && exists:
		return nil
	case err == nil:
		return fmt.Errorf("%w: %s has no bucket %q", ErrNoSuchBucket, s.endpoint, s.bucket)
	case errors.As(err, &resp) && resp.Region != "" && resp.Region != s.region:
		return fmt.Errorf("%w: bucket %q is in %s, not %s", ErrWrongRegion, s.bucket, resp.Region, s.region)
	case errors.As(err, &resp) && resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s refused access to bucket %q (%s): check the access key, its secret and the key's permissions on the bucket", ErrAccessDenied, s.endpoint, s.bucket, resp.Code)
	case errors.As(err, &resp) && resp.StatusCode >= 400 && resp.StatusCode < 500:
		return fmt.Errorf("%s refused to find bucket %q: %d %s", s.endpoint, s.bucket, resp.StatusCode, resp.Code)
	default:
		return s.unavailable("reach bucket", "", err)
	}
}

// Exists implements media.Backend.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.core.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if isNoSuchKey(err) {
		return false, nil
	}
	return false, s.unavailable("look up", key, err)
}

// Write implements media.Backend: one PUT, the body's SHA-256 signed and
// its MD5 sent, so the store refuses a body changed on the way.
func (s *Store) Write(ctx context.Context, key string, data []byte, contentType string) error {
	sha := sha256.Sum256(data)
	sum := md5.Sum(data)
	_, err := s.core.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		base64.StdEncoding.EncodeToString(sum[:]), hex.EncodeToString(sha[:]),
		minio.PutObjectOptions{
			ContentType: contentType,
			// Sign the body's hash in the request rather than in chunks.
			DisableContentSha256: true,
		})
	if err != nil {
		return s.unavailable("store", key, err)
	}
	return nil
}

// Open implements media.Backend: the file streams from one GET; seeking
// away from where it is reading starts another GET of the rest, of the
// same version of the object.
func (s *Store) Open(ctx context.Context, key string) (*media.File, error) {
	body, info, err := s.get(ctx, key, 0, "")
	if err != nil {
		return nil, err
	}
	o := &object{ctx: ctx, store: s, key: key, etag: info.ETag, size: info.Size, body: body}
	return &media.File{ReadSeekCloser: o, Size: info.Size, ModTime: info.LastModified}, nil
}

// get GETs key from offset on, of the version etag when set.
func (s *Store) get(ctx context.Context, key string, offset int64, etag string) (io.ReadCloser, minio.ObjectInfo, error) {
	var opts minio.GetObjectOptions
	if offset > 0 {
		if err := opts.SetRange(offset, 0); err != nil {
			return nil, minio.ObjectInfo{}, fmt.Errorf("s3store: read %s from %d: %w", key, offset, err)
		}
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, minio.ObjectInfo{}, fmt.Errorf("s3store: read %s: %w", key, err)
		}
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, opts)
	if err != nil {
		if isNoSuchKey(err) {
			return nil, minio.ObjectInfo{}, media.ErrNotFound
		}
		return nil, minio.ObjectInfo{}, s.unavailable("read", key, err)
	}
	return body, info, nil
}

func isNoSuchKey(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == minio.NoSuchKey
}

// unavailable wraps a failure to use the store as media.ErrUnavailable,
// with what was done and the store's answer for the log.
func (s *Store) unavailable(what, key string, err error) error {
	if key != "" {
		what += " " + s.prefix + key
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return fmt.Errorf("%w: %s in bucket %s at %s: %d %s: %s", media.ErrUnavailable, what, s.bucket, s.endpoint, resp.StatusCode, resp.Code, resp.Message)
	}
	return fmt.Errorf("%w: %s in bucket %s at %s: %v", media.ErrUnavailable, what, s.bucket, s.endpoint, err)
}

// object reads an object: a GET's body while reading on from where it is,
// a new GET from the offset after a seek elsewhere.
type object struct {
	ctx   context.Context
	store *Store
	key   string
	etag  string
	size  int64
	// body is the body being read, at bodyAt; nil when none is open.
	body   io.ReadCloser
	bodyAt int64
	// at is where the next Read reads.
	at int64
}

func (o *object) Read(p []byte) (int, error) {
	if o.at >= o.size {
		return 0, io.EOF
	}
	if o.body != nil && o.bodyAt != o.at {
		_ = o.body.Close()
		o.body = nil
	}
	if o.body == nil {
		body, _, err := o.store.get(o.ctx, o.key, o.at, o.etag)
		if err != nil {
			return 0, err
		}
		o.body, o.bodyAt = body, o.at
	}
	n, err := o.body.Read(p)
	o.at += int64(n)
	o.bodyAt = o.at
	switch {
	case errors.Is(err, io.EOF) && o.at < o.size:
		return n, o.store.unavailable("read", o.key, io.ErrUnexpectedEOF)
	case err != nil && !errors.Is(err, io.EOF):
		return n, o.store.unavailable("read", o.key, err)
	}
	return n, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.at
	case io.SeekEnd:
		offset += o.size
	default:
		return 0, fmt.Errorf("s3store: seek %s: whence %d", o.key, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("s3store: seek %s: to %d, before the start", o.key, offset)
	}
	o.at = offset
	return offset, nil
}

func (o *object) Close() error {
	if o.body == nil {
		return nil
	}
	err := o.body.Close()
	o.body = nil
	return err
}

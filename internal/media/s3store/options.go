package s3store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Options say which store, bucket and key to use.
type Options struct {
	// Endpoint is the store's URL, its scheme saying whether TLS is used:
	// https://s3.eu-central-1.amazonaws.com, http://minio:9000.
	Endpoint string
	// Region is the region requests are signed for (us-east-1 for most
	// stores that have none; auto for Cloudflare R2).
	Region string
	// Bucket holds the files; it must exist.
	Bucket string
	// Prefix is put before every key ("handoff/media/"), so one bucket
	// can hold other things too; "" keeps the files at the top.
	Prefix string
	// AccessKeyID and SecretAccessKey sign every request (AWS Signature
	// Version 4).
	AccessKeyID     string
	SecretAccessKey string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key), as
	// MinIO and Ceph usually want; otherwise in the host name
	// (bucket.endpoint/key), as AWS S3 prefers.
	PathStyle bool
	// CAFile is a PEM file of the CA that signed the store's certificate,
	// when the system does not trust it; "" trusts the system's CAs.
	CAFile string
}

var (
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	prefixPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{0,256}$`)
)

// CheckEndpoint checks an endpoint URL: http or https, a host, no path,
// query or credentials.
func CheckEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("must be the store's URL with http:// or https://, like https://s3.eu-central-1.amazonaws.com or http://minio:9000, got %q", endpoint)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("must be the store's URL without a path, query or credentials (the bucket and the prefix are set apart), got %q", endpoint)
	}
	return u, nil
}

// CheckBucket checks a bucket name by S3's rules.
func CheckBucket(bucket string) error {
	if !bucketPattern.MatchString(bucket) || strings.Contains(bucket, "..") {
		return fmt.Errorf("must be a bucket name of 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit, got %q", bucket)
	}
	return nil
}

// CheckRegion checks a region name.
func CheckRegion(region string) error {
	if !regionPattern.MatchString(region) {
		return fmt.Errorf("must be the region requests are signed for, like us-east-1, eu-central-1 or auto (1-64 letters, digits, - and _), got %q", region)
	}
	return nil
}

// CheckPrefix checks a key prefix: at most 256 letters, digits and
// . _ - /, not starting with /, no empty, . or .. path segment.
func CheckPrefix(prefix string) error {
	if !prefixPattern.MatchString(prefix) {
		return fmt.Errorf("must be at most 256 letters, digits and . _ - / (like handoff/media/), got %q", prefix)
	}
	if prefix == "" {
		return nil
	}
	for i, seg := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("must not start with / or have an empty, . or .. segment (like handoff/media/), got %q (segment %d)", prefix, i+1)
		}
	}
	return nil
}

// CheckAccessKeyID checks an access key ID: set, at most 128 characters,
// no white space or control characters.
func CheckAccessKeyID(id string) error { return checkCredential(id, 128) }

// CheckSecret checks a secret access key: set, at most 256 characters,
// no white space or control characters. The error never tells the secret.
func CheckSecret(secret string) error { return checkCredential(secret, 256) }

func checkCredential(value string, maxLen int) error {
	switch {
	case value == "":
		return errors.New("must be set")
	case len(value) > maxLen:
		return fmt.Errorf("must be at most %d characters, got %d", maxLen, len(value))
	case strings.ContainsFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("must not contain white space or control characters")
	}
	return nil
}

// check checks every option.
func (o Options) check() (*url.URL, error) {
	u, err := CheckEndpoint(o.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if err := CheckRegion(o.Region); err != nil {
		return nil, fmt.Errorf("region: %w", err)
	}
	if err := CheckBucket(o.Bucket); err != nil {
		return nil, fmt.Errorf("bucket: %w", err)
	}
	if err := CheckPrefix(o.Prefix); err != nil {
		return nil, fmt.Errorf("prefix: %w", err)
	}
	if err := CheckAccessKeyID(o.AccessKeyID); err != nil {
		return nil, fmt.Errorf("access key ID: %w", err)
	}
	if err := CheckSecret(o.SecretAccessKey); err != nil {
		return nil, fmt.Errorf("secret access key: %w", err)
	}
	return u, nil
}

package config

import (
	"strings"
	"testing"
)

// s3Env is a valid object store configuration in environment variables.
func s3Env(extra map[string]string) map[string]string {
	env := map[string]string{
		"HANDOFF_MEDIA_BACKEND":              "s3",
		"HANDOFF_MEDIA_S3_ENDPOINT":          "http://minio:9000",
		"HANDOFF_MEDIA_S3_BUCKET":            "handoff-media",
		"HANDOFF_MEDIA_S3_ACCESS_KEY_ID":     "handoff",
		"HANDOFF_MEDIA_S3_SECRET_ACCESS_KEY": "a-secret-of-the-store",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestMediaObjectStoreLoads(t *testing.T) {
	checkLoads(t, []loads{
		{
			name: "from the environment",
			env:  s3Env(map[string]string{"HANDOFF_MEDIA_S3_PREFIX": "shop/media", "HANDOFF_MEDIA_S3_USE_PATH_STYLE": "true"}),
			want: []field{
				{"media.backend", func(c *Config) any { return c.Media.Backend }, MediaS3},
				{"media.s3.region (default)", func(c *Config) any { return c.Media.S3.Region }, "us-east-1"},
				{"Options()", func(c *Config) any { return c.Media.S3.Options().Endpoint + " " + c.Media.S3.Options().Bucket }, "http://minio:9000 handoff-media"},
				{"media.s3.prefix", func(c *Config) any { return c.Media.S3.Options().Prefix }, "shop/media"},
				{"media.s3.use_path_style", func(c *Config) any { return c.Media.S3.Options().PathStyle }, true},
				{"media.s3.secret_access_key", func(c *Config) any { return c.Media.S3.Options().SecretAccessKey }, "a-secret-of-the-store"},
			},
		},
		{
			name: "from a file",
			file: `
media:
  backend: s3
  s3:
    endpoint: https://s3.eu-central-1.amazonaws.com
    region: eu-central-1
    bucket: shop.example.media
    access_key_id: AKIAEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`,
			want: []field{
				{"media.s3.region", func(c *Config) any { return c.Media.S3.Region }, "eu-central-1"},
				{"media.s3.bucket", func(c *Config) any { return c.Media.S3.Bucket }, "shop.example.media"},
				{"media.s3.use_path_style (default)", func(c *Config) any { return c.Media.S3.UsePathStyle }, false},
			},
		},
		{
			// The s3 keys are not checked while the folder is used.
			name: "s3 keys left over with the folder",
			env:  map[string]string{"HANDOFF_MEDIA_S3_ENDPOINT": "not checked"},
			want: []field{{"media.backend", func(c *Config) any { return c.Media.Backend }, MediaFolder}},
		},
	})
}

func TestMediaObjectStoreIsValidated(t *testing.T) {
	checkRefused(t, []refused{
		{name: "another backend", env: map[string]string{"HANDOFF_MEDIA_BACKEND": "gcs"}, want: []string{"config key media.backend:", "folder or s3", `"gcs"`}},
		{name: "s3 without its keys", env: map[string]string{"HANDOFF_MEDIA_BACKEND": "s3"}, want: []string{
			"config key media.s3.endpoint: must be the store's URL",
			"config key media.s3.bucket: must be a bucket name",
			"config key media.s3.access_key_id: must be set",
			"config key media.s3.secret_access_key: must be set",
		}},
		{name: "an endpoint without a scheme", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_ENDPOINT": "minio:9000"}), want: []string{"config key media.s3.endpoint:", "http:// or https://", `"minio:9000"`}},
		{name: "an endpoint with the bucket in the path", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_ENDPOINT": "https://s3.amazonaws.com/handoff-media"}), want: []string{"config key media.s3.endpoint:", "without a path"}},
		{name: "an upper-case bucket", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_BUCKET": "Handoff_Media"}), want: []string{"config key media.s3.bucket:", "lower-case"}},
		{name: "an empty region", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_REGION": " "}), want: []string{"config key media.s3.region:"}},
		{name: "a prefix from the root", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_PREFIX": "/media"}), want: []string{"config key media.s3.prefix:", "must not start with /"}},
		{name: "a missing CA file", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_CA_FILE": "/nonexistent/ca.pem"}), want: []string{"config key media.s3.ca_file:", "/nonexistent/ca.pem"}},
		{name: "a path-style flag that is not a boolean", env: s3Env(map[string]string{"HANDOFF_MEDIA_S3_USE_PATH_STYLE": "maybe"}), want: []string{"use_path_style"}},
	})
}

// A secret that is refused is never repeated in the error.
func TestMediaSecretIsNotInErrors(t *testing.T) {
	secret := "a secret with spaces"
	_, err := load(t, "", s3Env(map[string]string{"HANDOFF_MEDIA_S3_SECRET_ACCESS_KEY": secret}))
	if err == nil || !strings.Contains(err.Error(), "config key media.s3.secret_access_key: must not contain white space") {
		t.Fatalf("error %v, want one naming media.s3.secret_access_key", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error tells the secret: %v", err)
	}
}

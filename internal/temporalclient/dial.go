// Package temporalclient dials the Temporal frontend handoff runs against and
// prepares its namespace: TLS, mTLS or API key for an external cluster, and the
// custom search attributes conversations publish.
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/workflows"
)

// SearchAttributes are the custom search attributes conversations publish.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	workflows.SAState.GetName():             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.SAChannel.GetName():           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.SACustomerID.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.SACustomerName.GetName():      enumspb.INDEXED_VALUE_TYPE_TEXT,
	workflows.SAWindowClosesAt.GetName():    enumspb.INDEXED_VALUE_TYPE_DATETIME,
	workflows.SALiveChatExpiresAt.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
	workflows.SAAgentRequestedAt.GetName():  enumspb.INDEXED_VALUE_TYPE_DATETIME,
	workflows.SAAgentRequested.GetName():    enumspb.INDEXED_VALUE_TYPE_BOOL,
}

// Dial connects to hostPort with the namespace, TLS and API key from cfg. It
// retries until ctx is done, so a process started before its cluster waits.
func Dial(ctx context.Context, hostPort string, cfg config.Temporal, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  hostPort,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger.With("component", "temporal-client")),
	}
	if cfg.TLS.Enabled || cfg.TLS.CAFile != "" || cfg.TLS.CertFile != "" || cfg.APIKey != "" {
		tlsCfg, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsCfg
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	if !compresses(cfg.Compression, hostPort) {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	delay := 200 * time.Millisecond
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		logger.Warn("Temporal is not reachable yet; retrying", "address", hostPort, "error", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", hostPort, cfg.Namespace, err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// compresses says whether requests to the frontend at hostPort are
// compressed (gzip) under the temporal.compression setting: always, never,
// or (auto, or unset) unless the frontend is on a loopback address.
func compresses(setting, hostPort string) bool {
	switch setting {
	case config.CompressionGzip:
		return true
	case config.CompressionNone:
		return false
	}
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		host = hostPort
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func tlsConfig(cfg config.TLS) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal.tls.ca_file: %s holds no PEM certificate", cfg.CAFile)
		}
		t.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.cert_file / key_file: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// EnsureSearchAttributes registers the search attributes the namespace lacks.
// Clusters where handoff may not change the namespace log what an operator
// must add by hand and carry on.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *slog.Logger) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var denied *serviceerror.PermissionDenied
	if errors.As(err, &denied) {
		logger.Warn("cannot add search attributes; ask an operator to add them", "namespace", namespace, "missing", fmt.Sprint(missing))
		return nil
	}
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes to namespace %s: %w", namespace, err)
	}
	return nil
}

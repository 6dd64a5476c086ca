// Package elasticsearch is the Elasticsearch 8 search backend: three
// indices, <prefix>-messages, <prefix>-conversations and <prefix>-knowledge,
// each with a composable index template of the same name, created on start
// if missing.
//
// Messages are written through a bulk indexer (document ID = message ID,
// routed by conversation, so one conversation's messages sit on one shard and
// a search reads one shard). Conversation documents are written with external
// versions taken from UpdatedAt, and knowledge entries with their revisions,
// so Elasticsearch itself drops a write older than the stored document.
package elasticsearch

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/handoff-chat/handoff/search"
)

// Options configures the backend. The error messages name the options by
// their configuration keys (search.elasticsearch.*).
type Options struct {
	// Addresses are the URLs of the cluster's nodes, e.g. https://es:9200.
	Addresses []string
	// APIKey is the "encoded" value Elasticsearch returns when it creates an
	// API key (base64 of id:api_key); "id:api_key" itself is accepted too.
	// APIKey and Username/Password are alternatives. The credentials need the
	// cluster privileges monitor and manage_index_templates, and
	// create_index, view_index_metadata, read and write on <prefix>-*.
	APIKey             string
	Username, Password string
	// CACertFile is a PEM file of the certificate authorities to trust for
	// https addresses (empty: the system's).
	CACertFile string
	// IndexPrefix names the indices and templates: <prefix>-messages,
	// <prefix>-conversations and <prefix>-knowledge. Default "handoff".
	IndexPrefix string
	// FlushInterval is how long the bulk indexer collects messages before it
	// sends them: default and maximum 1s.
	FlushInterval time.Duration
}

// privileges describes what the credentials must allow.
func privileges(prefix string) string {
	return fmt.Sprintf("the cluster privileges monitor and manage_index_templates, and create_index, view_index_metadata, read and write on the indices %s-*", prefix)
}

// Defaults and limits.
const (
	DefaultIndexPrefix   = "handoff"
	DefaultFlushInterval = time.Second
	maxFlushInterval     = time.Second

	// startTimeout bounds New's requests when ctx has no earlier deadline.
	startTimeout = 30 * time.Second
	// bulkTimeout bounds one bulk request of the indexer (its workers have no
	// caller context of their own).
	bulkTimeout = time.Minute
	// CloseTimeout bounds Close: the final flush of the queued messages
	// and closing the client. A process's stop waits for it.
	CloseTimeout = 30 * time.Second

	bulkWorkers = 2

	// maxResultWindow is Elasticsearch's default index.max_result_window:
	// from+size beyond it is an error, so deeper pages come back empty.
	maxResultWindow = 10000
)

// Index is a search.Index stored in Elasticsearch.
type Index struct {
	client        *es.Client
	bulk          esutil.BulkIndexer
	logger        *slog.Logger
	prefix        string
	messages      string // index names
	conversations string
	knowledge     string

	// mu guards closed: Add on a closed bulk indexer panics.
	mu        sync.RWMutex
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

var _ search.Index = (*Index)(nil)

// normalize applies the defaults and validates opts.
func (o Options) normalize() (Options, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("search.elasticsearch.%s %s", key, fmt.Sprintf(format, args...)))
	}
	if len(o.Addresses) == 0 {
		bad("addresses", "must list at least one URL, like https://es.example.com:9200")
	}
	for i, a := range o.Addresses {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("addresses[%d]", i), "must be an http:// or https:// URL with a host, got %q", a)
		}
	}
	if o.APIKey != "" && (o.Username != "" || o.Password != "") {
		bad("api_key", "and username/password are alternatives; set one of them")
	}
	if o.APIKey == "" {
		if o.Username != "" && o.Password == "" {
			bad("password", "must be set when search.elasticsearch.username is")
		}
		if o.Password != "" && o.Username == "" {
			bad("username", "must be set when search.elasticsearch.password is")
		}
	}
	if strings.Contains(o.APIKey, ":") {
		o.APIKey = base64.StdEncoding.EncodeToString([]byte(o.APIKey))
	}
	if o.IndexPrefix == "" {
		o.IndexPrefix = DefaultIndexPrefix
	}
	if p := o.IndexPrefix; strings.ToLower(p) != p || strings.ContainsAny(p, " \"*\\<|,>/?#:") ||
		strings.IndexAny(p[:1], "-_+.") == 0 || len(p) > 200 {
		bad("index_prefix", "must be a lower-case name of at most 200 bytes, not starting with -, _, + or . and without spaces or any of \"*\\<|,>/?#:, got %q", p)
	}
	switch {
	case o.FlushInterval == 0:
		o.FlushInterval = DefaultFlushInterval
	case o.FlushInterval < 0 || o.FlushInterval > maxFlushInterval:
		bad("flush_interval", "must be more than 0 and at most %s (messages must be searchable within about a second), got %s", maxFlushInterval, o.FlushInterval)
	}
	return o, errors.Join(errs...)
}

// New connects to the cluster, checks that it answers and accepts the
// credentials, creates the index templates and indices that are missing, and
// starts the bulk indexer. An unreachable cluster gives an error wrapping
// search.ErrUnavailable.
func New(ctx context.Context, opts Options, logger *slog.Logger) (*Index, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := es.Config{
		Addresses:     opts.Addresses,
		APIKey:        opts.APIKey,
		Username:      opts.Username,
		Password:      opts.Password,
		RetryOnStatus: []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		MaxRetries:    3,
		RetryBackoff: func(attempt int) time.Duration {
			return min(100*time.Millisecond<<max(attempt-1, 0), 2*time.Second)
		},
	}
	if opts.CACertFile != "" {
		pem, err := os.ReadFile(opts.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("search.elasticsearch.ca_file: cannot read %s: %w", opts.CACertFile, err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("search.elasticsearch.ca_file: %s holds no PEM certificate", opts.CACertFile)
		}
		cfg.CACert = pem
	}
	client, err := es.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: configure the client: %w", err)
	}
	x := &Index{
		client:        client,
		logger:        logger,
		prefix:        opts.IndexPrefix,
		messages:      opts.IndexPrefix + "-messages",
		conversations: opts.IndexPrefix + "-conversations",
		knowledge:     opts.IndexPrefix + "-knowledge",
	}
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := x.checkCluster(startCtx, opts); err != nil {
		_ = client.Close(context.Background())
		return nil, err
	}
	for _, ix := range []struct {
		name string
		body map[string]any
	}{{x.messages, messagesIndex()}, {x.conversations, conversationsIndex()}, {x.knowledge, knowledgeIndex()}} {
		if err := x.ensureIndex(startCtx, ix.name, ix.body); err != nil {
			_ = client.Close(context.Background())
			return nil, err
		}
	}
	x.bulk, err = esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:        unavailableOnFailure{client},
		Index:         x.messages,
		NumWorkers:    bulkWorkers,
		FlushInterval: opts.FlushInterval,
		OnFlushStart: func(ctx context.Context) context.Context {
			ctx, cancel := context.WithTimeout(ctx, bulkTimeout)
			return context.WithValue(ctx, cancelKey{}, cancel)
		},
		OnFlushEnd: func(ctx context.Context) {
			if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
				cancel()
			}
		},
		OnError: func(_ context.Context, err error) {
			logger.Warn("elasticsearch bulk request failed", "index", x.messages, "error", err)
		},
	})
	if err != nil {
		_ = client.Close(context.Background())
		return nil, fmt.Errorf("elasticsearch: start the bulk indexer: %w", err)
	}
	return x, nil
}

type cancelKey struct{}

// checkCluster asks the cluster for its version: the first request, so its
// errors say whether the cluster is reachable and takes the credentials.
func (x *Index) checkCluster(ctx context.Context, opts Options) error {
	where := fmt.Sprintf("the cluster at %s", strings.Join(opts.Addresses, ", "))
	res, err := x.client.Info(x.client.Info.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("elasticsearch: %s is unreachable: %w: %w", where, search.ErrUnavailable, err)
	}
	defer closeBody(res)
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		hint := "check search.elasticsearch.api_key or search.elasticsearch.username and password"
		switch {
		case opts.APIKey == "" && opts.Username == "":
			hint = "it needs credentials: set search.elasticsearch.api_key or search.elasticsearch.username and password"
		case res.StatusCode == http.StatusForbidden:
			hint += "; the user or API key needs " + privileges(opts.IndexPrefix)
		}
		return fmt.Errorf("elasticsearch: %s rejected the credentials (HTTP %d: %s); %s", where, res.StatusCode, errorReason(res), hint)
	case res.IsError():
		return responseError(res, where+" answered GET /")
	}
	var info struct {
		ClusterName string `json:"cluster_name"`
		Version     struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		return fmt.Errorf("elasticsearch: %s answered GET / with something other than Elasticsearch's info: %w", where, err)
	}
	major, _, _ := strings.Cut(info.Version.Number, ".")
	if n, err := strconv.Atoi(major); err != nil || n < 8 {
		return fmt.Errorf("elasticsearch: %s runs Elasticsearch %q; handoff needs version 8 or later", where, info.Version.Number)
	}
	x.logger.Info("elasticsearch cluster", "cluster", info.ClusterName, "version", info.Version.Number)
	return nil
}

// ensureIndex puts the index template (idempotent) and creates the index
// unless it exists. The create request carries the same settings and
// mappings, so the index is right even if another template were to win.
func (x *Index) ensureIndex(ctx context.Context, name string, body map[string]any) error {
	tmpl, err := json.Marshal(indexTemplate(name, body))
	if err != nil {
		return fmt.Errorf("elasticsearch: encode index template %s: %w", name, err)
	}
	res, err := x.client.Indices.PutIndexTemplate(name, bytes.NewReader(tmpl), x.client.Indices.PutIndexTemplate.WithContext(ctx))
	if err != nil {
		return transportError("put index template "+name, err)
	}
	if res.IsError() {
		defer closeBody(res)
		what := "put index template " + name
		if res.StatusCode == http.StatusForbidden {
			what += " (the credentials need " + privileges(x.prefix) + ")"
		}
		return responseError(res, what)
	}
	closeBody(res)

	idx, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("elasticsearch: encode index %s: %w", name, err)
	}
	res, err = x.client.Indices.Create(name, x.client.Indices.Create.WithBody(bytes.NewReader(idx)), x.client.Indices.Create.WithContext(ctx))
	if err != nil {
		return transportError("create index "+name, err)
	}
	defer closeBody(res)
	if !res.IsError() {
		x.logger.Info("elasticsearch index created", "index", name)
		return nil
	}
	e := readError(res)
	if e.Type != "resource_already_exists_exception" {
		what := "create index " + name
		if e.Status == http.StatusForbidden {
			what += " (the credentials need " + privileges(x.prefix) + ")"
		}
		return e.wrap(what)
	}
	schema, err := x.checkMapping(ctx, name)
	if err != nil {
		return err
	}
	if schema < schemaVersion {
		return x.updateMapping(ctx, name, body)
	}
	return nil
}

// updateMapping adds the fields of the current schema to an existing index
// of an earlier one (adding fields is the one mapping change Elasticsearch
// allows on an index) and records the schema version. Documents written
// before keep what they had.
func (x *Index) updateMapping(ctx context.Context, name string, body map[string]any) error {
	m, _ := body["mappings"].(map[string]any)
	raw, err := json.Marshal(map[string]any{"_meta": m["_meta"], "properties": m["properties"]})
	if err != nil {
		return fmt.Errorf("elasticsearch: encode the mapping of %s: %w", name, err)
	}
	res, err := x.client.Indices.PutMapping([]string{name}, bytes.NewReader(raw), x.client.Indices.PutMapping.WithContext(ctx))
	if err != nil {
		return transportError("update the mapping of "+name, err)
	}
	defer closeBody(res)
	if res.IsError() {
		what := "update the mapping of " + name
		if res.StatusCode == http.StatusForbidden {
			what += " to handoff_schema " + strconv.Itoa(schemaVersion) + " (once, with the index privilege manage on " + x.prefix + "-*)"
		}
		return responseError(res, what)
	}
	x.logger.Info("elasticsearch mapping updated", "index", name, "schema", schemaVersion)
	return nil
}

// checkMapping refuses an existing index that handoff did not create and
// returns the lowest schema version of its concrete indices.
func (x *Index) checkMapping(ctx context.Context, name string) (int, error) {
	res, err := x.client.Indices.GetMapping(x.client.Indices.GetMapping.WithIndex(name), x.client.Indices.GetMapping.WithContext(ctx))
	if err != nil {
		return 0, transportError("read the mapping of "+name, err)
	}
	defer closeBody(res)
	if res.IsError() {
		return 0, responseError(res, "read the mapping of "+name)
	}
	var mappings map[string]struct {
		Mappings struct {
			Meta struct {
				Schema int `json:"handoff_schema"`
			} `json:"_meta"`
		} `json:"mappings"`
	}
	if err := json.NewDecoder(res.Body).Decode(&mappings); err != nil {
		return 0, fmt.Errorf("elasticsearch: decode the mapping of %s: %w", name, err)
	}
	lowest := schemaVersion
	for concrete, m := range mappings {
		if m.Mappings.Meta.Schema == 0 {
			return 0, fmt.Errorf("elasticsearch: index %s exists but was not created by handoff (its mapping has no _meta.handoff_schema); delete it or choose another search.elasticsearch.index_prefix", concrete)
		}
		lowest = min(lowest, m.Mappings.Meta.Schema)
	}
	return lowest, nil
}

// Close sends the messages still queued and closes the client.
func (x *Index) Close() error {
	x.closeOnce.Do(func() {
		x.mu.Lock()
		x.closed = true
		x.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
		defer cancel()
		var errs []error
		if err := x.bulk.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("elasticsearch: flush queued messages: %w", err))
		}
		if err := x.client.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("elasticsearch: close client: %w", err))
		}
		x.closeErr = errors.Join(errs...)
	})
	return x.closeErr
}

// unavailableOnFailure is the bulk indexer's transport: it turns network
// errors and 429/5xx answers to a whole bulk request into errors wrapping
// search.ErrUnavailable, and other error answers into short errors; they
// reach every item's OnFailure. (The indexer itself would only report
// "flush: [503 Service Unavailable] <body>".)
type unavailableOnFailure struct{ client *es.Client }

func (t unavailableOnFailure) Perform(req *http.Request) (*http.Response, error) {
	res, err := t.client.Perform(req)
	if err != nil {
		// The context is the indexer's own (bulkTimeout), never a caller's:
		// running out of it means the cluster did not answer in time.
		return nil, fmt.Errorf("%w: %w", search.ErrUnavailable, err)
	}
	if res.StatusCode >= 400 {
		e := readError(&esapi.Response{StatusCode: res.StatusCode, Body: res.Body, Header: res.Header})
		_ = res.Body.Close()
		return nil, e.err()
	}
	return res, nil
}

// retryable reports whether an HTTP status means "try again later".
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// esError is Elasticsearch's error answer.
type esError struct {
	Status int
	Type   string
	Reason string
}

func (e esError) String() string {
	switch {
	case e.Type != "" && e.Reason != "":
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Type, e.Reason)
	case e.Reason != "":
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Reason)
	case e.Type != "":
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Type)
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// err is e as an error, wrapping search.ErrUnavailable for 429 and 5xx.
func (e esError) err() error {
	switch {
	case retryable(e.Status):
		return fmt.Errorf("%s: %w", e, search.ErrUnavailable)
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return fmt.Errorf("the cluster rejected the credentials: %s", e)
	}
	return errors.New(e.String())
}

// wrap makes the error of a failed request, wrapping search.ErrUnavailable
// for 429 and 5xx.
func (e esError) wrap(what string) error {
	switch {
	case retryable(e.Status):
		return fmt.Errorf("elasticsearch: %s: %s: %w", what, e, search.ErrUnavailable)
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return fmt.Errorf("elasticsearch: %s: the cluster rejected the credentials: %s", what, e)
	}
	return fmt.Errorf("elasticsearch: %s: %s", what, e)
}

// readError reads the error of a failed response. Elasticsearch answers
// {"error":{"type":..,"reason":..},"status":..}; some APIs answer
// {"error":"text"}; a proxy may answer anything.
func readError(res *esapi.Response) esError {
	e := esError{Status: res.StatusCode}
	if res.Body == nil {
		return e
	}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Error) > 0 {
		var obj struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		}
		if json.Unmarshal(body.Error, &obj) == nil {
			e.Type, e.Reason = obj.Type, obj.Reason
			if len(obj.RootCause) > 0 && obj.RootCause[0].Reason != "" && obj.RootCause[0].Reason != obj.Reason {
				e.Reason += " (" + obj.RootCause[0].Type + ": " + obj.RootCause[0].Reason + ")"
			}
			return e
		}
		var text string
		if json.Unmarshal(body.Error, &text) == nil {
			e.Reason = text
			return e
		}
	}
	if s := strings.TrimSpace(string(raw)); s != "" && len(s) <= 300 {
		e.Reason = s
	}
	return e
}

func errorReason(res *esapi.Response) string {
	e := readError(res)
	if e.Reason == "" {
		return http.StatusText(res.StatusCode)
	}
	return e.Reason
}

func responseError(res *esapi.Response, what string) error {
	return readError(res).wrap(what)
}

// transportError is the error of a request that got no answer: the cluster is
// unavailable, unless the caller's context ended.
func transportError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("elasticsearch: %s: %w", what, err)
	}
	if errors.Is(err, es.ErrClosed) {
		return fmt.Errorf("elasticsearch: %s: the index is closed", what)
	}
	return fmt.Errorf("elasticsearch: %s: %w: %w", what, search.ErrUnavailable, err)
}

func closeBody(res *esapi.Response) {
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
	}
}

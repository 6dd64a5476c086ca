package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmptySectionKeepsDefaults(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("http:\ntemporal:\n  tls:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("a file with empty sections: %v", err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.Temporal.Namespace != "default" {
		t.Errorf("empty sections lost the defaults: http.addr %q, temporal.namespace %q", cfg.HTTP.Addr, cfg.Temporal.Namespace)
	}
}

func TestSearchBackendIsValidated(t *testing.T) {
	cases := map[string]string{
		"search:\n  backend: solr\n":          "search.backend",
		"search:\n  backend: elasticsearch\n": "search.elasticsearch.addresses",
		"search:\n  backend: elasticsearch\n  elasticsearch:\n    addresses: [es:9200]\n":                                    "search.elasticsearch.addresses[0]",
		"search:\n  backend: elasticsearch\n  elasticsearch:\n    addresses: [http://es:9200]\n    index_prefix: Bad Name\n": "search.elasticsearch.index_prefix",
		"search:\n  backend: remote\n":                                                "search.remote.url",
		"search:\n  backend: remote\n  remote:\n    url: owner:7245\n":                "search.remote.url",
		"search:\n  backend: remote\n  remote:\n    url: http://owner:7245\n":         "search.remote.token",
		"search:\n  bleve:\n    serve_addr: 7245\n":                                   "search.bleve.serve_addr",
		"search:\n  bleve:\n    serve_addr: :7245\n  remote:\n    token: too-short\n": "search.remote.token",
	}
	for file, key := range cases {
		dir := isolate(t)
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), "config key "+key+":") {
			t.Errorf("%q: error %v, want one naming %s", file, err, key)
		}
	}
	dir := isolate(t)
	t.Setenv("HANDOFF_SEARCH_BACKEND", "elasticsearch")
	t.Setenv("HANDOFF_SEARCH_ELASTICSEARCH_ADDRESSES", "https://es1:9200,https://es2:9200")
	_ = dir
	cfg, err := Load("")
	if err != nil || len(cfg.Search.Elasticsearch.Addresses) != 2 || cfg.Search.Backend != SearchElasticsearch {
		t.Errorf("elasticsearch from the environment: %+v, %v", cfg, err)
	}
	t.Setenv("HANDOFF_SEARCH_BACKEND", "remote")
	t.Setenv("HANDOFF_SEARCH_REMOTE_URL", "http://owner:7245")
	t.Setenv("HANDOFF_SEARCH_REMOTE_TOKEN", "a-token-of-16-chars")
	cfg, err = Load("")
	if err != nil || cfg.Search.Remote.URL != "http://owner:7245" || cfg.Search.Backend != SearchRemote {
		t.Errorf("the shared index from the environment: %+v, %v", cfg.Search, err)
	}
}

package config

import (
	"strings"
	"testing"
)

const (
	secretA = "0123456789abcdef"
	secretB = "fedcba9876543210"
)

// TestListsSplitOnSpacesOrCommas checks every list key given as one string
// (an environment variable, or a string in the file): entries separated by
// spaces, commas, or both.
func TestListsSplitOnSpacesOrCommas(t *testing.T) {
	tokens := map[string]string{secretA: "alice", secretB: "bob"}
	pages := map[string]string{"111": "t1", "222": "t2"}
	tests := []loads{
		{
			name: "auth.tokens separated by a space",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:" + secretA + " bob:" + secretB},
			want: []field{{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens}},
		},
		{
			name: "auth.tokens separated by a comma",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:" + secretA + ",bob:" + secretB},
			want: []field{{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens}},
		},
		{
			name: "auth.tokens separated by a comma and spaces, with spaces around",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "  alice:" + secretA + " ,  bob:" + secretB + "  "},
			want: []field{{"auth.tokens", func(c *Config) any { return []string(c.Auth.Tokens) }, []string{"alice:" + secretA, "bob:" + secretB}}},
		},
		{
			name: "auth.tokens on several lines",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:" + secretA + "\n\tbob:" + secretB + "\n"},
			want: []field{{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens}},
		},
		{
			name: "auth.tokens as one string in the file",
			file: "auth:\n  tokens: \"alice:" + secretA + " bob:" + secretB + "\"\n",
			want: []field{{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens}},
		},
		{
			name: "messenger.pages separated by a space",
			env:  map[string]string{"HANDOFF_MESSENGER_PAGES": "111:t1 222:t2"},
			want: []field{{"PageTokens()", func(c *Config) any { return c.PageTokens() }, pages}},
		},
		{
			name: "messenger.pages separated by a comma",
			env:  map[string]string{"HANDOFF_MESSENGER_PAGES": "111:t1,222:t2"},
			want: []field{{"PageTokens()", func(c *Config) any { return c.PageTokens() }, pages}},
		},
		{
			name: "webchat.allowed_origins",
			env:  map[string]string{"HANDOFF_WEBCHAT_ALLOWED_ORIGINS": "https://a.example https://b.example,https://c.example"},
			want: []field{{"webchat.allowed_origins", func(c *Config) any { return c.WebChat.AllowedOrigins },
				[]string{"https://a.example", "https://b.example", "https://c.example"}}},
		},
		{
			name: "search.elasticsearch.addresses",
			env: map[string]string{
				"HANDOFF_SEARCH_BACKEND":                 "elasticsearch",
				"HANDOFF_SEARCH_ELASTICSEARCH_ADDRESSES": "https://es1:9200 https://es2:9200",
			},
			want: []field{{"search.elasticsearch.addresses", func(c *Config) any { return c.Search.Elasticsearch.Addresses },
				[]string{"https://es1:9200", "https://es2:9200"}}},
		},
		{
			name: "http.trusted_proxies",
			env:  map[string]string{"HANDOFF_HTTP_TRUSTED_PROXIES": "10.0.0.1 192.168.0.0/16,::1"},
			want: []field{{"http.trusted_proxies", func(c *Config) any { return c.HTTP.TrustedProxies },
				[]string{"10.0.0.1", "192.168.0.0/16", "::1"}}},
		},
		{
			name: "bot.agent_phrases keep their spaces and split on commas only",
			env:  map[string]string{"HANDOFF_BOT_AGENT_PHRASES": "talk to a human,real person"},
			want: []field{{"bot.agent_phrases", func(c *Config) any { return c.Bot.AgentPhrases }, []string{"talk to a human", "real person"}}},
		},
	}
	checkLoads(t, tests)
}

// TestBadListEntriesStopStartUp checks that an entry with white space inside
// (possible only in a YAML list) or otherwise malformed names its key.
func TestBadListEntriesStopStartUp(t *testing.T) {
	tests := []refused{
		{
			name: "token with a space inside",
			file: "auth:\n  tokens: [\"alice:0123456789 abcdef\"]\n",
			want: []string{"config key auth.tokens[0]:", "white space"},
		},
		{
			name: "token with a space around",
			file: "auth:\n  tokens: [\" alice:" + secretA + "\"]\n",
			want: []string{"config key auth.tokens[0]:", "white space"},
		},
		{
			name: "second token with a tab",
			file: "auth:\n  tokens: [\"alice:" + secretA + "\", \"bob:fedcba98\\t76543210\"]\n",
			want: []string{"config key auth.tokens[1]:", "white space"},
		},
		{
			name: "token name with a control character",
			file: "auth:\n  tokens: [\"al\\x01ice:" + secretA + "\"]\n",
			want: []string{"config key auth.tokens[0]:", "control character"},
		},
		{
			name: "page with a space inside",
			file: "messenger:\n  pages: [\"111:t1 222:t2\"]\n",
			want: []string{"config key messenger.pages[0]:", "white space"},
		},
		{
			name: "page ID too long",
			env:  map[string]string{"HANDOFF_MESSENGER_PAGES": strings.Repeat("1", 33) + ":t1"},
			want: []string{"config key messenger.pages[0]:", "1-32 digits"},
		},
		{
			name: "trusted proxy that is no address",
			env:  map[string]string{"HANDOFF_HTTP_TRUSTED_PROXIES": "10.0.0.1 proxy.example"},
			want: []string{"config key http.trusted_proxies[1]:", "proxy.example"},
		},
		{
			name: "negative visitors_per_minute",
			env:  map[string]string{"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE": "-1"},
			want: []string{"config key webchat.limits.visitors_per_minute:", "0 (no limit)"},
		},
		{
			name: "negative messages_per_minute",
			file: "webchat:\n  limits:\n    messages_per_minute: -5\n",
			want: []string{"config key webchat.limits.messages_per_minute:", "-5"},
		},
		{
			name: "negative streams_per_visitor",
			file: "webchat:\n  limits:\n    streams_per_visitor: -1\n",
			want: []string{"config key webchat.limits.streams_per_visitor:"},
		},
		{
			name: "limit that is no number",
			env:  map[string]string{"HANDOFF_WEBCHAT_LIMITS_STREAMS_PER_VISITOR": "many"},
			want: []string{"streams_per_visitor"},
		},
	}
	checkRefused(t, tests)
}

func TestLimitsAndAddress(t *testing.T) {
	tests := []loads{
		{
			name: "limits off",
			env: map[string]string{
				"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE": "0",
				"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE": "0",
				"HANDOFF_WEBCHAT_LIMITS_STREAMS_PER_VISITOR": "0",
			},
			want: []field{{"webchat.limits", func(c *Config) any { return c.WebChat.Limits }, WebChatLimits{}}},
		},
		{
			name: "limits raised",
			env:  map[string]string{"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE": "120"},
			want: []field{{"webchat.limits", func(c *Config) any { return c.WebChat.Limits },
				WebChatLimits{VisitorsPerMinute: 30, MessagesPerMinute: 120, StreamsPerVisitor: 3}}},
		},
		{
			name: "listening on every interface",
			env:  map[string]string{"HANDOFF_HTTP_ADDR": "0.0.0.0:8080"},
			want: []field{{"http.addr", func(c *Config) any { return c.HTTP.Addr }, "0.0.0.0:8080"}},
		},
		{
			name: "listening on every interface, short form",
			env:  map[string]string{"HANDOFF_HTTP_ADDR": ":8080"},
			want: []field{{"http.addr", func(c *Config) any { return c.HTTP.Addr }, ":8080"}},
		},
	}
	checkLoads(t, tests)
}

// tokenMap is StaffTokens as secret → name.
func tokenMap(c *Config) map[string]string {
	out := map[string]string{}
	for _, t := range c.StaffTokens() {
		out[t.Secret] = t.Member.Name
	}
	return out
}

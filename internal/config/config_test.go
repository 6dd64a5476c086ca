package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
)

// isolate gives the test an empty working directory and blanks every
// HANDOFF_ variable, so neither the developer's environment nor a config.yaml
// in the package directory leaks in. (Load ignores empty variables.)
func isolate(t *testing.T) string {
	t.Helper()
	for _, name := range EnvNames() {
		t.Setenv(name, "")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// writeConfig writes content to a file in dir and returns its path.
func writeConfig(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// withoutSource returns a copy of c with the unexported source cleared, for
// comparing configurations read from different places.
func withoutSource(c *Config) Config {
	out := *c
	out.source = ""
	return out
}

func wantDefaults() Config {
	return Config{
		DataDir: "./data",
		Log:     Log{Level: "info", Format: "text"},
		HTTP: HTTP{
			Addr:           "127.0.0.1:8080",
			MaxBodyBytes:   1 << 20,
			MaxImportBytes: 8 << 20,
			MaxUploadBytes: 8 << 20,
			PublicURL:      "http://localhost:8080",
			TrustedProxies: []string{},
		},
		Auth: Auth{Tokens: []string{}, Users: []string{}, SessionTTL: 12 * time.Hour, DisplayName: "Support"},
		Temporal: Temporal{
			Namespace: "default",
			UI:        TemporalUI{Addr: "127.0.0.1:8233"},
			Embedded: EmbeddedSetup{
				FrontendAddr: "127.0.0.1:7233",
				Synchronous:  SynchronousFull,
				Retention:    720 * time.Hour,
			},
			WorkflowCacheSize: 500,
			Compression:       CompressionAuto,
		},
		Conversation: Conversation{Window: 24 * time.Hour},
		LiveChat:     LiveChat{InactivityTimeout: time.Hour},
		Notification: Notification{
			Cooldown: 30 * time.Minute,
			SMTP:     SMTP{Port: 587, Security: SMTPStartTLS},
			Vonage:   Vonage{BaseURL: "https://rest.nexmo.com"},
		},
		Bot: Bot{
			Reply: map[string]string{
				"en": `Thanks for your message! Tap "Talk to a human" any time to reach our team.`,
				"bg": defaults["bot.reply"].(map[string]any)["bg"].(string),
			},
			AgentRequestedReply: map[string]string{
				"en": defaults["bot.agent_requested_reply"].(map[string]any)["en"].(string),
				"bg": defaults["bot.agent_requested_reply"].(map[string]any)["bg"].(string),
			},
			AgentPhrases:       defaults["bot.agent_phrases"].([]string),
			FlowsCheckInterval: 5 * time.Second,
		},
		AI:     AI{Enabled: true, ConfidenceThreshold: 0.45, Generative: Generative{Timeout: 5 * time.Second}},
		Search: Search{Backend: SearchBleve, Elasticsearch: Elasticsearch{Addresses: []string{}, IndexPrefix: "handoff"}},
		Media:  Media{Backend: MediaFolder, S3: ObjectStore{Region: "us-east-1"}},
		Messenger: Messenger{
			Pages:        []string{},
			GraphURL:     "https://graph.facebook.com",
			GraphVersion: "v21.0",
		},
		WebChat: WebChat{
			AllowedOrigins: []string{},
			Limits:         WebChatLimits{VisitorsPerMinute: 30, MessagesPerMinute: 30, StreamsPerVisitor: 3},
		},
	}
}

func loadDefaults(t *testing.T) *Config {
	t.Helper()
	isolate(t)
	cfg, err := Load("")
	if err != nil {
		t.Fatalf("Load with no file: %v", err)
	}
	return cfg
}

// field is one value of a loaded configuration and the value it should have.
type field struct {
	key  string
	got  func(*Config) any
	want any
}

func (f field) check(t *testing.T, c *Config) {
	t.Helper()
	if got := f.got(c); !reflect.DeepEqual(got, f.want) {
		t.Errorf("%s = %v, want %v", f.key, got, f.want)
	}
}

// loads is a configuration, from a file and the environment, that loads
// with the values want names.
type loads struct {
	name string
	file string            // config file content; "" loads no file
	env  map[string]string // extra environment
	want []field
}

// refused is a configuration that must not load; want are strings the
// error must contain, usually the key.
type refused struct {
	name string
	file string
	env  map[string]string
	want []string
}

// load loads the configuration of one case in an isolated directory.
func load(t *testing.T, file string, env map[string]string) (*Config, error) {
	t.Helper()
	dir := isolate(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	path := ""
	if file != "" {
		path = writeConfig(t, dir, "handoff.yaml", file)
	}
	return Load(path)
}

func checkLoads(t *testing.T, tests []loads) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.file, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, f := range tt.want {
				f.check(t, cfg)
			}
		})
	}
}

func checkRefused(t *testing.T, tests []refused) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.file, tt.env)
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error containing %q", cfg, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestStaffDisplayNames(t *testing.T) {
	a := Auth{DisplayName: "Support", DisplayNames: map[string]string{"alice": "Alice from Support"}}
	if got := a.StaffDisplayName("alice"); got != "Alice from Support" {
		t.Errorf("alice is shown as %q", got)
	}
	if got := a.StaffDisplayName("admin"); got != "Support" {
		t.Errorf("admin is shown as %q, want the default display name", got)
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg := loadDefaults(t)
	if got, want := withoutSource(cfg), wantDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got  %+v\n want %+v", got, want)
	}
	for _, f := range []field{
		{"Source()", func(c *Config) any { return c.Source() }, ""},
		{"Embedded()", func(c *Config) any { return c.Embedded() }, true},
		{"data_dir", func(c *Config) any { return c.DataDir }, "./data"},
		{"http.addr", func(c *Config) any { return c.HTTP.Addr }, "127.0.0.1:8080"},
		{"temporal.namespace", func(c *Config) any { return c.Temporal.Namespace }, "default"},
		{"conversation.window", func(c *Config) any { return c.Conversation.Window }, 24 * time.Hour},
		{"livechat.inactivity_timeout", func(c *Config) any { return c.LiveChat.InactivityTimeout }, time.Hour},
		{"temporal.ui.addr", func(c *Config) any { return c.Temporal.UI.Addr }, "127.0.0.1:8233"},
		{"debug.addr", func(c *Config) any { return c.Debug.Addr }, ""},
		{"temporal.address", func(c *Config) any { return c.Temporal.Address }, ""},
		{"temporal.max_history_events", func(c *Config) any { return c.Temporal.MaxHistoryEvents }, 0},
		{"temporal.workflow_cache_size", func(c *Config) any { return c.Temporal.WorkflowCacheSize }, 500},
		{"temporal.compression", func(c *Config) any { return c.Temporal.Compression }, "auto"},
		{"temporal.embedded.metrics_addr", func(c *Config) any { return c.Temporal.Embedded.MetricsAddr }, ""},
		{"temporal.embedded.synchronous", func(c *Config) any { return c.Temporal.Embedded.Synchronous }, "full"},
		{"auth.tokens", func(c *Config) any { return len(c.Auth.Tokens) }, 0},
		{"DefaultSettings", func(c *Config) any { return c.DefaultSettings() }, chat.Settings{
			InactivityTimeout: time.Hour, NotificationCooldown: 30 * time.Minute, AIEnabled: true, AIConfidenceThreshold: 0.45,
			BotReply: cfg.Bot.Reply, AgentRequestedReply: cfg.Bot.AgentRequestedReply, AgentPhrases: cfg.Bot.AgentPhrases,
		}},
	} {
		t.Run(f.key, func(t *testing.T) { f.check(t, cfg) })
	}
}

// TestRepositoryConfigFile checks that the documented config.yaml at the
// repository root sets exactly the built-in defaults and nothing else.
func TestRepositoryConfigFile(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := loadDefaults(t) // changes the working directory, hence Abs above
	// The deliberate differences: the repository's config runs the example
	// shop flow and loads its knowledge base, which the built-in default (no
	// flows, no knowledge base) does not.
	want.Bot.Flows = "flows/shop.yaml"
	want.Bot.KnowledgeSeed = "knowledge/shop.json"
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if got.Source() != path {
		t.Errorf("Source() = %q, want %q", got.Source(), path)
	}
	if g, w := withoutSource(got), withoutSource(want); !reflect.DeepEqual(g, w) {
		t.Errorf("config.yaml differs from the built-in defaults:\n file     %+v\n defaults %+v", g, w)
	}
}

// TestRepositoryConfigFileSetsEveryKey checks that config.yaml documents every
// key, so it stays the reference as keys are added.
func TestRepositoryConfigFileSetsEveryKey(t *testing.T) {
	content, err := os.ReadFile(filepath.Join("..", "..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(content)
	for key := range defaults {
		env := EnvName(key)
		if !strings.Contains(text, "Env: "+env) {
			t.Errorf("config.yaml does not document %s (%s)", key, env)
		}
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(text, "\n"+strings.Repeat("  ", strings.Count(key, "."))+leaf+":") {
			t.Errorf("config.yaml does not set %s", key)
		}
	}
}

func TestConfigFileDiscovery(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string) (arg string)
		wantAddr   string
		wantSource string // relative to dir, "" for none
	}{
		{
			name:     "no file",
			setup:    func(*testing.T, string) string { return "" },
			wantAddr: "127.0.0.1:8080",
		},
		{
			name: "config.yaml in the working directory",
			setup: func(t *testing.T, dir string) string {
				writeConfig(t, dir, "config.yaml", "http:\n  addr: :9001\n")
				return ""
			},
			wantAddr:   ":9001",
			wantSource: "config.yaml",
		},
		{
			name: "HANDOFF_CONFIG beats ./config.yaml",
			setup: func(t *testing.T, dir string) string {
				writeConfig(t, dir, "config.yaml", "http:\n  addr: :9001\n")
				t.Setenv("HANDOFF_CONFIG", writeConfig(t, dir, "env.yaml", "http:\n  addr: :9002\n"))
				return ""
			},
			wantAddr:   ":9002",
			wantSource: "env.yaml",
		},
		{
			name: "explicit path beats HANDOFF_CONFIG",
			setup: func(t *testing.T, dir string) string {
				writeConfig(t, dir, "config.yaml", "http:\n  addr: :9001\n")
				t.Setenv("HANDOFF_CONFIG", writeConfig(t, dir, "env.yaml", "http:\n  addr: :9002\n"))
				return writeConfig(t, dir, "flag.yaml", "http:\n  addr: :9003\n")
			},
			wantAddr:   ":9003",
			wantSource: "flag.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			cfg, err := Load(tt.setup(t, dir))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.HTTP.Addr != tt.wantAddr {
				t.Errorf("http.addr = %q, want %q", cfg.HTTP.Addr, tt.wantAddr)
			}
			if filepath.Base(cfg.Source()) != filepath.Base(tt.wantSource) || (cfg.Source() == "") != (tt.wantSource == "") {
				t.Errorf("Source() = %q, want %q", cfg.Source(), tt.wantSource)
			}
		})
	}
}

func TestLoadMissingExplicitFile(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "nope.yaml")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(%s) error = %v, want one naming the file", path, err)
	}
}

func TestEnvOverrides(t *testing.T) {
	tokens := map[string]string{"0123456789abcdef": "alice", "fedcba9876543210": "bob"}
	tests := []loads{
		{
			name: "http.addr",
			env:  map[string]string{"HANDOFF_HTTP_ADDR": "127.0.0.1:9999"},
			want: []field{
				{"http.addr", func(c *Config) any { return c.HTTP.Addr }, "127.0.0.1:9999"},
			},
		},
		{
			name: "debug.addr",
			env:  map[string]string{"HANDOFF_DEBUG_ADDR": "127.0.0.1:6060"},
			want: []field{
				{"debug.addr", func(c *Config) any { return c.Debug.Addr }, "127.0.0.1:6060"},
			},
		},
		{
			name: "data_dir",
			env:  map[string]string{"HANDOFF_DATA_DIR": "/var/lib/handoff"},
			want: []field{
				{"data_dir", func(c *Config) any { return c.DataDir }, "/var/lib/handoff"},
			},
		},
		{
			name: "livechat.inactivity_timeout",
			env:  map[string]string{"HANDOFF_LIVECHAT_INACTIVITY_TIMEOUT": "30m"},
			want: []field{
				{"livechat.inactivity_timeout", func(c *Config) any { return c.LiveChat.InactivityTimeout }, 30 * time.Minute},
				{"DefaultSettings().InactivityTimeout", func(c *Config) any { return c.DefaultSettings().InactivityTimeout }, 30 * time.Minute},
			},
		},
		{
			name: "auth.tokens",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:0123456789abcdef,bob:fedcba9876543210"},
			want: []field{
				{"len(auth.tokens)", func(c *Config) any { return len(c.Auth.Tokens) }, 2},
				{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens},
			},
		},
		{
			name: "auth.tokens with spaces after commas",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:0123456789abcdef, bob:fedcba9876543210"},
			want: []field{
				{"StaffTokens()", func(c *Config) any { return tokenMap(c) }, tokens},
			},
		},
		{
			name: "external Temporal",
			env: map[string]string{
				"HANDOFF_TEMPORAL_ADDRESS":            "temporal.example.com:7233",
				"HANDOFF_TEMPORAL_TLS_ENABLED":        "true",
				"HANDOFF_TEMPORAL_API_KEY":            "key",
				"HANDOFF_TEMPORAL_MAX_HISTORY_EVENTS": "5000",
			},
			want: []field{
				{"Embedded()", func(c *Config) any { return c.Embedded() }, false},
				{"temporal.address", func(c *Config) any { return c.Temporal.Address }, "temporal.example.com:7233"},
				{"temporal.tls.enabled", func(c *Config) any { return c.Temporal.TLS.Enabled }, true},
				{"temporal.api_key", func(c *Config) any { return c.Temporal.APIKey }, "key"},
				{"temporal.max_history_events", func(c *Config) any { return c.Temporal.MaxHistoryEvents }, 5000},
			},
		},
		{
			name: "notifications",
			env: map[string]string{
				"HANDOFF_NOTIFICATIONS_SMTP_HOST":         "smtp.example.com",
				"HANDOFF_NOTIFICATIONS_SMTP_FROM":         "handoff <alerts@example.com>",
				"HANDOFF_NOTIFICATIONS_SMTP_SECURITY":     "tls",
				"HANDOFF_NOTIFICATIONS_SMTP_PORT":         "465",
				"HANDOFF_NOTIFICATIONS_VONAGE_API_KEY":    "a1b2c3d4",
				"HANDOFF_NOTIFICATIONS_VONAGE_API_SECRET": "secret",
				"HANDOFF_NOTIFICATIONS_VONAGE_FROM":       "Bilka",
				"HANDOFF_NOTIFICATIONS_COOLDOWN":          "2h",
				"HANDOFF_BOT_AGENT_REQUESTED_REPLY_BG":    "Екипът е уведомен.",
				"HANDOFF_BOT_REPLY_EN":                    "Thanks!",
				"HANDOFF_BOT_AGENT_PHRASES":               "оператор,talk to a human",
			},
			want: []field{
				{"notifications.smtp.Configured()", func(c *Config) any { return c.Notification.SMTP.Configured() }, true},
				{"notifications.smtp.host", func(c *Config) any { return c.Notification.SMTP.Host }, "smtp.example.com"},
				{"notifications.smtp.port", func(c *Config) any { return c.Notification.SMTP.Port }, 465},
				{"notifications.smtp.security", func(c *Config) any { return c.Notification.SMTP.Security }, SMTPTLS},
				{"notifications.vonage.Configured()", func(c *Config) any { return c.Notification.Vonage.Configured() }, true},
				{"notifications.vonage.api_secret", func(c *Config) any { return c.Notification.Vonage.APISecret }, "secret"},
				{"notifications.vonage.from", func(c *Config) any { return c.Notification.Vonage.From }, "Bilka"},
				{"DefaultSettings().NotificationCooldown", func(c *Config) any { return c.DefaultSettings().NotificationCooldown }, 2 * time.Hour},
				{"bot.agent_requested_reply.bg", func(c *Config) any { return c.Bot.AgentRequestedReply["bg"] }, "Екипът е уведомен."},
				{"bot.reply.en", func(c *Config) any { return c.Bot.Reply["en"] }, "Thanks!"},
				{"bot.agent_phrases", func(c *Config) any { return c.Bot.AgentPhrases }, []string{"оператор", "talk to a human"}},
			},
		},
		{
			name: "log.level",
			env:  map[string]string{"HANDOFF_LOG_LEVEL": "debug", "HANDOFF_LOG_FORMAT": "json"},
			want: []field{
				{"SlogLevel()", func(c *Config) any { return c.SlogLevel().String() }, "DEBUG"},
				{"log.format", func(c *Config) any { return c.Log.Format }, "json"},
			},
		},
	}
	checkLoads(t, tests)
}

func TestEnvBeatsFile(t *testing.T) {
	dir := isolate(t)
	path := writeConfig(t, dir, "handoff.yaml", `
data_dir: /from/file
http:
  addr: ":7000"
livechat:
  inactivity_timeout: 2h
auth:
  tokens: ["file:0123456789abcdef"]
`)
	t.Setenv("HANDOFF_HTTP_ADDR", ":7001")
	t.Setenv("HANDOFF_LIVECHAT_INACTIVITY_TIMEOUT", "45m")
	t.Setenv("HANDOFF_AUTH_TOKENS", "env:fedcba9876543210")
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, f := range []field{
		{"http.addr (env)", func(c *Config) any { return c.HTTP.Addr }, ":7001"},
		{"livechat.inactivity_timeout (env)", func(c *Config) any { return c.LiveChat.InactivityTimeout }, 45 * time.Minute},
		{"auth.tokens (env)", func(c *Config) any { return c.Auth.Tokens }, []string{"env:fedcba9876543210"}},
		{"data_dir (file)", func(c *Config) any { return c.DataDir }, "/from/file"},
		{"temporal.namespace (default)", func(c *Config) any { return c.Temporal.Namespace }, "default"},
	} {
		t.Run(f.key, func(t *testing.T) { f.check(t, cfg) })
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []refused{
		{
			name: "generative endpoint without a model",
			env:  map[string]string{"HANDOFF_AI_GENERATIVE_URL": "http://localhost:11434/v1"},
			want: []string{"ai.generative", "model"},
		},
		{
			name: "confidence threshold above 1",
			env:  map[string]string{"HANDOFF_AI_CONFIDENCE_THRESHOLD": "1.5"},
			want: []string{"ai.confidence_threshold", "between 0.01 and 1", "1.5"},
		},
		{
			name: "blank display name",
			env:  map[string]string{"HANDOFF_AUTH_DISPLAY_NAME": " "},
			want: []string{"auth.display_name", "blank"},
		},
		{
			name: "display name on two lines",
			file: "auth:\n  display_names:\n    alice: \"Alice\\nSupport\"\n",
			want: []string{"auth.display_names.alice", "control character"},
		},
		{
			name: "inactivity timeout too short",
			file: "livechat:\n  inactivity_timeout: 30s\n",
			want: []string{"livechat.inactivity_timeout", "30s"},
		},
		{
			name: "inactivity timeout too long",
			file: "livechat:\n  inactivity_timeout: 25h\n",
			want: []string{"livechat.inactivity_timeout", "25h"},
		},
		{
			name: "inactivity timeout from env",
			env:  map[string]string{"HANDOFF_LIVECHAT_INACTIVITY_TIMEOUT": "30s"},
			want: []string{"livechat.inactivity_timeout"},
		},
		{
			name: "zero window",
			file: "conversation:\n  window: 0\n",
			want: []string{"conversation.window"},
		},
		{
			name: "window over a week",
			file: "conversation:\n  window: 169h\n",
			want: []string{"conversation.window"},
		},
		{
			name: "http.addr without port",
			file: "http:\n  addr: nonsense\n",
			want: []string{"http.addr", "nonsense"},
		},
		{
			name: "debug.addr without port",
			env:  map[string]string{"HANDOFF_DEBUG_ADDR": "localhost"},
			want: []string{"debug.addr", "localhost"},
		},
		{
			name: "debug.addr with a port that is no number",
			file: "debug:\n  addr: 127.0.0.1:pprof\n",
			want: []string{"debug.addr", "127.0.0.1:pprof"},
		},
		{
			name: "debug.addr with a port out of range",
			env:  map[string]string{"HANDOFF_DEBUG_ADDR": ":70000"},
			want: []string{"debug.addr", ":70000"},
		},
		{
			name: "http.max_body_bytes too small",
			file: "http:\n  max_body_bytes: 10\n",
			want: []string{"http.max_body_bytes"},
		},
		{
			name: "http.max_import_bytes below http.max_body_bytes",
			env:  map[string]string{"HANDOFF_HTTP_MAX_IMPORT_BYTES": "2048"},
			want: []string{"http.max_import_bytes", "http.max_body_bytes", "1048576"},
		},
		{
			name: "smtp without a sender",
			file: "notifications:\n  smtp:\n    host: smtp.example.com\n",
			want: []string{"notifications.smtp.from"},
		},
		{
			name: "smtp security unknown",
			file: "notifications:\n  smtp:\n    host: smtp.example.com\n    from: a@example.com\n    security: ssl\n",
			want: []string{"notifications.smtp.security", `"ssl"`},
		},
		{
			name: "smtp port out of range",
			file: "notifications:\n  smtp:\n    host: smtp.example.com\n    from: a@example.com\n    port: 70000\n",
			want: []string{"notifications.smtp.port", "70000"},
		},
		{
			name: "smtp username without password",
			file: "notifications:\n  smtp:\n    host: smtp.example.com\n    from: a@example.com\n    username: bob\n",
			want: []string{"notifications.smtp.username", "notifications.smtp.password"},
		},
		{
			name: "smtp keys without a host",
			file: "notifications:\n  smtp:\n    from: a@example.com\n",
			want: []string{"notifications.smtp.host"},
		},
		{
			name: "vonage key without secret and sender",
			file: "notifications:\n  vonage:\n    api_key: key\n",
			want: []string{"notifications.vonage.api_secret", "notifications.vonage.from"},
		},
		{
			name: "smtp login in plain text to a remote server",
			file: "notifications:\n  smtp:\n    host: smtp.example.com\n    from: a@example.com\n    security: none\n    username: bob\n    password: pw\n",
			want: []string{"notifications.smtp", "plain text"},
		},
		{
			name: "vonage key of the wrong length",
			file: "notifications:\n  vonage:\n    api_key: abc\n    api_secret: secret\n    from: Shop\n",
			want: []string{"notifications.vonage", "8-character"},
		},
		{
			name: "cooldown too long",
			file: "notifications:\n  cooldown: 48h\n",
			want: []string{"notifications.cooldown", "48h"},
		},
		{
			name: "agent phrase without words",
			file: "bot:\n  agent_phrases: [оператор, \"?!\"]\n",
			want: []string{"bot.agent_phrases", "phrase 2"},
		},
		{
			name: "acknowledgement in a language code that is not one",
			file: "bot:\n  agent_requested_reply:\n    English: Hello\n",
			want: []string{"bot.agent_requested_reply.english"},
		},
		{
			name: "bot reply in a language code that is not one",
			file: "bot:\n  reply:\n    English: Hello\n",
			want: []string{"bot.reply.english"},
		},
		{
			name: "acknowledgement empty",
			file: "bot:\n  agent_requested_reply:\n    en: \" \"\n",
			want: []string{"bot.agent_requested_reply.en", "must not be empty"},
		},
		{
			name: "http.public_url not a URL",
			file: "http:\n  public_url: localhost:8080\n",
			want: []string{"http.public_url"},
		},
		{
			name: "log.level",
			file: "log:\n  level: loud\n",
			want: []string{"log.level", "loud"},
		},
		{
			name: "log.format",
			file: "log:\n  format: xml\n",
			want: []string{"log.format", "xml"},
		},
		{
			name: "data_dir empty",
			file: "data_dir: \"\"\n",
			want: []string{"data_dir"},
		},
		{
			name: "short token secret",
			file: "auth:\n  tokens: [\"alice:short\"]\n",
			want: []string{"auth.tokens", "alice"},
		},
		{
			name: "short token secret from env",
			env:  map[string]string{"HANDOFF_AUTH_TOKENS": "alice:short"},
			want: []string{"auth.tokens", "alice"},
		},
		{
			name: "token without name",
			file: "auth:\n  tokens: [\"0123456789abcdef\"]\n",
			want: []string{"auth.tokens", "name:secret"},
		},
		{
			name: "notification email",
			file: "notifications:\n  email: not-an-email\n",
			want: []string{"notifications.email", "not-an-email"},
		},
		{
			name: "notification email with display name",
			file: "notifications:\n  email: \"Ops <ops@example.com>\"\n",
			want: []string{"notifications.email"},
		},
		{
			name: "notification phone not E.164",
			file: "notifications:\n  phone: \"0888123\"\n",
			want: []string{"notifications.phone", "0888123"},
		},
		{
			name: "missing CA file",
			file: "temporal:\n  address: temporal.example.com:7233\n  tls:\n    ca_file: /nonexistent/ca.pem\n",
			want: []string{"temporal.tls.ca_file", "/nonexistent/ca.pem"},
		},
		{
			name: "TLS without an external cluster",
			file: "temporal:\n  api_key: secret\n",
			want: []string{"temporal.api_key", "temporal.address"},
		},
		{
			name: "client certificate without key",
			file: "temporal:\n  address: temporal.example.com:7233\n  tls:\n    cert_file: " + os.Args[0] + "\n",
			want: []string{"temporal.tls.cert_file", "temporal.tls.key_file"},
		},
		{
			name: "temporal.address without port",
			file: "temporal:\n  address: temporal.example.com\n",
			want: []string{"temporal.address"},
		},
		{
			name: "empty namespace",
			file: "temporal:\n  namespace: \"\"\n",
			want: []string{"temporal.namespace"},
		},
		{
			name: "embedded frontend address",
			file: "temporal:\n  embedded:\n    frontend_addr: localhost\n",
			want: []string{"temporal.embedded.frontend_addr"},
		},
		{
			name: "UI address",
			file: "temporal:\n  ui:\n    addr: localhost\n",
			want: []string{"temporal.ui.addr"},
		},
		{
			name: "short retention",
			file: "temporal:\n  embedded:\n    retention: 1h\n",
			want: []string{"temporal.embedded.retention"},
		},
		{
			name: "max_history_events between 1 and 99",
			file: "temporal:\n  max_history_events: 50\n",
			want: []string{"temporal.max_history_events"},
		},
		{
			name: "tiny workflow cache",
			file: "temporal:\n  workflow_cache_size: 2\n",
			want: []string{"temporal.workflow_cache_size", "between 10 and 1000000"},
		},
		{
			name: "metrics address without a port",
			file: "temporal:\n  embedded:\n    metrics_addr: localhost\n",
			want: []string{"temporal.embedded.metrics_addr", `"localhost"`},
		},
		{
			name: "unknown synchronous",
			file: "temporal:\n  embedded:\n    synchronous: \"off\"\n",
			want: []string{"temporal.embedded.synchronous", `"full" or "normal"`, `"off"`},
		},
		{
			name: "unknown compression",
			file: "temporal:\n  compression: zstd\n",
			want: []string{"temporal.compression", `"auto", "gzip" or "none"`, `"zstd"`},
		},
		{
			name: "empty bot reply",
			file: "bot:\n  reply:\n    en: \"  \"\n",
			want: []string{"bot.reply.en", "must not be empty"},
		},
		{
			name: "empty agent requested reply",
			file: "bot:\n  agent_requested_reply: \"\"\n",
			want: []string{"bot.agent_requested_reply"},
		},
		{
			name: "unknown key (typo)",
			file: "htpp: {addr: x}\n",
			want: []string{"htpp.addr", "unknown"},
		},
		{
			name: "unknown nested key",
			file: "temporal:\n  tls:\n    enable: true\n",
			want: []string{"temporal.tls.enable"},
		},
		{
			name: "malformed YAML",
			file: "http:\n  addr: [\":8080\"\nlog: {\n",
			want: []string{"handoff.yaml", "yaml"},
		},
		{
			name: "duration that does not parse",
			file: "livechat:\n  inactivity_timeout: abc\n",
			want: []string{"livechat.inactivity_timeout", "invalid duration"},
		},
		{
			name: "duration from env that does not parse",
			env:  map[string]string{"HANDOFF_CONVERSATION_WINDOW": "abc"},
			want: []string{"conversation.window", "invalid duration"},
		},
		{
			name: "messenger page without token",
			file: "messenger:\n  pages: [\"1234567890\"]\n",
			want: []string{"messenger.pages[0]", "page ID:page access token"},
		},
		{
			name: "messenger page ID not numeric",
			env:  map[string]string{"HANDOFF_MESSENGER_PAGES": "mypage:EAAB"},
			want: []string{"messenger.pages[0]", "numeric", "mypage"},
		},
		{
			name: "messenger page listed twice",
			file: "messenger:\n  pages: [\"123:EAAB\", \"123:EAAC\"]\n",
			want: []string{"messenger.pages[1]", "listed twice"},
		},
		{
			name: "graph version",
			file: "messenger:\n  graph_version: \"21\"\n",
			want: []string{"messenger.graph_version", "v21.0"},
		},
		{
			name: "graph URL",
			file: "messenger:\n  graph_url: graph.facebook.com\n",
			want: []string{"messenger.graph_url"},
		},
		{
			name: "web chat origin with a path",
			file: "webchat:\n  allowed_origins: [\"https://shop.example.com/page\"]\n",
			want: []string{"webchat.allowed_origins[0]", "https://shop.example.com/page"},
		},
		{
			name: "web chat secret too short",
			env:  map[string]string{"HANDOFF_WEBCHAT_SECRET": "short"},
			want: []string{"webchat.secret", "32"},
		},
		{
			name: "flows check interval",
			file: "bot:\n  flows_check_interval: 100ms\n",
			want: []string{"bot.flows_check_interval", "100ms"},
		},
		{
			name: "knowledge seed that is no .json file",
			env:  map[string]string{"HANDOFF_BOT_KNOWLEDGE_SEED": "knowledge/shop.yaml"},
			want: []string{"bot.knowledge_seed", ".json", "knowledge/shop.yaml"},
		},
		{
			name: "number that does not parse",
			env:  map[string]string{"HANDOFF_HTTP_MAX_BODY_BYTES": "lots"},
			want: []string{"http.max_body_bytes"},
		},
	}
	checkRefused(t, tests)
}

func TestSeveralProblemsAreAllReported(t *testing.T) {
	dir := isolate(t)
	path := writeConfig(t, dir, "handoff.yaml", `
http:
  addr: nonsense
log:
  level: loud
auth:
  tokens: ["alice:short", "bob:0123456789abcdef"]
conversation:
  window: 0s
livechat:
  inactivity_timeout: 25h
notifications:
  email: not-an-email
  phone: "0888123"
temporal:
  address: temporal.example.com:7233
  tls:
    ca_file: /nonexistent/ca.pem
`)
	t.Setenv("HANDOFF_DATA_DIR", "") // ignored: empty variables do not override
	t.Setenv("HANDOFF_TEMPORAL_MAX_HISTORY_EVENTS", "10")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, key := range []string{
		"http.addr",
		"log.level",
		"auth.tokens[0]",
		"conversation.window",
		"livechat.inactivity_timeout",
		"notifications.email",
		"notifications.phone",
		"temporal.tls.ca_file",
		"temporal.max_history_events",
	} {
		if !strings.Contains(err.Error(), "config key "+key+":") {
			t.Errorf("error does not report %s:\n%v", key, err)
		}
	}
	if strings.Contains(err.Error(), "auth.tokens[1]") {
		t.Errorf("error reports the valid second token:\n%v", err)
	}
	if got := strings.Count(err.Error(), "config key "); got != 9 {
		t.Errorf("error reports %d problems, want 9:\n%v", got, err)
	}
}

func TestValidExternalTemporal(t *testing.T) {
	dir := isolate(t)
	ca := writeConfig(t, dir, "ca.pem", "not checked here")
	path := writeConfig(t, dir, "handoff.yaml", `
temporal:
  address: ns.acct.tmprl.cloud:7233
  namespace: ns.acct
  tls:
    enabled: true
    ca_file: `+ca+`
    cert_file: `+ca+`
    key_file: `+ca+`
    server_name: ns.acct.tmprl.cloud
  ui:
    addr: not-checked-without-embedded-server
  embedded:
    retention: 1h
auth:
  tokens:
    - "alice:0123456789abcdef"
    - "bob:with:colons:in:secret"
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Embedded() {
		t.Error("Embedded() = true with temporal.address set")
	}
	want := map[string]string{"0123456789abcdef": "alice", "with:colons:in:secret": "bob"}
	if got := tokenMap(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("StaffTokens() = %v, want %v", got, want)
	}
}

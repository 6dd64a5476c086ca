// Package config loads handoff's configuration from config.yaml, environment
// variables (HANDOFF_ + the key path upper-cased with "_") and defaults, and
// validates it. config.yaml at the repository root documents every key.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/handoff-chat/handoff/internal/answerer"
	"github.com/handoff-chat/handoff/internal/askhuman"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/generative"
	"github.com/handoff-chat/handoff/internal/media/s3store"
	"github.com/handoff-chat/handoff/internal/notify"
	"github.com/handoff-chat/handoff/internal/staff"
)

var (
	languagePattern     = regexp.MustCompile(`^[a-z]{2,3}$`)
	graphVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	originPattern       = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)
)

// EnvPrefix prefixes every environment override.
const EnvPrefix = "HANDOFF"

// Config is the whole configuration.
type Config struct {
	DataDir      string       `mapstructure:"data_dir"`
	Log          Log          `mapstructure:"log"`
	HTTP         HTTP         `mapstructure:"http"`
	Auth         Auth         `mapstructure:"auth"`
	Temporal     Temporal     `mapstructure:"temporal"`
	Conversation Conversation `mapstructure:"conversation"`
	LiveChat     LiveChat     `mapstructure:"livechat"`
	Notification Notification `mapstructure:"notifications"`
	Bot          Bot          `mapstructure:"bot"`
	AI           AI           `mapstructure:"ai"`
	Search       Search       `mapstructure:"search"`
	Media        Media        `mapstructure:"media"`
	Messenger    Messenger    `mapstructure:"messenger"`
	WebChat      WebChat      `mapstructure:"webchat"`
	Debug        Debug        `mapstructure:"debug"`
	Health       Health       `mapstructure:"health"`
	source       string       // the config file read, if any
}

// AI configures the conversational AI.
type AI struct {
	// Enabled is the default of the ai_enabled setting.
	Enabled bool `mapstructure:"enabled"`
	// ConfidenceThreshold is the default of the ai_confidence_threshold
	// setting.
	ConfidenceThreshold float64 `mapstructure:"confidence_threshold"`
	// Generative words answers with a language model; off without a URL.
	Generative Generative `mapstructure:"generative"`
}

// Generative configures an OpenAI-compatible chat-completions endpoint.
type Generative struct {
	URL     string        `mapstructure:"url"`
	Model   string        `mapstructure:"model"`
	APIKey  string        `mapstructure:"api_key"`
	Timeout time.Duration `mapstructure:"timeout"`
}

// Log configures the process log.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// HTTP configures the API server.
type HTTP struct {
	Addr         string `mapstructure:"addr"`
	MaxBodyBytes int64  `mapstructure:"max_body_bytes"`
	// MaxImportBytes caps the body of a knowledge base import, which may
	// be larger than other requests.
	MaxImportBytes int64 `mapstructure:"max_import_bytes"`
	// MaxUploadBytes caps an uploaded image.
	MaxUploadBytes int64 `mapstructure:"max_upload_bytes"`
	// PublicURL is where staff reach the dashboard, for links in notifications.
	PublicURL string `mapstructure:"public_url"`
	// TrustedProxies are the addresses (IPs or CIDR ranges) of reverse
	// proxies whose X-Forwarded-For header names the client; empty trusts
	// none, and the client is the connection's peer.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
}

// Debug configures the debug listener.
type Debug struct {
	// Addr is the host:port of a listener of its own serving net/http/pprof
	// to staff tokens; empty serves nothing.
	Addr string `mapstructure:"addr"`
}

// Health configures the health listener.
type Health struct {
	// Addr is the host:port of a listener of its own answering only the
	// liveness and readiness checks (GET /healthz, /readyz), for processes
	// without the HTTP API (the worker role); empty serves nothing.
	Addr string `mapstructure:"addr"`
}

// Auth configures who may call the staff API.
type Auth struct {
	// Tokens are "name:secret" or "name:secret:role" entries; the name is
	// recorded as the author of changes; the role is admin unless given.
	Tokens []string `mapstructure:"tokens"`
	// Users log in to the dashboard: "name:role:bcrypt hash" entries.
	Users []string `mapstructure:"users"`
	// SessionSecret signs dashboard session cookies; empty uses a key
	// generated once under data_dir.
	SessionSecret string `mapstructure:"session_secret"`
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// DisplayName is the name customers see on staff messages, unless
	// DisplayNames gives the staff member one of their own.
	DisplayName string `mapstructure:"display_name"`
	// DisplayNames maps a token's name to the name customers see.
	DisplayNames map[string]string `mapstructure:"display_names"`
}

// StaffDisplayName is the name customers see on messages of the staff
// member called name.
func (a Auth) StaffDisplayName(name string) string {
	if display := a.DisplayNames[name]; display != "" {
		return display
	}
	return a.DisplayName
}

// Temporal configures the Temporal connection, or the embedded server.
type Temporal struct {
	// Address of an external frontend; empty runs the embedded server.
	Address   string        `mapstructure:"address"`
	Namespace string        `mapstructure:"namespace"`
	APIKey    string        `mapstructure:"api_key"`
	TLS       TLS           `mapstructure:"tls"`
	UI        TemporalUI    `mapstructure:"ui"`
	Embedded  EmbeddedSetup `mapstructure:"embedded"`
	// MaxHistoryEvents continues a conversation as new at this history length
	// (0 = when the server suggests it).
	MaxHistoryEvents int `mapstructure:"max_history_events"`
	// WorkflowCacheSize is how many workflows a worker process keeps in
	// memory between their tasks; the others replay their history when they
	// next run.
	WorkflowCacheSize int `mapstructure:"workflow_cache_size"`
	// Compression is the gRPC compression of requests to the frontend:
	// CompressionAuto, CompressionGzip or CompressionNone.
	Compression string `mapstructure:"compression"`
}

// The values of temporal.compression. Auto compresses with gzip (the
// Temporal SDK's default) unless the frontend is on this machine, where
// compressing only costs CPU on both ends.
const (
	CompressionAuto = "auto"
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// TLS configures TLS and mTLS to an external Temporal cluster.
type TLS struct {
	Enabled    bool   `mapstructure:"enabled"`
	CAFile     string `mapstructure:"ca_file"`
	CertFile   string `mapstructure:"cert_file"`
	KeyFile    string `mapstructure:"key_file"`
	ServerName string `mapstructure:"server_name"`
}

// TemporalUI configures the embedded Temporal Web UI.
type TemporalUI struct {
	Addr string `mapstructure:"addr"`
	// URL is an external cluster's Temporal UI, for auditors' links to a
	// conversation's history; empty shows no link.
	URL string `mapstructure:"url"`
}

// EmbeddedSetup configures the embedded Temporal server.
type EmbeddedSetup struct {
	FrontendAddr string `mapstructure:"frontend_addr"`
	// MetricsAddr is where the embedded server serves its Prometheus
	// metrics; empty records none.
	MetricsAddr string `mapstructure:"metrics_addr"`
	// Synchronous is when the embedded server's database waits for the
	// disk: SynchronousFull or SynchronousNormal.
	Synchronous string        `mapstructure:"synchronous"`
	Retention   time.Duration `mapstructure:"retention"`
}

// The values of temporal.embedded.synchronous. Full waits for the disk at
// every commit: what was acknowledged survives a power cut. Normal waits
// only at checkpoints: a crash of the process loses nothing, a power cut
// or a kernel crash can lose the last commits.
const (
	SynchronousFull   = "full"
	SynchronousNormal = "normal"
)

// Conversation configures the conversation workflow.
type Conversation struct {
	Window time.Duration `mapstructure:"window"`
}

// LiveChat holds the default of the inactivity timeout setting.
type LiveChat struct {
	InactivityTimeout time.Duration `mapstructure:"inactivity_timeout"`
}

// Notification holds the defaults of the notification settings and how
// alerts are sent.
type Notification struct {
	Email string `mapstructure:"email"`
	Phone string `mapstructure:"phone"`
	// Cooldown is the default of the notification_cooldown setting.
	Cooldown time.Duration `mapstructure:"cooldown"`
	SMTP     SMTP          `mapstructure:"smtp"`
	Vonage   Vonage        `mapstructure:"vonage"`
}

// SMTP configures the mail server alerts are emailed through.
type SMTP struct {
	// Host is empty when no email is sent.
	Host string `mapstructure:"host"`
	Port int    `mapstructure:"port"`
	// Security is starttls, tls (implicit, usually port 465) or none.
	Security string `mapstructure:"security"`
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	// From is the sender, "Name <address>" or a plain address.
	From string `mapstructure:"from"`
}

// Configured reports whether email can be sent.
func (s SMTP) Configured() bool { return s.Host != "" }

// NotifyConfig is the mail server as package notify takes it.
func (s SMTP) NotifyConfig() notify.SMTPConfig {
	return notify.SMTPConfig{
		Host: s.Host, Port: s.Port, Security: notify.Security(s.Security),
		Username: s.Username, Password: s.Password, From: s.From,
	}
}

// Vonage configures the Vonage SMS API alerts are texted through.
type Vonage struct {
	// APIKey is empty when no SMS is sent.
	APIKey    string `mapstructure:"api_key"`
	APISecret string `mapstructure:"api_secret"`
	// From is the sender ID or number.
	From    string `mapstructure:"from"`
	BaseURL string `mapstructure:"base_url"`
}

// Configured reports whether SMS can be sent.
func (v Vonage) Configured() bool { return v.APIKey != "" }

// NotifyConfig is the Vonage account as package notify takes it.
func (v Vonage) NotifyConfig() notify.VonageConfig {
	return notify.VonageConfig{APIKey: v.APIKey, APISecret: v.APISecret, From: v.From, BaseURL: v.BaseURL}
}

// Bot holds the bot's fixed texts and its navigation flows.
type Bot struct {
	// Reply answers every customer message when there are no flows, by
	// language code.
	Reply map[string]string `mapstructure:"reply"`
	// AgentRequestedReply is the acknowledgement of a request for a human,
	// by language code.
	AgentRequestedReply map[string]string `mapstructure:"agent_requested_reply"`
	// AgentPhrases are the words with which a customer asks for a human.
	AgentPhrases []string `mapstructure:"agent_phrases"`
	// Flows is the YAML file of navigation flows; empty runs without flows.
	Flows string `mapstructure:"flows"`
	// FlowsCheckInterval is how often the flows file is checked for changes.
	FlowsCheckInterval time.Duration `mapstructure:"flows_check_interval"`
	// KnowledgeSeed is a knowledge base in the exchange format (a .json
	// file) imported on the first start of the all-in-one mode with the
	// embedded Temporal server, while the knowledge base is empty; empty
	// imports nothing.
	KnowledgeSeed string `mapstructure:"knowledge_seed"`
}

// Messenger configures the Facebook Messenger channel.
type Messenger struct {
	AppSecret   string `mapstructure:"app_secret"`
	VerifyToken string `mapstructure:"verify_token"`
	AppID       string `mapstructure:"app_id"`
	// Pages are "page ID:page access token" pairs.
	Pages        []string `mapstructure:"pages"`
	GraphURL     string   `mapstructure:"graph_url"`
	GraphVersion string   `mapstructure:"graph_version"`
	// HumanAgent is the default of the messenger_human_agent setting.
	HumanAgent bool `mapstructure:"human_agent"`
}

// WebChat configures the web chat widget's endpoints.
type WebChat struct {
	// AllowedOrigins may embed the widget (CORS); the app's own origin always may.
	AllowedOrigins []string `mapstructure:"allowed_origins"`
	// Secret signs visitor tokens; empty uses a key generated once under data_dir.
	Secret string `mapstructure:"secret"`
	// Limits bound the widget's calls per client address and visitor.
	Limits WebChatLimits `mapstructure:"limits"`
}

// WebChatLimits bound what one client address or visitor may do, per API
// process; 0 disables a limit.
type WebChatLimits struct {
	// VisitorsPerMinute is how many visitors one client address may create.
	VisitorsPerMinute int `mapstructure:"visitors_per_minute"`
	// MessagesPerMinute is how many messages and agent requests one visitor
	// may send.
	MessagesPerMinute int `mapstructure:"messages_per_minute"`
	// StreamsPerVisitor is how many event streams one visitor may hold open.
	StreamsPerVisitor int `mapstructure:"streams_per_visitor"`
}

// Search configures the search backend.
type Search struct {
	Backend       string        `mapstructure:"backend"`
	Bleve         Bleve         `mapstructure:"bleve"`
	Remote        RemoteIndex   `mapstructure:"remote"`
	Elasticsearch Elasticsearch `mapstructure:"elasticsearch"`
}

// Bleve configures the embedded index.
type Bleve struct {
	// ServeAddr, when set, shares this process's index with the other
	// processes of the deployment (search.backend remote), for holders of
	// search.remote.token.
	ServeAddr string `mapstructure:"serve_addr"`
}

// RemoteIndex is the embedded index another handoff process shares.
type RemoteIndex struct {
	// URL is the owner's search.bleve.serve_addr as http://host:port.
	URL string `mapstructure:"url"`
	// Token is the secret the owner and the processes it serves share.
	Token string `mapstructure:"token"`
}

// Search backends.
const (
	SearchBleve         = "bleve"
	SearchElasticsearch = "elasticsearch"
	// SearchRemote is the embedded index of another handoff process, which
	// shares it on its search.bleve.serve_addr.
	SearchRemote = "remote"
)

// Media configures where uploaded images are kept.
type Media struct {
	// Backend is folder (<data_dir>/media) or s3.
	Backend string      `mapstructure:"backend"`
	S3      ObjectStore `mapstructure:"s3"`
}

// Media backends.
const (
	MediaFolder = "folder"
	MediaS3     = "s3"
)

// ObjectStore is the S3-compatible object store of the s3 media backend.
type ObjectStore struct {
	// Endpoint is the store's URL; its scheme says whether TLS is used.
	Endpoint string `mapstructure:"endpoint"`
	Region   string `mapstructure:"region"`
	Bucket   string `mapstructure:"bucket"`
	// Prefix is put before every key.
	Prefix          string `mapstructure:"prefix"`
	AccessKeyID     string `mapstructure:"access_key_id"`
	SecretAccessKey string `mapstructure:"secret_access_key"`
	// UsePathStyle addresses the bucket in the path rather than the host.
	UsePathStyle bool `mapstructure:"use_path_style"`
	// CAFile is a PEM file of the CA that signed the store's certificate.
	CAFile string `mapstructure:"ca_file"`
}

// Options are the store's options as package s3store takes them.
func (m ObjectStore) Options() s3store.Options {
	return s3store.Options{
		Endpoint: m.Endpoint, Region: m.Region, Bucket: m.Bucket, Prefix: m.Prefix,
		AccessKeyID: m.AccessKeyID, SecretAccessKey: m.SecretAccessKey,
		PathStyle: m.UsePathStyle, CAFile: m.CAFile,
	}
}

// Elasticsearch configures the Elasticsearch backend.
type Elasticsearch struct {
	Addresses   []string `mapstructure:"addresses"`
	APIKey      string   `mapstructure:"api_key"`
	Username    string   `mapstructure:"username"`
	Password    string   `mapstructure:"password"`
	CAFile      string   `mapstructure:"ca_file"`
	IndexPrefix string   `mapstructure:"index_prefix"`
}

// minRemoteTokenLength is the shortest search.remote.token (as
// remote.MinTokenLength).
const minRemoteTokenLength = 16

// Embedded reports whether handoff runs its own Temporal server.
func (c *Config) Embedded() bool { return c.Temporal.Address == "" }

// Source is the config file that was read, or "" when none was.
func (c *Config) Source() string { return c.source }

// DefaultSettings are the settings in force where admins changed nothing.
func (c *Config) DefaultSettings() chat.Settings {
	return chat.Settings{
		InactivityTimeout:     c.LiveChat.InactivityTimeout,
		NotificationEmail:     c.Notification.Email,
		NotificationPhone:     c.Notification.Phone,
		MessengerHumanAgent:   c.Messenger.HumanAgent,
		NotificationCooldown:  c.Notification.Cooldown,
		AIEnabled:             c.AI.Enabled,
		AIConfidenceThreshold: c.AI.ConfidenceThreshold,
		BotReply:              c.Bot.Reply,
		AgentRequestedReply:   c.Bot.AgentRequestedReply,
		AgentPhrases:          c.Bot.AgentPhrases,
	}
}

// PageTokens parses messenger.pages into page ID → page access token.
func (c *Config) PageTokens() map[string]string {
	out := make(map[string]string, len(c.Messenger.Pages))
	for _, entry := range c.Messenger.Pages {
		page, token, _ := strings.Cut(entry, ":")
		out[page] = token
	}
	return out
}

// StaffTokens parses auth.tokens into API tokens with their members.
func (c *Config) StaffTokens() []staff.Token {
	out := make([]staff.Token, 0, len(c.Auth.Tokens))
	for _, entry := range c.Auth.Tokens {
		name, secret, role, _ := parseToken(entry)
		out = append(out, staff.Token{Secret: secret, Member: staff.Member{
			Name: name, DisplayName: c.Auth.StaffDisplayName(name), Role: role,
		}})
	}
	return out
}

// StaffUsers parses auth.users.
func (c *Config) StaffUsers() []staff.User {
	out := make([]staff.User, 0, len(c.Auth.Users))
	for _, entry := range c.Auth.Users {
		u, _ := parseUser(entry)
		u.DisplayName = c.Auth.StaffDisplayName(u.Name)
		out = append(out, u)
	}
	return out
}

// SlogLevel is log.level as a slog level.
func (c *Config) SlogLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.Log.Level))
	return l
}

var defaults = map[string]any{
	"data_dir":                        "./data",
	"log.level":                       "info",
	"log.format":                      "text",
	"http.addr":                       "127.0.0.1:8080",
	"http.max_body_bytes":             1 << 20,
	"http.max_import_bytes":           8 << 20,
	"http.max_upload_bytes":           8 << 20,
	"http.public_url":                 "http://localhost:8080",
	"http.trusted_proxies":            []string{},
	"auth.tokens":                     []string{},
	"auth.users":                      []string{},
	"auth.session_secret":             "",
	"auth.session_ttl":                "12h",
	"auth.display_name":               "Support",
	"ai.enabled":                      true,
	"ai.confidence_threshold":         answerer.DefaultThreshold,
	"ai.generative.url":               "",
	"ai.generative.model":             "",
	"ai.generative.api_key":           "",
	"ai.generative.timeout":           "5s",
	"auth.display_names":              map[string]any{},
	"temporal.address":                "",
	"temporal.namespace":              "default",
	"temporal.api_key":                "",
	"temporal.tls.enabled":            false,
	"temporal.tls.ca_file":            "",
	"temporal.tls.cert_file":          "",
	"temporal.tls.key_file":           "",
	"temporal.tls.server_name":        "",
	"temporal.ui.url":                 "",
	"temporal.ui.addr":                "127.0.0.1:8233",
	"temporal.embedded.frontend_addr": "127.0.0.1:7233",
	"temporal.embedded.metrics_addr":  "",
	"temporal.embedded.synchronous":   SynchronousFull,
	"temporal.embedded.retention":     "720h",
	"temporal.max_history_events":     0,
	"temporal.workflow_cache_size":    500,
	"temporal.compression":            CompressionAuto,
	"conversation.window":             "24h",
	"livechat.inactivity_timeout":     "1h",
	"notifications.email":             "",
	"notifications.phone":             "",
	"notifications.cooldown":          "30m",
	"notifications.smtp.host":         "",
	"notifications.smtp.port":         587,
	"notifications.smtp.security":     "starttls",
	"notifications.smtp.username":     "",
	"notifications.smtp.password":     "",
	"notifications.smtp.from":         "",
	"notifications.vonage.api_key":    "",
	"notifications.vonage.api_secret": "",
	"notifications.vonage.from":       "",
	"notifications.vonage.base_url":   "https://rest.nexmo.com",
	"bot.agent_phrases": []string{
		"оператор", "служител", "консултант", "жив човек", "истински човек", "говоря с човек", "пиша с човек",
		"operator", "talk to a human", "speak to a human", "talk to someone", "speak to someone",
		"human agent", "live agent", "real person", "customer service",
	},
	"messenger.app_secret":              "",
	"messenger.verify_token":            "",
	"messenger.app_id":                  "",
	"messenger.pages":                   []string{},
	"messenger.graph_url":               "https://graph.facebook.com",
	"messenger.graph_version":           "v21.0",
	"messenger.human_agent":             false,
	"webchat.allowed_origins":           []string{},
	"webchat.secret":                    "",
	"bot.flows":                         "",
	"bot.flows_check_interval":          "5s",
	"bot.knowledge_seed":                "",
	"search.backend":                    "bleve",
	"search.bleve.serve_addr":           "",
	"search.remote.url":                 "",
	"search.remote.token":               "",
	"search.elasticsearch.addresses":    []string{},
	"search.elasticsearch.api_key":      "",
	"search.elasticsearch.username":     "",
	"search.elasticsearch.password":     "",
	"search.elasticsearch.ca_file":      "",
	"search.elasticsearch.index_prefix": "handoff",
	"media.backend":                     MediaFolder,
	"media.s3.endpoint":                 "",
	"media.s3.region":                   "us-east-1",
	"media.s3.bucket":                   "",
	"media.s3.prefix":                   "",
	"media.s3.access_key_id":            "",
	"media.s3.secret_access_key":        "",
	"media.s3.use_path_style":           false,
	"media.s3.ca_file":                  "",
	"bot.reply": map[string]any{
		"en": "Thanks for your message! Tap \"Talk to a human\" any time to reach our team.",
		"bg": "Благодарим за съобщението! Натиснете бутона по-долу по всяко време, за да пишете с колега от екипа.",
	},
	"bot.agent_requested_reply": map[string]any{
		"en": "We have alerted our team and someone will reply here soon. Meanwhile, please leave any details about your case: your order number, what happened and how we can reach you.",
		"bg": "Уведомихме екипа си и колега ще ви отговори тук скоро. Дотогава, моля, опишете случая си: номер на поръчката, какво се е случило и как да се свържем с вас.",
	},
	"webchat.limits.visitors_per_minute": 30,
	"webchat.limits.messages_per_minute": 30,
	"webchat.limits.streams_per_visitor": 3,
	"debug.addr":                         "",
	"health.addr":                        "",
}

// EnvName is the environment variable that overrides key: HANDOFF_ and the
// key path upper-cased with "_" for ".", e.g. http.addr → HANDOFF_HTTP_ADDR.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Keys are every configuration key, sorted: the keys config.yaml documents.
func Keys() []string {
	return slices.Sorted(maps.Keys(defaults))
}

// EnvNames are the environment variables Load reads with no config file,
// sorted: HANDOFF_CONFIG (the config file's path) and one per key; a key
// whose value is a map (bot.reply) has one per entry of its built-in default
// instead (HANDOFF_BOT_REPLY_EN), since a variable can only override an
// entry that exists.
func EnvNames() []string {
	names := []string{EnvPrefix + "_CONFIG"}
	for key, value := range defaults {
		m, isMap := value.(map[string]any)
		if !isMap {
			names = append(names, EnvName(key))
		}
		for entry := range m {
			names = append(names, EnvName(key+"."+entry))
		}
	}
	slices.Sort(names)
	return names
}

// Load reads the config file (explicit path, or ./config.yaml when present),
// applies environment overrides, and validates the result.
func Load(path string) (*Config, error) {
	v := viper.New()
	for key, value := range defaults {
		v.SetDefault(key, value)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	if path == "" {
		path = os.Getenv(EnvPrefix + "_CONFIG")
	}
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config file %s: %w", path, err)
		}
	}

	splitLists(v)
	var cfg Config
	hook := mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
	)
	if err := v.Unmarshal(&cfg, viper.DecodeHook(hook), func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = false
	}); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := checkUnknownKeys(v); err != nil {
		return nil, err
	}
	cfg.source = path
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// spaceOrCommaLists are the list keys whose entries never contain white
// space, so a list given as one string (an environment variable) may separate
// them with spaces, commas or both. Other lists, such as bot.agent_phrases,
// split on commas only.
var spaceOrCommaLists = []string{
	"http.trusted_proxies",
	"auth.tokens",
	"auth.users",
	"messenger.pages",
	"webchat.allowed_origins",
	"search.elasticsearch.addresses",
}

// splitLists splits the spaceOrCommaLists given as one string.
func splitLists(v *viper.Viper) {
	for _, key := range spaceOrCommaLists {
		if s, ok := v.Get(key).(string); ok {
			v.Set(key, splitList(s))
		}
	}
}

// splitList splits s at spaces and commas, dropping empty entries.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// checkUnknownKeys rejects keys in the file that handoff does not know, which
// are almost always typos.
func checkUnknownKeys(v *viper.Viper) error {
	var unknown []string
	for _, key := range v.AllKeys() {
		if _, ok := defaults[key]; !ok && !isSection(key) && !isMapEntry(key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("config: unknown key(s) %s (see config.yaml for the known keys)", strings.Join(unknown, ", "))
	}
	return nil
}

// isMapEntry reports whether key is an entry of a key whose value is a map
// with free keys, such as bot.agent_requested_reply.de.
func isMapEntry(key string) bool {
	parent := key[:max(strings.LastIndex(key, "."), 0)]
	_, isMap := defaults[parent].(map[string]any)
	return isMap
}

// isSection reports whether key is a section such as temporal.tls, which a
// file may leave empty when every key in it is commented out.
func isSection(key string) bool {
	for known := range defaults {
		if strings.HasPrefix(known, key+".") {
			return true
		}
	}
	return false
}

// isListenAddr reports whether addr is host:port with a numeric port, as
// net.Listen takes it.
func isListenAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// Validate checks every value and names the key of each problem.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config key %s: "+format, append([]any{key}, args...)...))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "must be host:port like 127.0.0.1:8080 or :8080, got %q", c.HTTP.Addr)
	}
	if c.Debug.Addr != "" && !isListenAddr(c.Debug.Addr) {
		bad("debug.addr", "must be host:port like 127.0.0.1:6060 (a port from 0 to 65535), or empty to serve no debug endpoints, got %q", c.Debug.Addr)
	}
	if c.Health.Addr != "" && !isListenAddr(c.Health.Addr) {
		bad("health.addr", "must be host:port like :8081 (a port from 0 to 65535), or empty to serve no health listener, got %q", c.Health.Addr)
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", "must be at least 1024, got %d", c.HTTP.MaxBodyBytes)
	}
	if c.HTTP.MaxImportBytes < c.HTTP.MaxBodyBytes {
		bad("http.max_import_bytes", "must be at least http.max_body_bytes (%d), got %d", c.HTTP.MaxBodyBytes, c.HTTP.MaxImportBytes)
	}
	if c.HTTP.MaxUploadBytes < 1024 || c.HTTP.MaxUploadBytes > 25<<20 {
		bad("http.max_upload_bytes", "must be from 1024 to 26214400 (25 MiB, Messenger's limit for an image), got %d", c.HTTP.MaxUploadBytes)
	}
	if !strings.HasPrefix(c.HTTP.PublicURL, "http://") && !strings.HasPrefix(c.HTTP.PublicURL, "https://") {
		bad("http.public_url", "must be an http:// or https:// URL, got %q", c.HTTP.PublicURL)
	}
	for i, entry := range c.Auth.Tokens {
		if _, _, _, err := parseToken(entry); err != nil {
			bad(fmt.Sprintf("auth.tokens[%d]", i), "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, entry := range c.Auth.Users {
		u, err := parseUser(entry)
		if err != nil {
			bad(fmt.Sprintf("auth.users[%d]", i), "%v", err)
			continue
		}
		if seen[strings.ToLower(u.Name)] {
			bad(fmt.Sprintf("auth.users[%d]", i), "user %q is listed twice", u.Name)
		}
		seen[strings.ToLower(u.Name)] = true
	}
	if c.Auth.SessionSecret != "" && len(c.Auth.SessionSecret) < 32 {
		bad("auth.session_secret", "must be at least 32 characters (or empty to generate one in data_dir), got %d", len(c.Auth.SessionSecret))
	}
	if c.Auth.SessionTTL < 5*time.Minute || c.Auth.SessionTTL > 30*24*time.Hour {
		bad("auth.session_ttl", "must be between 5m and 720h, got %s", c.Auth.SessionTTL)
	}
	if err := chat.CheckName("the name", c.Auth.DisplayName); err != nil {
		bad("auth.display_name", "%v", err)
	}
	for name, display := range c.Auth.DisplayNames {
		if err := chat.CheckName("the name", display); err != nil {
			bad("auth.display_names."+name, "%v", err)
		}
	}
	for i, proxy := range c.HTTP.TrustedProxies {
		if !isIPOrCIDR(proxy) {
			bad(fmt.Sprintf("http.trusted_proxies[%d]", i), "must be an IP address like 10.0.0.1 or a CIDR range like 10.0.0.0/8, got %q", proxy)
		}
	}
	if c.Temporal.Namespace == "" {
		bad("temporal.namespace", "must not be empty")
	}
	if c.Temporal.Address != "" {
		if _, _, err := net.SplitHostPort(c.Temporal.Address); err != nil {
			bad("temporal.address", "must be host:port like temporal.example.com:7233, or empty for the embedded server, got %q", c.Temporal.Address)
		}
	} else {
		if _, _, err := net.SplitHostPort(c.Temporal.Embedded.FrontendAddr); err != nil {
			bad("temporal.embedded.frontend_addr", "must be host:port like 127.0.0.1:7233, got %q", c.Temporal.Embedded.FrontendAddr)
		}
		if c.Temporal.Embedded.MetricsAddr != "" {
			if _, _, err := net.SplitHostPort(c.Temporal.Embedded.MetricsAddr); err != nil {
				bad("temporal.embedded.metrics_addr", "must be host:port like 127.0.0.1:9090, or empty for no metrics, got %q", c.Temporal.Embedded.MetricsAddr)
			}
		}
		if c.Temporal.UI.Addr != "" {
			if _, _, err := net.SplitHostPort(c.Temporal.UI.Addr); err != nil {
				bad("temporal.ui.addr", "must be host:port like 127.0.0.1:8233, or empty to disable the UI, got %q", c.Temporal.UI.Addr)
			}
		}
		switch c.Temporal.Embedded.Synchronous {
		case SynchronousFull, SynchronousNormal:
		default:
			bad("temporal.embedded.synchronous", "must be %q or %q, got %q", SynchronousFull, SynchronousNormal, c.Temporal.Embedded.Synchronous)
		}
		if c.Temporal.Embedded.Retention < 24*time.Hour {
			bad("temporal.embedded.retention", "must be at least 24h, got %s", c.Temporal.Embedded.Retention)
		}
	}
	if c.Temporal.Address == "" && (c.Temporal.TLS != TLS{} || c.Temporal.APIKey != "") {
		bad("temporal.tls / temporal.api_key", "apply only to an external cluster: set temporal.address, or remove them to use the embedded server")
	}
	if (c.Temporal.TLS.CertFile == "") != (c.Temporal.TLS.KeyFile == "") {
		bad("temporal.tls.cert_file", "and temporal.tls.key_file must be set together for mTLS")
	}
	for _, f := range []struct{ key, file string }{
		{"temporal.tls.ca_file", c.Temporal.TLS.CAFile},
		{"temporal.tls.cert_file", c.Temporal.TLS.CertFile},
		{"temporal.tls.key_file", c.Temporal.TLS.KeyFile},
	} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			bad(f.key, "cannot read %s: %v", f.file, errors.Unwrap(err))
		}
	}
	if c.Temporal.MaxHistoryEvents != 0 && c.Temporal.MaxHistoryEvents < 100 {
		bad("temporal.max_history_events", "must be 0 (server decides) or at least 100, got %d", c.Temporal.MaxHistoryEvents)
	}
	if c.Temporal.WorkflowCacheSize < 10 || c.Temporal.WorkflowCacheSize > 1_000_000 {
		bad("temporal.workflow_cache_size", "must be between 10 and 1000000 workflows, got %d", c.Temporal.WorkflowCacheSize)
	}
	switch c.Temporal.Compression {
	case CompressionAuto, CompressionGzip, CompressionNone:
	default:
		bad("temporal.compression", "must be %q, %q or %q, got %q", CompressionAuto, CompressionGzip, CompressionNone, c.Temporal.Compression)
	}
	if c.Conversation.Window < time.Minute || c.Conversation.Window > 7*24*time.Hour {
		bad("conversation.window", "must be between 1m and 168h, got %s", c.Conversation.Window)
	}
	if err := chat.ValidateInactivityTimeout(c.LiveChat.InactivityTimeout); err != nil {
		bad("livechat.inactivity_timeout", "%v", err)
	}
	if err := chat.ValidateNotificationEmail(c.Notification.Email); err != nil {
		bad("notifications.email", "%v", err)
	}
	if err := chat.ValidateNotificationPhone(c.Notification.Phone); err != nil {
		bad("notifications.phone", "%v", err)
	}
	checkTexts := func(key string, texts map[string]string, example string) {
		if len(texts) == 0 {
			bad(key, "must give the text in at least one language, like en: %q", example)
		}
		for lang, text := range texts {
			if !languagePattern.MatchString(lang) {
				bad(key+"."+lang, "must be keyed by a 2 or 3 letter lower-case language code like en or bg, got %q", lang)
			} else if strings.TrimSpace(text) == "" {
				bad(key+"."+lang, "must not be empty")
			}
		}
	}
	checkTexts("bot.reply", c.Bot.Reply, "Thanks for your message!")
	checkTexts("bot.agent_requested_reply", c.Bot.AgentRequestedReply, "We have alerted our team…")
	if _, err := askhuman.New(c.Bot.AgentPhrases); err != nil {
		bad("bot.agent_phrases", "%v", err)
	}
	if err := chat.ValidateAIConfidenceThreshold(c.AI.ConfidenceThreshold); err != nil {
		bad("ai.confidence_threshold", "%v", err)
	}
	if g := c.AI.Generative; g.URL != "" {
		if _, err := generative.New(generative.Options{URL: g.URL, Model: g.Model, Timeout: g.Timeout}); err != nil {
			bad("ai.generative", "%v (set ai.generative.url and ai.generative.model, or leave the url empty)", err)
		}
		if g.Timeout <= 0 || g.Timeout > time.Minute {
			bad("ai.generative.timeout", "must be between 1ms and 1m, got %s", g.Timeout)
		}
	}
	if err := chat.ValidateNotificationCooldown(c.Notification.Cooldown); err != nil {
		bad("notifications.cooldown", "%v", err)
	}
	c.validateSMTP(&errs, bad)
	c.validateVonage(&errs, bad)
	if (c.Messenger.AppSecret == "") != (c.Messenger.VerifyToken == "") {
		bad("messenger.app_secret", "and messenger.verify_token must be set together to receive Messenger webhooks")
	}
	seenPages := map[string]bool{}
	for i, entry := range c.Messenger.Pages {
		page, err := checkPage(entry)
		switch {
		case err != nil:
			bad(fmt.Sprintf("messenger.pages[%d]", i), "%v", err)
		case seenPages[page]:
			bad(fmt.Sprintf("messenger.pages[%d]", i), "page %s is listed twice", page)
		}
		seenPages[page] = true
	}
	if !strings.HasPrefix(c.Messenger.GraphURL, "http://") && !strings.HasPrefix(c.Messenger.GraphURL, "https://") {
		bad("messenger.graph_url", "must be an http:// or https:// URL like https://graph.facebook.com, got %q", c.Messenger.GraphURL)
	}
	if !graphVersionPattern.MatchString(c.Messenger.GraphVersion) {
		bad("messenger.graph_version", "must be a Graph API version like v21.0, got %q", c.Messenger.GraphVersion)
	}
	for i, origin := range c.WebChat.AllowedOrigins {
		if !originPattern.MatchString(origin) {
			bad(fmt.Sprintf("webchat.allowed_origins[%d]", i), "must be an origin like https://shop.example.com (scheme and host, optional port, no path), got %q", origin)
		}
	}
	if c.WebChat.Secret != "" && len(c.WebChat.Secret) < 32 {
		bad("webchat.secret", "must be at least 32 characters, or empty to use a key generated under data_dir")
	}
	for _, l := range []struct {
		key   string
		value int
	}{
		{"webchat.limits.visitors_per_minute", c.WebChat.Limits.VisitorsPerMinute},
		{"webchat.limits.messages_per_minute", c.WebChat.Limits.MessagesPerMinute},
		{"webchat.limits.streams_per_visitor", c.WebChat.Limits.StreamsPerVisitor},
	} {
		if l.value < 0 {
			bad(l.key, "must be 0 (no limit) or more, got %d", l.value)
		}
	}
	if c.Bot.FlowsCheckInterval < time.Second {
		bad("bot.flows_check_interval", "must be at least 1s, got %s", c.Bot.FlowsCheckInterval)
	}
	if seed := c.Bot.KnowledgeSeed; seed != "" && (!strings.HasSuffix(seed, ".json") || strings.ContainsFunc(seed, unicode.IsControl)) {
		bad("bot.knowledge_seed", "must be the path of a .json file (a knowledge base in the exchange format) or empty, got %q", seed)
	}
	switch c.Search.Backend {
	case SearchBleve:
		if addr := c.Search.Bleve.ServeAddr; addr != "" {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				bad("search.bleve.serve_addr", "must be host:port (e.g. 10.0.0.5:7245) or empty, got %q", addr)
			}
			if len(c.Search.Remote.Token) < minRemoteTokenLength {
				bad("search.remote.token", "must be at least %d characters when search.bleve.serve_addr shares the index", minRemoteTokenLength)
			}
		}
	case SearchRemote:
		if u, err := url.Parse(c.Search.Remote.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("search.remote.url", "must be the index owner's search.bleve.serve_addr as http://host:port when search.backend is remote, got %q", c.Search.Remote.URL)
		}
		if len(c.Search.Remote.Token) < minRemoteTokenLength {
			bad("search.remote.token", "must be at least %d characters (the owner's token) when search.backend is remote", minRemoteTokenLength)
		}
	case SearchElasticsearch:
		es := c.Search.Elasticsearch
		if len(es.Addresses) == 0 {
			bad("search.elasticsearch.addresses", "must list at least one URL like https://es.example.com:9200 when search.backend is elasticsearch")
		}
		for i, a := range es.Addresses {
			if !strings.HasPrefix(a, "http://") && !strings.HasPrefix(a, "https://") {
				bad(fmt.Sprintf("search.elasticsearch.addresses[%d]", i), "must be an http:// or https:// URL, got %q", a)
			}
		}
		if es.APIKey != "" && (es.Username != "" || es.Password != "") {
			bad("search.elasticsearch.api_key", "and username/password are alternatives; set one of them")
		}
		if es.CAFile != "" {
			if _, err := os.Stat(es.CAFile); err != nil {
				bad("search.elasticsearch.ca_file", "cannot read %s: %v", es.CAFile, errors.Unwrap(err))
			}
		}
		if es.IndexPrefix == "" || strings.ToLower(es.IndexPrefix) != es.IndexPrefix || strings.ContainsAny(es.IndexPrefix, " \"*\\<|,>/?#:") {
			bad("search.elasticsearch.index_prefix", "must be a non-empty lower-case name without spaces or any of \"*\\<|,>/?#:, got %q", es.IndexPrefix)
		}
	default:
		bad("search.backend", "must be bleve, remote or elasticsearch, got %q", c.Search.Backend)
	}
	c.validateMedia(bad)
	return errors.Join(errs...)
}

// validateMedia checks media.*: the s3 keys only when the backend is s3.
func (c *Config) validateMedia(bad func(key, format string, args ...any)) {
	m := c.Media.S3
	switch c.Media.Backend {
	case MediaFolder:
		return
	case MediaS3:
	default:
		bad("media.backend", "must be folder or s3, got %q", c.Media.Backend)
		return
	}
	if _, err := s3store.CheckEndpoint(m.Endpoint); err != nil {
		bad("media.s3.endpoint", "%v", err)
	}
	if err := s3store.CheckRegion(m.Region); err != nil {
		bad("media.s3.region", "%v", err)
	}
	if err := s3store.CheckBucket(m.Bucket); err != nil {
		bad("media.s3.bucket", "%v", err)
	}
	if err := s3store.CheckPrefix(m.Prefix); err != nil {
		bad("media.s3.prefix", "%v", err)
	}
	if err := s3store.CheckAccessKeyID(m.AccessKeyID); err != nil {
		bad("media.s3.access_key_id", "%v", err)
	}
	if err := s3store.CheckSecret(m.SecretAccessKey); err != nil {
		bad("media.s3.secret_access_key", "%v", err)
	}
	if m.CAFile != "" {
		if _, err := os.Stat(m.CAFile); err != nil {
			bad("media.s3.ca_file", "cannot read %s: %v", m.CAFile, errors.Unwrap(err))
		}
	}
}

// parseToken parses an auth.tokens entry: "name:secret" or
// "name:secret:role", the name a person's name as chat.CheckName takes it,
// the secret at least 16 characters, no white space anywhere. A last part
// that names a role is the role; without one the token is an admin's.
func parseToken(entry string) (name, secret string, role staff.Role, err error) {
	if strings.ContainsFunc(entry, unicode.IsSpace) {
		return "", "", "", errors.New("must not contain white space; separate entries with spaces or commas, each name:secret or name:secret:role")
	}
	name, secret, ok := strings.Cut(entry, ":")
	if !ok || name == "" {
		return "", "", "", errors.New("must be name:secret or name:secret:role")
	}
	role = staff.Admin
	if i := strings.LastIndexByte(secret, ':'); i >= 0 {
		if r, err := staff.ParseRole(secret[i+1:]); err == nil {
			secret, role = secret[:i], r
		}
	}
	if err := chat.CheckName("name", name); err != nil {
		return "", "", "", err
	}
	if len(secret) < 16 {
		return "", "", "", fmt.Errorf("secret of %q must be at least 16 characters", name)
	}
	return name, secret, role, nil
}

// parseUser parses an auth.users entry, "name:role:bcrypt hash".
func parseUser(entry string) (staff.User, error) {
	if strings.ContainsFunc(entry, unicode.IsSpace) {
		return staff.User{}, errors.New("must not contain white space; separate entries with spaces or commas, each name:role:hash")
	}
	parts := strings.SplitN(entry, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return staff.User{}, errors.New("must be name:role:hash, the hash printed by handoff passwd")
	}
	if err := chat.CheckName("name", parts[0]); err != nil {
		return staff.User{}, err
	}
	role, err := staff.ParseRole(parts[1])
	if err != nil {
		return staff.User{}, fmt.Errorf("user %q: %w", parts[0], err)
	}
	if !staff.IsPasswordHash(parts[2]) {
		return staff.User{}, fmt.Errorf("user %q: the hash is not a bcrypt hash; make one with handoff passwd", parts[0])
	}
	return staff.User{Name: parts[0], Role: role, PasswordHash: parts[2]}, nil
}

// checkPage checks a messenger.pages entry, "page ID:page access token",
// and returns the page ID.
func checkPage(entry string) (string, error) {
	if strings.ContainsFunc(entry, unicode.IsSpace) {
		return "", errors.New("must not contain white space; separate entries with spaces or commas, each \"page ID:page access token\"")
	}
	page, token, ok := strings.Cut(entry, ":")
	if !ok || page == "" || token == "" {
		return page, errors.New("must be \"page ID:page access token\"")
	}
	if err := chat.CheckPageID("page ID", page); err != nil {
		return page, err
	}
	return page, nil
}

func isIPOrCIDR(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	_, _, err := net.ParseCIDR(s)
	return err == nil
}

// SMTP security modes.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNone     = "none"
)

func (c *Config) validateSMTP(problems *[]error, bad func(key, format string, args ...any)) {
	before := len(*problems)
	m := c.Notification.SMTP
	if !m.Configured() {
		if m.Username != "" || m.Password != "" || m.From != "" {
			bad("notifications.smtp.host", "must be set when other notifications.smtp keys are (or remove them to send no email)")
		}
		return
	}
	if m.Port < 1 || m.Port > 65535 {
		bad("notifications.smtp.port", "must be a TCP port like 587 (STARTTLS) or 465 (TLS), got %d", m.Port)
	}
	switch m.Security {
	case SMTPStartTLS, SMTPTLS, SMTPNone:
	default:
		bad("notifications.smtp.security", "must be starttls, tls or none, got %q", m.Security)
	}
	if (m.Username == "") != (m.Password == "") {
		bad("notifications.smtp.username", "and notifications.smtp.password must be set together, or both left empty for a server without login")
	}
	if m.From == "" {
		bad("notifications.smtp.from", "must be the sender address like \"handoff <alerts@example.com>\" when notifications.smtp.host is set")
	} else if _, err := mail.ParseAddress(m.From); err != nil {
		bad("notifications.smtp.from", "must be an address like alerts@example.com or \"handoff <alerts@example.com>\", got %q", m.From)
	}
	if len(*problems) == before {
		// The sender's own rules, such as no login in plain text to a
		// remote server, so they stop start-up here rather than later.
		if _, err := notify.NewMailer(m.NotifyConfig()); err != nil {
			bad("notifications.smtp", "%v", err)
		}
	}
}

func (c *Config) validateVonage(problems *[]error, bad func(key, format string, args ...any)) {
	before := len(*problems)
	v := c.Notification.Vonage
	if !strings.HasPrefix(v.BaseURL, "http://") && !strings.HasPrefix(v.BaseURL, "https://") {
		bad("notifications.vonage.base_url", "must be an http:// or https:// URL like https://rest.nexmo.com, got %q", v.BaseURL)
	}
	if !v.Configured() {
		if v.APISecret != "" || v.From != "" {
			bad("notifications.vonage.api_key", "must be set when other notifications.vonage keys are (or remove them to send no SMS)")
		}
		return
	}
	if v.APISecret == "" {
		bad("notifications.vonage.api_secret", "must be set when notifications.vonage.api_key is")
	}
	if v.From == "" {
		bad("notifications.vonage.from", "must be the sender: a number like 359888123456 or a name of up to 11 letters and digits")
	}
	if len(*problems) == before {
		// Vonage's own rules, such as the key's length.
		if _, err := notify.NewSMSSender(v.NotifyConfig()); err != nil {
			bad("notifications.vonage", "%v", err)
		}
	}
}

package bot

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// DefaultConfigPath is where serve, chat and ask look for a configuration
// when none is named.
const DefaultConfigPath = "configs/switchboard.yaml"

// defaultYAML is a copy of configs/switchboard.yaml, so that the binary
// also runs outside the repository (a test keeps the two identical).
//
//go:embed default.yaml
var defaultYAML []byte

// Answer modes.
const (
	ModeExtractive = "extractive"
	ModeGenerative = "generative"
)

// Config is Switchboard's configuration: configs/switchboard.yaml plus the
// secrets of the environment. The zero value of every field means the
// default written on it; ApplyDefaults fills them in.
type Config struct {
	Server       ServerConfig       `yaml:"server"`
	Log          LogConfig          `yaml:"log"`
	Knowledge    KnowledgeConfig    `yaml:"knowledge"`
	Answer       AnswerConfig       `yaml:"answer"`
	Engine       EngineConfig       `yaml:"engine"`
	Conversation ConversationConfig `yaml:"conversation"`
	Redis        RedisConfig        `yaml:"redis"`
	Web          WebConfig          `yaml:"web"`
	Slack        SlackConfig        `yaml:"slack"`
	Discord      DiscordConfig      `yaml:"discord"`

	// Secrets come from the environment only, never from the file.
	Secrets Secrets `yaml:"-"`
}

// ServerConfig is the HTTP server.
type ServerConfig struct {
	// Addr is the listen address. Empty means ":8080"; the environment
	// variable SWITCHBOARD_ADDR overrides it.
	Addr string `yaml:"addr"`
	// AllowedOrigins may call the message API from a browser; "*" allows
	// any. Same-origin calls are always allowed.
	AllowedOrigins stringList `yaml:"allowed_origins"`
	// MaxBodyBytes bounds a request body. Zero means 64 KiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// CitationBaseURL prefixes citation sources to make their links.
	// Empty means "/articles/", where the server publishes the knowledge
	// folder's articles.
	CitationBaseURL string `yaml:"citation_base_url"`
	// ShutdownTimeout bounds how long a shutdown waits for replies in
	// flight. Zero means 20s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// DrainDelay is how long a shutting-down server keeps its listener
	// open while answering 503, so load balancers notice. Zero means none.
	DrainDelay time.Duration `yaml:"drain_delay"`
	// ReplyTimeout bounds the production of one reply. Zero means 60s.
	ReplyTimeout time.Duration `yaml:"reply_timeout"`
	// TrustedProxies are the addresses (CIDR prefixes or single IPs) of
	// reverse proxies whose X-Forwarded-For names the client. Absent
	// means loopback and private networks (DefaultTrustedProxies); an
	// empty list trusts none.
	TrustedProxies *stringList `yaml:"trusted_proxies"`
}

// Proxies parses TrustedProxies (DefaultTrustedProxies when absent).
func (c ServerConfig) Proxies() ([]netip.Prefix, error) {
	list := DefaultTrustedProxies
	if c.TrustedProxies != nil {
		list = *c.TrustedProxies
	}
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// DefaultTrustedProxies are the proxies trusted when the config names
// none: loopback and private networks, where a reverse proxy or load
// balancer in front of the bot sits, and no Internet client does.
var DefaultTrustedProxies = []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}

// LogConfig is the structured log.
type LogConfig struct {
	// Level is debug, info, warn or error. Empty means info.
	Level string `yaml:"level"`
	// Format is text or json. Empty means text on a terminal, json
	// otherwise.
	Format string `yaml:"format"`
}

// KnowledgeConfig is the help-centre knowledge.
type KnowledgeConfig struct {
	// Dir is the folder of articles, or an index file written by
	// `switchboard index` (memory-mapped: serve starts at once, but does
	// not follow changes or publish /articles/). Empty means
	// "configs/knowledge".
	Dir string `yaml:"dir"`
	// PollInterval is how often serve looks for changed files in Dir and
	// reindexes them. Zero means 2s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxFileBytes is the largest article or FAQ file read. A larger one
	// fails the load, naming it, rather than be silently left out. Zero
	// means 1 MiB (knowledge.DefaultMaxFileBytes). A Word or OpenDocument
	// text may be larger (knowledge.FileLimit).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
}

// AnswerConfig is how replies are made.
type AnswerConfig struct {
	// Mode is ModeExtractive or ModeGenerative. Empty means extractive.
	Mode string `yaml:"mode"`
	// Threshold is the retrieval confidence under which the bot falls
	// back. Zero means the knowledge package's default; negative is
	// invalid.
	Threshold float64 `yaml:"threshold"`
	// TopK is the number of snippets retrieved. Zero means 5.
	TopK int `yaml:"top_k"`
	// MinAnswerability is the least probability, by the answerer's
	// learned check of each reply (extractive.Answerability), that a
	// reply is right; below it the bot falls back. Zero means the
	// default, 0.4; negative turns the check off; above 1 is invalid.
	MinAnswerability float64 `yaml:"min_answerability"`
}

// EngineConfig is the decoder of generative mode.
type EngineConfig struct {
	// Model is a .gguf file or a Hugging Face folder. Empty means the
	// embedded default model.
	Model string `yaml:"model"`
	// MaxTokens bounds one generated reply. Zero means 256.
	MaxTokens int `yaml:"max_tokens"`
	// Decoding is DecodingConstrained (the reply is sentences of the
	// retrieved snippets, chosen by the model) or DecodingFree (the model
	// writes the reply, checked sentence by sentence by the grounding
	// guard). Empty means constrained.
	Decoding string `yaml:"decoding"`
	// RerankWeight and DeclineMargin weigh the model's choice in
	// constrained decoding (extractive.Options); zero means the defaults,
	// chosen for the built-in model.
	RerankWeight  float64 `yaml:"rerank_weight"`
	DeclineMargin float64 `yaml:"decline_margin"`
	// KVCache is the precision of the attention caches: auto (f32 for a
	// model stored in F32, f16 otherwise), f16 or f32 (engine.Options).
	KVCache string `yaml:"kv_cache"`
}

// Decodings of generative answers.
const (
	DecodingConstrained = "constrained"
	DecodingFree        = "free"
)

// ConversationConfig is the pipeline's policy.
type ConversationConfig struct {
	// HistoryTurns is how many turns a session keeps. Zero means 20.
	HistoryTurns int `yaml:"history_turns"`
	// SessionTTL is how long an idle session lives. Zero means 30m.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// HandoffTTL is how long an idle session a human agent owns lives,
	// at least SessionTTL. Zero means 24h.
	HandoffTTL time.Duration `yaml:"handoff_ttl"`
	// RateLimit messages per RateWindow are allowed per user. Zero means
	// 20 per minute.
	RateLimit  int           `yaml:"rate_limit"`
	RateWindow time.Duration `yaml:"rate_window"`
	// ClientRateLimit messages per RateWindow are allowed per network
	// address on the widget and an open OpenAI-compatible API, whose
	// callers name their own user. Zero means 120; negative, no limit.
	ClientRateLimit int `yaml:"client_rate_limit"`
	// MaxFallbacks in a row hand the session to a human. Zero means 2.
	MaxFallbacks int `yaml:"max_fallbacks"`
	// Workers is how many sessions are answered in parallel. Zero means
	// the number of CPUs.
	Workers int `yaml:"workers"`
	// LockTTL bounds how long a replica that died can keep holding a
	// session (its other messages wait meanwhile); it must exceed the
	// longest reply. Zero means 2m.
	LockTTL time.Duration `yaml:"lock_ttl"`
}

// RedisConfig is the Redis session store (used when REDIS_URL is set)
// and the work queue between gateway and worker replicas (serve --role).
type RedisConfig struct {
	// Prefix starts every key. Empty means "sb".
	Prefix string `yaml:"prefix"`
	// QueueMaxAge is the age of the oldest queued message past which
	// gateways answer 503 "busy, please retry". Zero means 30s.
	QueueMaxAge time.Duration `yaml:"queue_max_age"`
	// QueueMaxLen caps the queue; gateways refuse messages at this
	// length. Zero means 100000.
	QueueMaxLen int64 `yaml:"queue_max_len"`
	// QueueClaimAfter is how long a message taken by a worker that
	// stopped answering (it died, or lost Redis) waits before another
	// worker takes it over; live workers renew their messages every
	// third of it. Zero means 30s.
	QueueClaimAfter time.Duration `yaml:"queue_claim_after"`
}

// WebConfig is the web channel.
type WebConfig struct {
	// MaxTextLen bounds a message in characters. Zero means 4000.
	MaxTextLen int `yaml:"max_text_len"`
	// SignatureTolerance is the accepted age of a webhook signature.
	// Zero means 5m.
	SignatureTolerance time.Duration `yaml:"signature_tolerance"`
	// Callback delivery: attempts (zero: 5), first backoff (zero: 500ms,
	// doubling), backoff cap (zero: 30s), per-attempt timeout (zero: 10s).
	CallbackAttempts   int           `yaml:"callback_attempts"`
	CallbackBackoff    time.Duration `yaml:"callback_backoff"`
	CallbackMaxBackoff time.Duration `yaml:"callback_max_backoff"`
	CallbackTimeout    time.Duration `yaml:"callback_timeout"`
	// HandoffURL is POSTed each widget visitor handed to a human and each
	// message they send meanwhile (web.AgentEvent), signed and retried
	// like callbacks. Empty: none.
	HandoffURL string `yaml:"handoff_url"`
}

// SlackConfig is the Slack adapter (on when its credentials are set).
type SlackConfig struct {
	// AgentsChannel is the channel id ("C0123456789") that handoff notices
	// are posted to. Empty means no notice; the handoff still happens.
	AgentsChannel string `yaml:"agents_channel"`
}

// DiscordConfig is the Discord adapter (on when its credentials are set).
type DiscordConfig struct {
	// AgentsChannel is the channel id that handoff notices are posted to.
	// Empty means no notice; the handoff still happens.
	AgentsChannel string `yaml:"agents_channel"`
	// UseThreads answers a guild message in a thread started from it (one
	// session per thread) instead of replying in the channel.
	UseThreads bool `yaml:"use_threads"`
}

// Secrets are read from the environment (names in DESIGN.md). An empty
// field means the variable is unset.
type Secrets struct {
	RedisURL     string // REDIS_URL: empty means the in-process store
	WidgetSecret string // WIDGET_SECRET: empty means a random one per process
	AdminToken   string // SWITCHBOARD_ADMIN_TOKEN: empty disables the operator API
	// APIKeys is SWITCHBOARD_API_KEYS: comma-separated bearer tokens of the
	// OpenAI-compatible API. Empty leaves that API open.
	APIKeys string

	SlackBotToken      string // SLACK_BOT_TOKEN
	SlackSigningSecret string // SLACK_SIGNING_SECRET
	SlackAppToken      string // SLACK_APP_TOKEN (Socket Mode)
	SlackAPIURL        string // SLACK_API_URL

	DiscordBotToken      string // DISCORD_BOT_TOKEN
	DiscordPublicKey     string // DISCORD_PUBLIC_KEY
	DiscordApplicationID string // DISCORD_APPLICATION_ID
	DiscordAPIURL        string // DISCORD_API_URL
}

// SecretsFromEnv reads Secrets with getenv (os.Getenv in production).
func SecretsFromEnv(getenv func(string) string) Secrets {
	return Secrets{
		RedisURL:             getenv("REDIS_URL"),
		WidgetSecret:         getenv("WIDGET_SECRET"),
		AdminToken:           getenv("SWITCHBOARD_ADMIN_TOKEN"),
		APIKeys:              getenv("SWITCHBOARD_API_KEYS"),
		SlackBotToken:        getenv("SLACK_BOT_TOKEN"),
		SlackSigningSecret:   getenv("SLACK_SIGNING_SECRET"),
		SlackAppToken:        getenv("SLACK_APP_TOKEN"),
		SlackAPIURL:          getenv("SLACK_API_URL"),
		DiscordBotToken:      getenv("DISCORD_BOT_TOKEN"),
		DiscordPublicKey:     getenv("DISCORD_PUBLIC_KEY"),
		DiscordApplicationID: getenv("DISCORD_APPLICATION_ID"),
		DiscordAPIURL:        getenv("DISCORD_API_URL"),
	}
}

// ParseConfig decodes a YAML configuration (unknown fields are errors) and
// applies the defaults. It reads no environment.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		if strings.Contains(err.Error(), "time.Duration") {
			// "cannot unmarshal !!int `20` into time.Duration"
			return Config{}, fmt.Errorf("parse config: %w (a duration needs a unit: 20s, 5m, 1h)", err)
		}
		return Config{}, fmt.Errorf("parse config: %w", err)
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads the configuration at path, or, when path is empty,
// DefaultConfigPath if it exists and the embedded default otherwise. Then
// it takes the secrets and SWITCHBOARD_ADDR from getenv (nil means
// os.Getenv). It returns the path it read ("" for the embedded default).
func LoadConfig(path string, getenv func(string) string) (Config, string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	data := defaultYAML
	switch {
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, "", fmt.Errorf("read config: %w", err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			// A truncated deploy would serve the demo help centre.
			return Config{}, path, fmt.Errorf("%s: the configuration file is empty (leave out --config to run on the built-in defaults)", path)
		}
		data = b
	default:
		b, err := os.ReadFile(DefaultConfigPath)
		switch {
		case err == nil:
			data, path = b, DefaultConfigPath
		case !errors.Is(err, fs.ErrNotExist):
			return Config{}, "", fmt.Errorf("read config: %w", err)
		}
	}
	c, err := ParseConfig(data)
	if err != nil {
		if path != "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return Config{}, path, err
	}
	c.Secrets = SecretsFromEnv(getenv)
	if a := getenv("SWITCHBOARD_ADDR"); a != "" {
		if err := checkAddr(a); err != nil {
			return Config{}, path, fmt.Errorf("SWITCHBOARD_ADDR %q: %w", a, err)
		}
		c.Server.Addr = a
	}
	return c, path, nil
}

// ApplyDefaults replaces every zero field with its default.
func (c *Config) ApplyDefaults() {
	setDefault(&c.Server.Addr, ":8080")
	setDefault(&c.Server.MaxBodyBytes, 64<<10)
	setDefault(&c.Server.CitationBaseURL, "/articles/")
	setDefault(&c.Server.ShutdownTimeout, 20*time.Second)
	setDefault(&c.Server.ReplyTimeout, 60*time.Second)
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Knowledge.Dir, DefaultKnowledgeDir)
	setDefault(&c.Knowledge.PollInterval, knowledge.DefaultPollInterval)
	setDefault(&c.Knowledge.MaxFileBytes, knowledge.DefaultMaxFileBytes)
	setDefault(&c.Answer.Mode, ModeExtractive)
	setDefault(&c.Answer.TopK, conversation.DefaultTopK)
	setDefault(&c.Engine.MaxTokens, 256)
	setDefault(&c.Engine.Decoding, DecodingConstrained)
	setDefault(&c.Engine.KVCache, engine.KVAuto.String())
	setDefault(&c.Conversation.HistoryTurns, 20)
	setDefault(&c.Conversation.SessionTTL, 30*time.Minute)
	setDefault(&c.Conversation.HandoffTTL, 24*time.Hour)
	setDefault(&c.Conversation.RateLimit, 20)
	setDefault(&c.Conversation.RateWindow, time.Minute)
	setDefault(&c.Conversation.ClientRateLimit, 120)
	setDefault(&c.Conversation.MaxFallbacks, 2)
	setDefault(&c.Conversation.Workers, runtime.NumCPU())
	setDefault(&c.Redis.Prefix, "sb")
	setDefault(&c.Web.MaxTextLen, 4000)
	setDefault(&c.Web.SignatureTolerance, 5*time.Minute)
	setDefault(&c.Web.CallbackAttempts, 5)
	setDefault(&c.Web.CallbackBackoff, 500*time.Millisecond)
	setDefault(&c.Web.CallbackMaxBackoff, 30*time.Second)
	setDefault(&c.Web.CallbackTimeout, 10*time.Second)
}

// checkAddr reports what is wrong with a listen address, found before
// the knowledge and the model load rather than after.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	return nil
}

// stringList is a YAML list of strings that may also be written as one
// string: `allowed_origins: "*"` as well as `["*"]`.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate reports the first field that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.Answer.Mode != ModeExtractive && c.Answer.Mode != ModeGenerative {
		errs = append(errs, fmt.Errorf("answer.mode %q: want %s or %s", c.Answer.Mode, ModeExtractive, ModeGenerative))
	}
	if c.Engine.Decoding != DecodingConstrained && c.Engine.Decoding != DecodingFree {
		errs = append(errs, fmt.Errorf("engine.decoding %q: want %s or %s", c.Engine.Decoding, DecodingConstrained, DecodingFree))
	}
	if _, err := engine.ParseKVPrecision(c.Engine.KVCache); err != nil {
		errs = append(errs, fmt.Errorf("engine.kv_cache: %w", err))
	}
	if c.Engine.RerankWeight < 0 || c.Engine.DeclineMargin < 0 {
		errs = append(errs, fmt.Errorf("engine.rerank_weight %v, engine.decline_margin %v: want 0 or more", c.Engine.RerankWeight, c.Engine.DeclineMargin))
	}
	if u := c.Web.HandoffURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("web.handoff_url %q: want an absolute http or https URL", u))
		}
	}
	if _, err := c.Server.Proxies(); err != nil {
		errs = append(errs, fmt.Errorf("server.trusted_proxies: %w", err))
	}
	if err := checkAddr(c.Server.Addr); err != nil {
		errs = append(errs, fmt.Errorf("server.addr %q: %w", c.Server.Addr, err))
	}
	if c.Answer.Threshold < 0 || c.Answer.Threshold > 1 {
		errs = append(errs, fmt.Errorf("answer.threshold %v: want 0..1", c.Answer.Threshold))
	}
	if c.Answer.MinAnswerability > 1 {
		errs = append(errs, fmt.Errorf("answer.min_answerability %v: want at most 1 (negative: no check)", c.Answer.MinAnswerability))
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"server.max_body_bytes", c.Server.MaxBodyBytes},
		{"answer.top_k", int64(c.Answer.TopK)},
		{"engine.max_tokens", int64(c.Engine.MaxTokens)},
		{"conversation.history_turns", int64(c.Conversation.HistoryTurns)},
		{"conversation.rate_limit", int64(c.Conversation.RateLimit)},
		{"conversation.max_fallbacks", int64(c.Conversation.MaxFallbacks)},
		{"conversation.workers", int64(c.Conversation.Workers)},
		{"web.max_text_len", int64(c.Web.MaxTextLen)},
		{"web.callback_attempts", int64(c.Web.CallbackAttempts)},
		{"server.shutdown_timeout", int64(c.Server.ShutdownTimeout)},
		{"server.reply_timeout", int64(c.Server.ReplyTimeout)},
		{"server.drain_delay", int64(c.Server.DrainDelay)},
		{"conversation.session_ttl", int64(c.Conversation.SessionTTL)},
		{"conversation.handoff_ttl", int64(c.Conversation.HandoffTTL)},
		{"conversation.rate_window", int64(c.Conversation.RateWindow)},
		{"conversation.lock_ttl", int64(c.Conversation.LockTTL)},
		{"knowledge.poll_interval", int64(c.Knowledge.PollInterval)},
		{"knowledge.max_file_bytes", c.Knowledge.MaxFileBytes},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("%s: negative", n.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid config: %w", err)
	}
	return nil
}

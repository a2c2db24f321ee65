// Package discord connects Switchboard to Discord (github.com/bwmarrin/discordgo):
// a gateway bot that answers direct messages and mentions, and the
// /ask slash command over HTTP interactions (POST /discord/interactions).
//
// # Gateway
//
// When Options.BotToken is set, Run connects to the gateway with the
// intents GUILD_MESSAGES, DIRECT_MESSAGES and MESSAGE_CONTENT and nothing
// more. Direct messages and messages that mention the bot (the mention
// stripped) are answered; the bot's own messages, other bots, webhooks and
// system messages are ignored. While the reply is produced the channel
// shows the typing indicator (refreshed every TypingInterval). The reply
// references the user's message, or, with Options.UseThreads, goes into a
// thread started from it (or the thread the message was in). One session
// per thread, per DM, or per channel and user. A dropped connection is
// re-opened with a RESUME (discordgo keeps the session id and sequence);
// Discord replays what was missed, and the Handler's dedup by message id
// drops what was already answered.
//
// # Interactions
//
// POST /discord/interactions checks the Ed25519 signature of every request
// against Options.PublicKey (401 otherwise, as Discord's own probes
// expect), answers PING with PONG, answers /ask with a deferred response at
// once and posts the reply as follow-up webhook messages when it is ready,
// and handles the reply buttons (feedback, "Talk to a human"). Button
// clicks that Discord delivers over the gateway instead (apps without an
// interactions URL) are handled the same way.
//
// # Replies
//
// Replies are Discord markdown with citations as masked links ([title](url))
// or "title — source", split under the 2,000-character limit on paragraph,
// line or sentence boundaries; only the first part references the user's
// message and the last carries the buttons. Replies never ping anyone
// (allowed_mentions is empty) and link previews are suppressed. A handoff
// posts a notice with a summary to Options.AgentsChannel.
//
// # Failures
//
// Every REST call has a timeout (CallTimeout) that holds even while
// discordgo waits for a rate-limit bucket, and after a few outage-like
// failures in a row calls fail fast for a while (ErrDiscordDown), so a
// Discord outage does not hold the pipeline's shared workers. discordgo's
// per-route rate limiter is kept; a 429 is logged, counted, and retried
// once after its retry_after when that is at most MaxRetryAfter. No lock is
// shared between messages.
//
// # DISCORD_API_URL
//
// discordgo's endpoints are package globals computed at init; this package
// never modifies them. Options.APIURL instead installs an http.Client whose
// transport rewrites every request for https://discord.com/api/v9/… to the
// given base, so several adapters (and tests) with different bases can
// live in one process. The gateway URL is whatever GET /gateway at that
// base returns. Code that calls discordgo REST methods on its own session
// (not through this package) is not redirected.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/adapters/internal/breaker"
	"github.com/switchboard/switchboard/adapters/internal/inflight"
	"github.com/switchboard/switchboard/conversation"
)

// Platform is the Address.Platform of Discord messages.
const Platform = "discord"

// Intents are the gateway intents the bot asks for: guild messages, direct
// messages and message content (privileged: enable it in the Developer
// Portal, or the gateway closes with 4014).
const Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent

// Defaults of Options.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultCallTimeout    = 5 * time.Second
	DefaultReplyTimeout   = 2 * time.Minute
	DefaultMaxRetryAfter  = 5 * time.Second
	DefaultTypingInterval = 8 * time.Second
	DefaultMaxInFlight    = 256
	DefaultDrainTimeout   = 10 * time.Second
	DefaultMaxBackoff     = time.Minute
)

var (
	// ErrClosed is returned by a second Shutdown.
	ErrClosed = errors.New("discord: adapter closed")
	// ErrBadSignature means an interaction's Ed25519 signature is missing
	// or does not verify.
	ErrBadSignature = errors.New("discord: invalid request signature")
)

// Options configure an Adapter. Handler is required, and BotToken or
// PublicKey; every other zero value means the default written on it.
type Options struct {
	// Handler runs the conversation pipeline (the conversation.Manager).
	// When it also implements Handoffer or Historian, the "Talk to a
	// human" button and the agents' notice use them.
	Handler conversation.Handler
	// BotToken is DISCORD_BOT_TOKEN, with or without the "Bot " prefix.
	// Empty means no gateway (Run just waits) and no agents' notice.
	BotToken string
	// PublicKey is DISCORD_PUBLIC_KEY, the application's hex Ed25519 key.
	// Empty means POST /discord/interactions refuses every request (401).
	PublicKey string
	// ApplicationID is DISCORD_APPLICATION_ID. Follow-ups use the id
	// each interaction carries; this one is the fallback.
	ApplicationID string
	// APIURL is DISCORD_API_URL, the REST base. Empty means
	// https://discord.com/. A base whose path ends in /api or /api/vN
	// replaces that part of discordgo's /api/v9 paths; any other base is
	// prefixed to them (see the package doc).
	APIURL string
	// UseThreads puts replies to guild messages in a thread started from
	// the message (one session per thread) instead of replying in the
	// channel.
	UseThreads bool
	// AgentsChannel is the channel id that handoff notices are posted
	// to. Empty means no notice (the handoff still happens).
	AgentsChannel string
	// Desk, with AgentsChannel and BotToken, lets agents answer users of
	// other channels (the web widget) in threads of the agents' channel;
	// see ToAgents. Nil means notices of Discord's own conversations only.
	Desk conversation.AgentDesk
	// CitationBaseURL is the absolute URL a citation's relative URL, or
	// else its source, is resolved against to make a link. Empty means
	// citations without an absolute URL show their title and source.
	CitationBaseURL string

	// Logger receives the adapter's logs. Nil means slog.Default(), in
	// the group "discord".
	Logger *slog.Logger
	// Metrics receives the adapter's counters; nil fields are skipped.
	Metrics Metrics
	// HTTPClient carries the REST calls. Nil means a client with
	// http.DefaultTransport. Its transport is wrapped by the APIURL
	// rewrite.
	HTTPClient *http.Client
	// Dialer dials the gateway websocket. Nil means a dialer with a 10 s
	// handshake timeout. Its NetDialContext (if any) is wrapped so that
	// the handshake has a deadline and Run can cut a hung connection.
	Dialer *websocket.Dialer

	// MaxBodyBytes bounds an interaction body (413 above). Zero or less
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CallTimeout bounds every REST call, rate-limit waits included. Zero
	// or less means DefaultCallTimeout.
	CallTimeout time.Duration
	// ReplyTimeout bounds the whole answer to one message. Zero or less
	// means DefaultReplyTimeout.
	ReplyTimeout time.Duration
	// MaxRetryAfter is the longest retry_after of a 429 that is waited
	// for before the one retry; longer ones fail the call. Zero means
	// DefaultMaxRetryAfter; negative means never retry.
	MaxRetryAfter time.Duration
	// TypingInterval is how often the typing indicator (which Discord
	// shows for 10 s) is refreshed. Zero or less means
	// DefaultTypingInterval.
	TypingInterval time.Duration
	// MaxInFlight bounds the replies being produced at once; above it
	// messages are dropped (logged) and commands answered "busy". Zero or
	// less means DefaultMaxInFlight.
	MaxInFlight int
	// DrainTimeout is how long Run, once its ctx is done, lets replies in
	// flight finish before cancelling them. Zero or less means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
	// MaxBackoff is the longest wait between two attempts to reconnect
	// to the gateway. Zero or less means DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Metrics receives the adapter's measurements, so that bot/ can feed
// Prometheus without this package importing it. Every field is optional.
// The functions are called from many goroutines and must not block.
type Metrics struct {
	// Feedback is called for every click of Helpful (true) or Not
	// helpful (false).
	Feedback func(helpful bool)
	// HandoffButton is called for every click of "Talk to a human".
	HandoffButton func()
	// APIError is called for every failed REST call with the operation
	// ("message.create") and a code: "ratelimited", "timeout",
	// "transport", "http_<status>", or "circuit_open" for a call not made
	// because Discord looks down.
	APIError func(op, code string)
	// Reconnect is called every time the gateway connection is re-opened
	// after a drop.
	Reconnect func()
}

func (m *Metrics) feedback(helpful bool) {
	if m.Feedback != nil {
		m.Feedback(helpful)
	}
}

func (m *Metrics) handoffButton() {
	if m.HandoffButton != nil {
		m.HandoffButton()
	}
}

func (m *Metrics) apiError(op, code string) {
	if m.APIError != nil {
		m.APIError(op, code)
	}
}

func (m *Metrics) reconnect() {
	if m.Reconnect != nil {
		m.Reconnect()
	}
}

// A Handoffer is a Handler that can hand a session to a human agent on
// request (the "Talk to a human" button). Without it the button sends the
// Handler a message asking for a human, which the Manager's handoff policy
// answers.
type Handoffer interface {
	Handoff(ctx context.Context, a conversation.Address, reason string) error
}

// A Historian is a Handler that can show a session's saved turns, for the
// summary in the agents' notice. Without it the notice quotes the message
// that led to the handoff.
type Historian interface {
	History(ctx context.Context, session string) ([]conversation.Turn, error)
}

// Enabled reports whether o holds the credentials the adapter needs, and
// if not, why, in words fit for serve's one log line.
func Enabled(o Options) (bool, string) {
	if o.BotToken == "" && o.PublicKey == "" {
		return false, "neither DISCORD_BOT_TOKEN (gateway) nor DISCORD_PUBLIC_KEY (interactions) is set"
	}
	return true, ""
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup(Platform)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = DefaultReplyTimeout
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.TypingInterval <= 0 {
		o.TypingInterval = DefaultTypingInterval
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	return o
}

// An Adapter is the Discord channel. It implements bot.Adapter and
// bot.Runner; create it with New. Its methods are safe for concurrent use.
type Adapter struct {
	opts    Options
	log     *slog.Logger
	key     ed25519.PublicKey  // nil when no PublicKey: interactions refused
	rest    *discordgo.Session // REST calls only; the gateway has its own
	breaker breaker.Breaker    // in front of every REST call
	work    *inflight.Group    // replies, interactions and abandoned REST calls
	threads agentthread.Cache  // agents' threads and their sessions

	mu    sync.Mutex
	botID string // guarded by mu: the bot's user id, from READY
}

// The interfaces of bot.Adapter and bot.Runner, restated because bot
// imports this package (pin_test pins the real ones).
var (
	_ interface {
		Name() string
		Register(*http.ServeMux)
	} = (*Adapter)(nil)
	_ interface{ Run(context.Context) error }   = (*Adapter)(nil)
	_ interface{ Drain(context.Context) error } = (*Adapter)(nil)
)

// New returns an Adapter for o. It fails when Handler is nil, no
// credential is set (see Enabled), or PublicKey or APIURL is malformed.
func New(o Options) (*Adapter, error) {
	if o.Handler == nil {
		return nil, errors.New("new discord adapter: no handler")
	}
	if ok, why := Enabled(o); !ok {
		return nil, fmt.Errorf("new discord adapter: %s", why)
	}
	o = o.withDefaults()
	var key ed25519.PublicKey
	if o.PublicKey != "" {
		k, err := ParsePublicKey(o.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("new discord adapter: %w", err)
		}
		key = k
	}
	rest, err := newSession(o.BotToken, o.APIURL, o.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("new discord adapter: %w", err)
	}
	return &Adapter{
		opts: o,
		log:  o.Logger,
		key:  key,
		rest: rest,
		work: inflight.New(inflight.Options{
			Limit: o.MaxInFlight, Timeout: o.ReplyTimeout, Logger: o.Logger, Name: "discord reply",
		}),
	}, nil
}

// ParsePublicKey decodes a hex Ed25519 public key (DISCORD_PUBLIC_KEY).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("parse discord public key: %w", err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("parse discord public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Name returns "discord".
func (a *Adapter) Name() string { return Platform }

// Register adds POST /discord/interactions to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /discord/interactions", a.handleInteractions)
}

// Run connects to the gateway when Options.BotToken is set, or just
// waits, until ctx is done; then it lets the replies in flight finish for
// up to DrainTimeout, cancels the rest, and returns once every goroutine
// the adapter started has stopped. It returns an error only when the
// gateway refuses the bot for good (bad token, disallowed intents).
func (a *Adapter) Run(ctx context.Context) error {
	var err error
	if a.opts.BotToken != "" {
		err = a.runGateway(ctx)
	} else {
		<-ctx.Done()
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.DrainTimeout)
	defer cancel()
	// When another Shutdown (Drain) is under way, Drain waits for it.
	if serr := a.Drain(dctx); serr != nil {
		a.log.Warn("replies cancelled at shutdown", "err", serr)
	}
	return err
}

// Drain is Shutdown for the server's shutdown sequence (bot.Drainer): it
// lets replies in flight finish until ctx is done, then cancels them, and
// returns nil when the adapter was already shut down.
func (a *Adapter) Drain(ctx context.Context) error {
	if err := a.work.Drain(ctx); err != nil {
		return fmt.Errorf("drain discord replies: %w", err)
	}
	return nil
}

// Shutdown stops taking work (interactions get 503, messages are
// dropped), waits for the replies in flight until ctx is done, then
// cancels them and waits for their goroutines, and the REST calls they
// abandoned, to return. It does not close the gateway; Run does that
// when its ctx is done. A second Shutdown returns ErrClosed.
func (a *Adapter) Shutdown(ctx context.Context) error {
	switch err := a.work.Shutdown(ctx); {
	case errors.Is(err, inflight.ErrClosed):
		return ErrClosed
	case err != nil:
		return fmt.Errorf("drain discord replies: %w", err)
	}
	return nil
}

// setBotID records the bot's own user id.
func (a *Adapter) setBotID(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.botID = id
}

// botUserID returns the bot's own user id, empty before READY.
func (a *Adapter) botUserID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

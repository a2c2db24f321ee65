// Package slack connects Switchboard to Slack: the Events API over HTTP
// (POST /slack/events), interactivity (POST /slack/interactions) and
// Socket Mode, with replies through the Web API (github.com/slack-go/slack).
//
// # Inbound
//
// Every HTTP request is checked against SLACK_SIGNING_SECRET (see Verify)
// before anything else and answered within Slack's 3 seconds: the reply is
// produced by a goroutine the Adapter owns. Direct messages (message.im)
// and mentions (app_mention, the mention stripped) are answered; the bot's
// own messages, other bots, edits, deletions, joins and other subtypes are
// ignored. Each message becomes a conversation.Message whose ID is the
// event_id, so Slack's redeliveries (X-Slack-Retry-Num) are acknowledged
// and then dropped by the Handler's store-backed dedup, across replicas.
//
// # Replies
//
// Replies go in the message's thread (one session per thread), in Slack
// mrkdwn, citations as links, split under Slack's limits. When the answer
// takes a while a "Thinking…" message is posted and then updated in place
// (chat.update, at most once per UpdateInterval) as the answer streams;
// the final answer replaces it. The last message carries feedback buttons
// and a "Talk to a human" button. A handoff posts a notice with a summary
// of the conversation to Options.AgentsChannel; users of other channels
// handed off get a thread there that agents answer them in (ToAgents).
//
// # Failures
//
// Every Web API call has a timeout, and after a few outage-like failures
// in a row calls fail fast for a while (ErrSlackDown), so that a Slack
// outage does not hold the pipeline's shared workers. A 429 is retried once after its
// Retry-After (when that is at most MaxRetryAfter). chat.postMessage is
// never blindly re-sent: a post that failed ambiguously (timeout, 5xx) is
// re-sent only after conversations.replies shows it is not in the thread
// (each part carries message metadata naming its event and part), so
// neither Slack's retries nor ours post twice. Errors are logged with the
// Slack error code and counted in Metrics.APIError. No lock is shared
// between messages, so a Slack outage delays only Slack replies.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/adapters/internal/breaker"
	"github.com/switchboard/switchboard/adapters/internal/inflight"
	"github.com/switchboard/switchboard/conversation"
)

// Platform is the Address.Platform of Slack messages.
const Platform = "slack"

// DefaultAPIURL is the Slack Web API base URL.
const DefaultAPIURL = "https://slack.com/api/"

// Defaults of Options.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultCallTimeout    = 5 * time.Second
	DefaultReplyTimeout   = 2 * time.Minute
	DefaultMaxRetryAfter  = 10 * time.Second
	DefaultUpdateInterval = time.Second
	DefaultThinkingDelay  = 750 * time.Millisecond
	DefaultUserCacheTTL   = time.Hour
	DefaultMaxInFlight    = 256
	DefaultDrainTimeout   = 10 * time.Second
)

// ErrClosed is returned by a second Shutdown.
var ErrClosed = errors.New("slack: adapter closed")

// Options configure an Adapter. Handler and BotToken are required, and
// SigningSecret or AppToken; every other zero value means the default
// written on it.
type Options struct {
	// Handler runs the conversation pipeline (the conversation.Manager).
	// When it also implements Handoffer or Historian, the "Talk to a
	// human" button and the agents' notice use them.
	Handler conversation.Handler
	// BotToken is SLACK_BOT_TOKEN (xoxb-…), used for every Web API call.
	BotToken string
	// SigningSecret is SLACK_SIGNING_SECRET. Empty means the HTTP routes
	// refuse every request (401): use Socket Mode.
	SigningSecret string
	// AppToken is SLACK_APP_TOKEN (xapp-…). When set, Run connects with
	// Socket Mode; the HTTP routes keep working.
	AppToken string
	// APIURL is SLACK_API_URL, the Web API base. Empty means
	// DefaultAPIURL; a missing trailing slash is added.
	APIURL string
	// AgentsChannel is the channel id that handoff notices are posted
	// to. Empty means no notice (the handoff still happens).
	AgentsChannel string
	// Desk, with AgentsChannel, lets agents answer users of other
	// channels (the web widget) in threads of the agents' channel; see
	// ToAgents. Nil means notices of Slack's own conversations only.
	Desk conversation.AgentDesk
	// CitationBaseURL is the absolute URL ("https://help.example.com/articles/")
	// that a citation's relative URL, or else its source, is resolved
	// against to make a link. Empty means citations without an absolute
	// URL show their title and source.
	CitationBaseURL string
	// BotUserID is the bot's own user id. Empty means it is taken from
	// the event's authorizations, else from auth.test (once).
	BotUserID string

	// Logger receives the adapter's logs. Nil means slog.Default(), in
	// the group "slack".
	Logger *slog.Logger
	// Metrics receives the adapter's counters; nil fields are skipped.
	Metrics Metrics
	// Clock is the time used for signatures and update throttling. Nil
	// means time.Now.
	Clock func() time.Time
	// HTTPClient carries the Web API calls. Nil means slack-go's default.
	HTTPClient *http.Client

	// MaxBodyBytes bounds a request body (413 above). Zero or less means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CallTimeout bounds every Web API call. Zero or less means
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// ReplyTimeout bounds the whole answer to one message. Zero or less
	// means DefaultReplyTimeout.
	ReplyTimeout time.Duration
	// MaxRetryAfter is the longest Retry-After that is waited for before
	// the one retry of a rate-limited call; longer ones fail the call.
	// Zero means DefaultMaxRetryAfter; negative means never retry.
	MaxRetryAfter time.Duration
	// UpdateInterval is the least time between two chat.update calls of a
	// streaming reply. Zero or less means DefaultUpdateInterval.
	UpdateInterval time.Duration
	// ThinkingDelay is how long a reply may take before a "Thinking…"
	// message is posted. Zero means DefaultThinkingDelay; negative means
	// only when the answer starts streaming. Slack's redeliveries never
	// post it early (they are usually duplicates).
	ThinkingDelay time.Duration
	// UserCacheTTL is how long a resolved user name is kept. Zero or less
	// means DefaultUserCacheTTL.
	UserCacheTTL time.Duration
	// MaxInFlight bounds the replies being produced at once; above it
	// events are refused with 503 so that Slack redelivers them later.
	// Zero or less means DefaultMaxInFlight.
	MaxInFlight int
	// DrainTimeout is how long Run, once its ctx is done, lets replies in
	// flight finish before cancelling them. Zero or less means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
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
	// APIError is called for every failed Web API call with the method
	// ("chat.postMessage") and the Slack error code ("channel_not_found",
	// "ratelimited", "timeout", "http_503", "transport", and "circuit_open"
	// for a call not made because Slack looks down).
	APIError func(method, code string)
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

func (m *Metrics) apiError(method, code string) {
	if m.APIError != nil {
		m.APIError(method, code)
	}
}

// A Handoffer is a Handler that can hand a session to a human agent on
// request (the "Talk to a human" button). Without it the button sends the
// Handler a message asking for a human, which the Manager's policy turns
// into a handoff.
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
	switch {
	case o.BotToken == "":
		return false, "SLACK_BOT_TOKEN is not set"
	case o.SigningSecret == "" && o.AppToken == "":
		return false, "neither SLACK_SIGNING_SECRET (Events API) nor SLACK_APP_TOKEN (Socket Mode) is set"
	}
	return true, ""
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup(Platform)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/" // slack-go appends the method name to the base
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
	if o.UpdateInterval <= 0 {
		o.UpdateInterval = DefaultUpdateInterval
	}
	if o.ThinkingDelay == 0 {
		o.ThinkingDelay = DefaultThinkingDelay
	}
	if o.UserCacheTTL <= 0 {
		o.UserCacheTTL = DefaultUserCacheTTL
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	return o
}

// An Adapter is the Slack channel. It implements bot.Adapter and
// bot.Runner; create it with New. Its methods are safe for concurrent use.
type Adapter struct {
	opts    Options
	log     *slog.Logger
	api     *slackapi.Client
	users   *userCache
	breaker breaker.Breaker   // in front of every Web API call
	work    *inflight.Group   // replies, interactions and timers in flight
	threads agentthread.Cache // agents' threads and their sessions

	mu      sync.Mutex
	botUser string // guarded by mu: the bot's user id once known
}

// The interfaces of bot.Adapter and bot.Runner, restated because bot
// imports this package (slack_test pins the real ones).
var (
	_ interface {
		Name() string
		Register(*http.ServeMux)
	} = (*Adapter)(nil)
	_ interface{ Run(context.Context) error } = (*Adapter)(nil)
)

// New returns an Adapter for o. It fails when Handler is nil or a
// credential is missing (see Enabled).
func New(o Options) (*Adapter, error) {
	if o.Handler == nil {
		return nil, errors.New("new slack adapter: no handler")
	}
	if ok, why := Enabled(o); !ok {
		return nil, fmt.Errorf("new slack adapter: %s", why)
	}
	o = o.withDefaults()
	apiOpts := []slackapi.Option{slackapi.OptionAPIURL(o.APIURL)}
	if o.HTTPClient != nil {
		apiOpts = append(apiOpts, slackapi.OptionHTTPClient(o.HTTPClient))
	}
	if o.AppToken != "" {
		apiOpts = append(apiOpts, slackapi.OptionAppLevelToken(o.AppToken))
	}
	a := &Adapter{
		opts: o,
		log:  o.Logger,
		api:  slackapi.New(o.BotToken, apiOpts...),
		work: inflight.New(inflight.Options{
			Limit: o.MaxInFlight, Timeout: o.ReplyTimeout, Logger: o.Logger, Name: "slack reply",
		}),
		botUser: o.BotUserID,
	}
	a.users = newUserCache(a, o.UserCacheTTL)
	return a, nil
}

// Name returns "slack".
func (a *Adapter) Name() string { return Platform }

// Register adds POST /slack/events and POST /slack/interactions to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/events", a.handleEvents)
	mux.HandleFunc("POST /slack/interactions", a.handleInteractions)
}

// Run connects with Socket Mode when Options.AppToken is set, or just
// waits, until ctx is done; then it lets the replies in flight finish for
// up to DrainTimeout, cancels the rest, and returns once every goroutine
// the adapter started has stopped. It returns an error only when Socket
// Mode fails for good (an invalid app token).
func (a *Adapter) Run(ctx context.Context) error {
	var err error
	if a.opts.AppToken != "" {
		err = a.runSocket(ctx)
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
		return fmt.Errorf("drain slack replies: %w", err)
	}
	return nil
}

// Shutdown stops taking events (they are refused with 503 so that Slack
// redelivers them to another replica), waits for the replies in flight
// until ctx is done, then cancels them and waits for their goroutines to
// return. A second Shutdown returns ErrClosed.
func (a *Adapter) Shutdown(ctx context.Context) error {
	switch err := a.work.Shutdown(ctx); {
	case errors.Is(err, inflight.ErrClosed):
		return ErrClosed
	case err != nil:
		return fmt.Errorf("drain slack replies: %w", err)
	}
	return nil
}

package conversation

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard/switchboard/knowledge"
)

// A Turn is one saved message of a session: the user's, the bot's, or a
// human agent's. A user's Text is already redacted of personal data.
type Turn struct {
	Role      string               `json:"role"` // RoleUser, RoleAssistant or RoleAgent
	Text      string               `json:"text"`
	Name      string               `json:"name,omitempty"` // an agent's name, as the user sees it
	MessageID string               `json:"message_id,omitempty"`
	Citations []knowledge.Citation `json:"citations,omitempty"`
	Time      time.Time            `json:"time"`
}

// Turn roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant" // the bot
	RoleAgent     = "agent"     // a human agent, in a handed-off session
)

// Session states.
const (
	StateBot   = "bot"   // the bot answers
	StateHuman = "human" // handed off: the bot stays silent
)

// Meta is the small mutable state of a session.
type Meta struct {
	State     string    // StateBot (also when empty) or StateHuman
	Fallbacks int       // fallbacks in a row, reset by a grounded answer
	Turns     int       // user messages handled
	HandoffAt time.Time // when the session was handed off; zero if never
	// AgentThread is where agents talk with a user whose platform has
	// none for them (the web widget): "slack:<channel>:<thread ts>".
	AgentThread string
	// ReplyTo is where a human agent's replies to the user are pushed:
	// the callback_url their last message named (a webhook's), or "".
	ReplyTo string
}

// ErrClosed is returned by a Store's methods after Close, and by a second
// Close.
var ErrClosed = errors.New("conversation: store closed")

// A Store persists session state between turns, in memory or in Redis.
// Implementations must be safe for concurrent use by many goroutines and,
// for shared stores, by many processes. Every key expires: history and
// meta after the session TTL (refreshed on every write), dedup marks after
// their own TTL. Every ttl, window, max and limit argument must be
// positive; a non-positive one is an error and writes nothing. A store that cannot be reached returns an
// error wrapping ErrUnavailable; a done ctx gives an error wrapping
// ctx.Err(). Slices passed in and returned are not retained or shared.
type Store interface {
	// MarkSeen records a platform message id and reports whether this was
	// the first time (false means a duplicate). An empty id cannot be
	// deduplicated: it is not recorded and always reports first.
	MarkSeen(ctx context.Context, platform, id string, ttl time.Duration) (first bool, err error)

	// Lock takes the session's exclusive lock, waiting until it is free or
	// ctx is done. The lock expires after ttl if its holder dies; unlock
	// releases it only if it is still held by this caller (unlocking a lock
	// that expired, or was since taken by someone else, does nothing and
	// returns nil). Calling unlock more than once is harmless.
	Lock(ctx context.Context, session string, ttl time.Duration) (unlock func(context.Context) error, err error)

	// History returns the session's saved turns, oldest first (nil, nil for
	// an unknown session).
	History(ctx context.Context, session string) ([]Turn, error)

	// SaveTurn atomically appends turns to the history (keeping only the
	// newest max), stores meta, and refreshes the session TTL. Either all
	// of it is written or none.
	SaveTurn(ctx context.Context, session string, turns []Turn, meta Meta, max int, ttl time.Duration) error

	// Meta returns the session's meta (the zero Meta for an unknown session).
	Meta(ctx context.Context, session string) (Meta, error)

	// SetMeta replaces the session's meta and refreshes the session's TTL
	// (history included); the history is left as it is.
	SetMeta(ctx context.Context, session string, meta Meta, ttl time.Duration) error

	// Allow counts one event against key in a fixed window and reports
	// whether the count is still within limit. The window starts with the
	// first event counted against key and lasts window.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error

	// Close releases the store's connections.
	Close() error
}

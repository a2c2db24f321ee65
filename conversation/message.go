// Package conversation turns platform messages into grounded replies.
//
// Adapters normalise what a platform delivers into a Message and hand it to a
// Handler (the Manager). The Manager runs the pipeline described in DESIGN.md
// (dedup, rate limit and handoff state, history, retrieval, prompt assembly,
// answering, grounding, saving the turn) one message at a time per session
// and delivers the Reply through the adapter's Sender.
package conversation

import (
	"context"
	"strings"
	"time"

	"github.com/switchboard/switchboard/knowledge"
)

// An Address says where a message came from and where its reply goes.
//
// Platform is "web", "slack", "discord", "cli" or "openai". Tenant is the
// workspace or guild (empty when the platform has one). Thread is the Slack
// thread_ts, Discord thread or web conversation id; it is empty for a
// platform without threads.
type Address struct {
	Platform string `json:"platform"`
	Tenant   string `json:"tenant,omitempty"`
	Channel  string `json:"channel,omitempty"`
	Thread   string `json:"thread,omitempty"`
	User     string `json:"user,omitempty"`
}

// SessionID is the identity of the conversation a message belongs to: one
// session per thread, or per channel and user where the platform has no
// threads. It never contains '{' or '}', so it can sit inside a Redis hash
// tag.
func (a Address) SessionID() string {
	parts := []string{a.Platform, a.Tenant, a.Channel}
	if a.Thread != "" {
		parts = append(parts, a.Thread)
	} else {
		parts = append(parts, a.User)
	}
	id := strings.Join(parts, ":")
	return strings.NewReplacer("{", "(", "}", ")").Replace(id)
}

// A Message is one user message, normalised by an adapter.
type Message struct {
	// ID is the platform's message id, used to drop duplicates (Slack
	// event_id, Discord message id, web request id). Empty means the
	// message cannot be deduplicated.
	ID       string
	Address  Address
	UserName string
	Text     string
	Time     time.Time
	// Client is the network address of a caller no platform vouches for
	// (the web widget, an open OpenAI-compatible API); empty otherwise.
	// Its own rate limit (Options.ClientRateLimit) counts every message
	// from that address, whatever user or conversation it names: a
	// visitor who changed user.id with every message was never limited.
	Client string `json:",omitempty"`
	// ReplyTo is where replies to the user go when they are not the
	// answer to a request: a webhook's callback_url. The session keeps
	// the last one (Meta.ReplyTo) for a human agent's replies.
	ReplyTo string `json:",omitempty"`
}

// A Reply is what the bot says back to one Message.
type Reply struct {
	Address   Address
	Text      string
	Citations []knowledge.Citation
	// Links are the links of the articles' words that Text quotes
	// ("status page" → https://status.example.com): channels that can
	// link words do.
	Links      []knowledge.Link
	Confidence float64
	// Fallback is set when no grounded answer was possible; Text says so
	// honestly and offers a human.
	Fallback bool
	// Handoff is set when the conversation now belongs to a human agent.
	Handoff bool
}

// A Sender delivers replies to a platform. Implemented by each adapter; it
// must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, r Reply) error
}

// A Streamer is implemented by Senders that can show a reply while it is
// being generated. Delta receives each new piece of text in order; the
// final Send still carries the whole reply.
type Streamer interface {
	Delta(ctx context.Context, a Address, text string) error
}

// A Handler runs the conversation pipeline for one message and delivers the
// reply through out before returning. Messages of one session are processed
// one at a time in arrival order. Handle returns ErrDuplicate for a message
// already seen, ErrRateLimited when the user is over the limit, and
// ErrHumanHandling (without sending anything) while a human agent owns the
// session. Implementations must be safe for concurrent use.
type Handler interface {
	Handle(ctx context.Context, m Message, out Sender) error
}

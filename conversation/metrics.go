package conversation

import "time"

// Outcomes of a message, for Metrics.Message.
const (
	OutcomeAnswered    = "answered"     // a grounded answer was sent
	OutcomeFallback    = "fallback"     // the honest "I don't know" was sent
	OutcomeSmallTalk   = "small_talk"   // a greeting, thanks or goodbye was answered in kind
	OutcomeHandoff     = "handoff"      // the session was handed to a human
	OutcomeDuplicate   = "duplicate"    // dropped: already handled
	OutcomeRateLimited = "rate_limited" // dropped: user over the limit
	OutcomeHuman       = "human"        // dropped: a human owns the session
	OutcomeCanceled    = "canceled"     // the caller gave up first
	OutcomeError       = "error"        // the store, the answerer or the sender failed
)

// Handoff reasons, for Metrics.Handoff.
const (
	HandoffAsked     = "asked"     // the user asked for a human
	HandoffFallbacks = "fallbacks" // too many fallbacks in a row
	HandoffRequested = "requested" // Manager.Handoff called without a reason
	HandoffAgent     = "agent"     // an agent wrote in a session the bot owned
)

// Metrics receives the Manager's measurements, so that bot/ can feed
// Prometheus without this package importing it. Every field is optional;
// nil means "not measured". The functions are called from many goroutines
// at once and must not block.
type Metrics struct {
	// Message is called once per handled message with its Outcome.
	Message func(platform, outcome string)
	// ReplyLatency is the time from Handle to the reply being sent.
	ReplyLatency func(platform string, d time.Duration)
	// RetrievalLatency is the time one message's retrieval took.
	RetrievalLatency func(d time.Duration)
	// Handoff is called for every handoff with its reason.
	Handoff func(platform, reason string)
	// Fallback is called for every fallback reply.
	Fallback func(platform string)
	// RateLimited is called for every message refused by the rate limit.
	RateLimited func(platform string)
	// Dropped counts reply sentences removed by the grounding guard and
	// the echo filter.
	Dropped func(platform string, n int)
}

func (m *Metrics) message(platform, outcome string) {
	if m.Message != nil {
		m.Message(platform, outcome)
	}
}

func (m *Metrics) replyLatency(platform string, d time.Duration) {
	if m.ReplyLatency != nil {
		m.ReplyLatency(platform, d)
	}
}

func (m *Metrics) retrievalLatency(d time.Duration) {
	if m.RetrievalLatency != nil {
		m.RetrievalLatency(d)
	}
}

func (m *Metrics) handoff(platform, reason string) {
	if m.Handoff != nil {
		m.Handoff(platform, reason)
	}
}

func (m *Metrics) fallback(platform string) {
	if m.Fallback != nil {
		m.Fallback(platform)
	}
}

func (m *Metrics) rateLimited(platform string) {
	if m.RateLimited != nil {
		m.RateLimited(platform)
	}
}

func (m *Metrics) dropped(platform string, n int) {
	if m.Dropped != nil && n > 0 {
		m.Dropped(platform, n)
	}
}

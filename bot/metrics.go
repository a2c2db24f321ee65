package bot

import (
	"github.com/switchboard/switchboard/adapters/web"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboard/switchboard/adapters/discord"
	"github.com/switchboard/switchboard/adapters/slack"
	"github.com/switchboard/switchboard/conversation"
)

// metrics are the server's Prometheus collectors, in a registry of their
// own (no global state, so tests can build many servers).
type metrics struct {
	reg         *prometheus.Registry
	messages    *prometheus.CounterVec   // platform, outcome (conversation.Outcome*)
	replies     *prometheus.HistogramVec // platform
	retrieval   prometheus.Histogram
	handoffs    *prometheus.CounterVec // platform, reason
	fallbacks   *prometheus.CounterVec // platform
	rateLimited *prometheus.CounterVec // platform
	dropped     *prometheus.CounterVec // platform

	// Platform adapters (Slack, Discord).
	feedback       *prometheus.CounterVec // platform, helpful
	handoffButtons *prometheus.CounterVec // platform
	apiErrors      *prometheus.CounterVec // platform, method, code
	reconnects     prometheus.Counter     // Discord gateway
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_total",
			Help: "Messages handled, by platform and outcome (answered, fallback, small_talk, handoff, duplicate, rate_limited, human, canceled, error).",
		}, []string{"platform", "outcome"}),
		replies: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_reply_seconds",
			Help:    "Time from a message's arrival to its reply being sent.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"platform"}),
		retrieval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_retrieval_seconds",
			Help:    "Time of one message's knowledge retrieval.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_handoffs_total",
			Help: "Sessions handed to a human agent, by platform and reason (asked, fallbacks).",
		}, []string{"platform", "reason"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_fallbacks_total",
			Help: "Replies that honestly said the bot does not know.",
		}, []string{"platform"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_rate_limited_total",
			Help: "Messages refused because their user was over the rate limit.",
		}, []string{"platform"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_grounding_dropped_sentences_total",
			Help: "Generated sentences removed by the grounding guard and the echo filter.",
		}, []string{"platform"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_feedback_total",
			Help: "Clicks of a reply's Helpful (helpful=\"true\") and Not helpful (\"false\") buttons, by platform.",
		}, []string{"platform", "helpful"}),
		handoffButtons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_handoff_buttons_total",
			Help: "Clicks of the \"Talk to a human\" button, by platform.",
		}, []string{"platform"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_platform_api_errors_total",
			Help: "Failed calls to a platform's API, by platform, method (chat.postMessage, message.create) and code (the platform's error, ratelimited, timeout, http_<status>, transport, circuit_open).",
		}, []string{"platform", "method", "code"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_discord_reconnects_total",
			Help: "Times the Discord gateway connection was re-opened after a drop.",
		}),
	}
	m.reg.MustRegister(m.messages, m.replies, m.retrieval, m.handoffs, m.fallbacks, m.rateLimited, m.dropped,
		m.feedback, m.handoffButtons, m.apiErrors, m.reconnects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The widget's counters start at 0 rather than appear with their
	// first event: an alert on rate(switchboard_rate_limited_total[5m])
	// sees no series, not a zero, until someone is rate limited.
	m.fallbacks.WithLabelValues(web.Platform)
	m.rateLimited.WithLabelValues(web.Platform)
	m.replies.WithLabelValues(web.Platform)
	for _, outcome := range []string{conversation.OutcomeAnswered, conversation.OutcomeFallback, conversation.OutcomeSmallTalk,
		conversation.OutcomeHandoff, conversation.OutcomeDuplicate, conversation.OutcomeRateLimited, conversation.OutcomeHuman,
		conversation.OutcomeCanceled, conversation.OutcomeError} {
		m.messages.WithLabelValues(web.Platform, outcome)
	}
	for _, reason := range []string{conversation.HandoffAsked, conversation.HandoffFallbacks} {
		m.handoffs.WithLabelValues(web.Platform, reason)
	}
	return m
}

// hooks returns the Manager's metrics hooks feeding m.
func (m *metrics) hooks() conversation.Metrics {
	return conversation.Metrics{
		Message: func(platform, outcome string) { m.messages.WithLabelValues(platform, outcome).Inc() },
		ReplyLatency: func(platform string, d time.Duration) {
			m.replies.WithLabelValues(platform).Observe(d.Seconds())
		},
		RetrievalLatency: func(d time.Duration) { m.retrieval.Observe(d.Seconds()) },
		Handoff:          func(platform, reason string) { m.handoffs.WithLabelValues(platform, reason).Inc() },
		Fallback:         func(platform string) { m.fallbacks.WithLabelValues(platform).Inc() },
		RateLimited:      func(platform string) { m.rateLimited.WithLabelValues(platform).Inc() },
		Dropped:          func(platform string, n int) { m.dropped.WithLabelValues(platform).Add(float64(n)) },
	}
}

// slack returns the Slack adapter's metrics hooks feeding m.
func (m *metrics) slack() slack.Metrics {
	return slack.Metrics{
		Feedback:      func(helpful bool) { m.feedback.WithLabelValues(slack.Platform, strconv.FormatBool(helpful)).Inc() },
		HandoffButton: func() { m.handoffButtons.WithLabelValues(slack.Platform).Inc() },
		APIError:      func(method, code string) { m.apiErrors.WithLabelValues(slack.Platform, method, code).Inc() },
	}
}

// discord returns the Discord adapter's metrics hooks feeding m.
func (m *metrics) discord() discord.Metrics {
	return discord.Metrics{
		Feedback:      func(helpful bool) { m.feedback.WithLabelValues(discord.Platform, strconv.FormatBool(helpful)).Inc() },
		HandoffButton: func() { m.handoffButtons.WithLabelValues(discord.Platform).Inc() },
		APIError:      func(op, code string) { m.apiErrors.WithLabelValues(discord.Platform, op, code).Inc() },
		Reconnect:     m.reconnects.Inc,
	}
}

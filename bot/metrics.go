package bot

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

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
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_total",
			Help: "Messages handled, by platform and outcome (answered, fallback, handoff, duplicate, rate_limited, human, canceled, error).",
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
	}
	m.reg.MustRegister(m.messages, m.replies, m.retrieval, m.handoffs, m.fallbacks, m.rateLimited, m.dropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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

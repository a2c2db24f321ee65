package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/queue"
)

// Roles of a replica (serve --role).
const (
	// RoleAll is one process doing everything (the default).
	RoleAll = "all"
	// RoleGateway runs the adapters and the HTTP server: it verifies
	// messages, enqueues them in Redis and delivers the replies workers
	// send back. It needs REDIS_URL.
	RoleGateway = "gateway"
	// RoleWorker takes messages from the Redis queue and runs the
	// pipeline (and the decoder); its HTTP server has health, readiness
	// and metrics only. It needs REDIS_URL.
	RoleWorker = "worker"
)

// Queue defaults of RedisConfig.
const (
	DefaultQueueMaxAge = 30 * time.Second
)

// checkRole validates a role name; empty means RoleAll.
func checkRole(role string) (string, error) {
	switch role {
	case "", RoleAll:
		return RoleAll, nil
	case RoleGateway, RoleWorker:
		return role, nil
	}
	return "", fmt.Errorf("unknown role %q (want all, gateway or worker)", role)
}

// clienter is a store that shares its Redis client (redisstore.Store).
type clienter interface {
	Client() redis.UniversalClient
}

// newQueue builds the work queue over the store's Redis client.
func newQueue(cfg Config, store conversation.Store, role string, s *Server) (*queue.Queue, error) {
	c, ok := store.(clienter)
	if !ok {
		return nil, fmt.Errorf("role %s needs a Redis store: set REDIS_URL", role)
	}
	maxAge := cfg.Redis.QueueMaxAge
	if maxAge <= 0 {
		maxAge = DefaultQueueMaxAge
	}
	return queue.New(c.Client(), queue.Options{
		Prefix:     cfg.Redis.Prefix,
		MaxLen:     cfg.Redis.QueueMaxLen,
		MaxAge:     maxAge,
		ClaimAfter: cfg.Redis.QueueClaimAfter,
		Logger:     s.log,
	})
}

// registerQueueMetrics exports the queue's length, pending count and
// oldest age, read from Redis at scrape time.
func (s *Server) registerQueueMetrics(q *queue.Queue) {
	read := func(f func(queue.Stats) float64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			st, err := q.Stats(ctx)
			if err != nil {
				return -1
			}
			return f(st)
		}
	}
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_queue_length",
			Help: "Messages queued or being answered (-1: Redis unreachable).",
		}, read(func(st queue.Stats) float64 { return float64(st.Length) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_queue_pending",
			Help: "Messages a worker has taken but not finished (-1: Redis unreachable).",
		}, read(func(st queue.Stats) float64 { return float64(st.Pending) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_queue_oldest_seconds",
			Help: "How long the oldest message no worker has taken yet has waited; gateways refuse messages past redis.queue_max_age (-1: Redis unreachable).",
		}, read(func(st queue.Stats) float64 { return st.OldestAge.Seconds() })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_queue_unfinished_oldest_seconds",
			Help: "Age of the oldest unfinished message, taken by a worker or not (-1: Redis unreachable).",
		}, read(func(st queue.Stats) float64 { return st.UnfinishedAge.Seconds() })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_queue_workers",
			Help: "Workers heard from in the last 10 s; a gateway is not ready without one (-1: Redis unreachable).",
		}, read(func(st queue.Stats) float64 { return float64(st.Workers) })),
	)
}

// gatewayAdapter runs a gateway's reply reader in the server's lifecycle.
type gatewayAdapter struct{ gw *queue.Gateway }

func (gatewayAdapter) Name() string                    { return "queue-gateway" }
func (gatewayAdapter) Register(*http.ServeMux)         {}
func (a gatewayAdapter) Run(ctx context.Context) error { return a.gw.Run(ctx) }
func (a gatewayAdapter) Busy() bool                    { return a.gw != nil && a.gw.Busy() }
func (a gatewayAdapter) stats() (queue.Stats, bool)    { return a.gw.Stats() }

var _ Runner = gatewayAdapter{}

// workerAdapter runs a queue worker in the server's lifecycle: Run
// takes messages until Drain (or the end of Run's ctx).
type workerAdapter struct {
	w    *queue.Worker
	done chan struct{} // closed when Run returns
}

var (
	_ Runner  = (*workerAdapter)(nil)
	_ Drainer = (*workerAdapter)(nil)
)

func (*workerAdapter) Name() string            { return "queue-worker" }
func (*workerAdapter) Register(*http.ServeMux) {}

func (a *workerAdapter) Run(ctx context.Context) error {
	defer close(a.done)
	return a.w.Run(ctx)
}

// Drain stops taking messages and waits for those in progress until ctx
// is done; what is left is cancelled with Run's ctx and stays queued for
// another worker.
func (a *workerAdapter) Drain(ctx context.Context) error {
	a.w.Stop()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drain queue worker: %w", ctx.Err())
	}
}

// intake reports whether r brings a user message (and so is refused
// while the queue is busy).
func intake(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.URL.Path {
	case "/api/v1/messages", "/slack/events", "/discord/interactions":
		return true
	}
	return false
}

// refuseBusy answers a message a busy gateway cannot take.
func refuseBusy(w http.ResponseWriter, reachable bool) {
	w.Header().Set("Retry-After", "5")
	msg := "We're busy answering other customers right now; please retry in a few seconds."
	if !reachable {
		msg = "We can't take messages for a moment (our message queue is unreachable); nothing was lost. Please retry in a few seconds."
	}
	web.WriteError(w, http.StatusServiceUnavailable, web.CodeUnavailable, msg)
}

// replayer is the Handler of a server that runs the pipeline itself
// (RoleAll): the Manager, except that a retry of a message it already
// answered (same message id: conversation.ErrDuplicate) is given the
// reply saved in the session history again when its Sender is a
// queue.Redeliverer (the web channel, whose client may have lost the
// reply), as a gateway's queue does. Other Senders (Slack, Discord) keep
// getting ErrDuplicate, and so do retries whose reply is not in the
// history (its turn failed to save, or the history was trimmed).
type replayer struct{ mg *conversation.Manager }

var _ conversation.Handler = replayer{}

func (r replayer) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	err := r.mg.Handle(ctx, m, out)
	if !errors.Is(err, conversation.ErrDuplicate) || !queue.Redelivers(out) {
		return err
	}
	// The Manager runs a session's messages in order, so the first
	// attempt finished before this retry was found to be a duplicate.
	turns, herr := r.mg.History(ctx, m.Address.SessionID())
	if herr != nil {
		return err
	}
	rep, ok := queue.SavedReply(turns, m)
	if !ok {
		return err
	}
	return out.Send(ctx, rep)
}

// noAnswerer stands in for the answerer of a gateway, which never runs
// the pipeline (and so never loads the decoder).
type noAnswerer struct{}

func (noAnswerer) Answer(context.Context, conversation.Query) (conversation.Answer, error) {
	return conversation.Answer{}, errors.New("bot: a gateway does not answer")
}

// Package queue carries conversation messages from gateways to workers
// through a Redis Stream, so that many replicas of the bot share the work:
// gateways hold the users' connections and enqueue, workers run the
// pipeline and send the replies back to the gateway that asked.
//
// # Key layout
//
// Every key starts with Options.Prefix (default "sb") and carries a hash
// tag, so that the queue works unchanged on a Redis Cluster:
//
//	sb:{queue}:jobs              stream of jobs (consumer group "workers"), capped with MAXLEN ~; no TTL
//	sb:{queue}:done:<entry>      the outcome of a job, recorded before it is acknowledged; RecordTTL (1h)
//	sb:{queue}:owner:<platform>:<msgid>  which job first carried a platform message id; DefaultOrderTTL (24h)
//	sb:{gw:<gateway>}:replies    stream of deltas, replies and errors for one gateway (MAXLEN ~ 10000); RecordTTL, renewed on each event
//	sb:{<session>}:order         hash: next (sequence numbers handed out), done (last finished); DefaultOrderTTL, renewed on each message
//	sb:{queue}:workers           sorted set: worker name → when it last announced itself (Unix ms), every WorkerBeat; 2×WorkerTTL, renewed on each announcement
//
// Every key but the jobs stream has a TTL; acknowledged jobs are deleted
// from the stream, so its length is the work not yet finished.
//
// # Delivery
//
// A gateway (Gateway.Handle) gives each message the next sequence number
// of its session and adds it to the jobs stream. A worker (Worker.Run)
// reads it with XREADGROUP, waits until the session's previous message
// is finished (so that a message claimed late cannot be overtaken by a
// later one), runs the pipeline, records the outcome with SET NX, sends
// it to the gateway's reply stream, advances the session's finished
// sequence number and only then acknowledges and deletes the job. A
// worker that dies leaves its job pending; after Options.ClaimAfter
// another worker takes it with XAUTOCLAIM. If the outcome was already
// recorded, the recorded outcome is sent again (the gateway delivers a
// request's outcome at most once); if the turn was saved but not
// recorded, the reply is rebuilt from the session history; otherwise the
// message is processed again.
//
// A message id is processed once: the first job to carry it owns it
// (sb:{queue}:owner), and a later job with the same id (a client's retry
// after its reply was lost) gets the owner's recorded outcome, or the
// reply saved in the history, marked as a replay: a Redeliverer (the web
// channel) receives the same reply again, other Senders get
// conversation.ErrDuplicate. A gateway that restarts gets a new id, so
// replies meant for its old connections are never delivered twice.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard/switchboard/conversation"
)

// Defaults of Options.
const (
	DefaultPrefix     = "sb"
	DefaultMaxLen     = 100_000
	DefaultClaimAfter = 30 * time.Second
	DefaultRecordTTL  = time.Hour
	DefaultOrderTTL   = 24 * time.Hour
	group             = "workers"
)

// A running worker announces itself every WorkerBeat; a gateway counts
// those heard from within WorkerTTL (Stats.Workers) and is not ready
// without one, since nothing would answer what it queues.
const (
	WorkerBeat = 2 * time.Second
	WorkerTTL  = 10 * time.Second
)

// ErrBusy is returned by Gateway.Handle when the oldest queued job is
// older than Options.MaxAge or the stream is full: the caller should ask
// the user to retry later. It wraps conversation.ErrUnavailable.
var ErrBusy = fmt.Errorf("queue: busy, please retry: %w", conversation.ErrUnavailable)

// Options configure a Queue. The zero value works.
type Options struct {
	// Prefix starts every key. Empty means DefaultPrefix. It must not
	// contain '{' or '}'.
	Prefix string
	// MaxLen caps the jobs stream (approximately). Zero means
	// DefaultMaxLen. Gateways refuse new jobs (ErrBusy) at this length
	// rather than let the cap trim unfinished work.
	MaxLen int64
	// MaxAge is the age of the oldest unfinished job past which gateways
	// refuse new jobs with ErrBusy. Zero means no limit.
	MaxAge time.Duration
	// ClaimAfter is how long a job may sit pending without a heartbeat
	// before another worker claims it. Zero means DefaultClaimAfter. A
	// live worker refreshes its jobs every ClaimAfter/3.
	ClaimAfter time.Duration
	// OrderWait bounds how long a worker waits for the previous message
	// of the same session to finish. Zero means 3*ClaimAfter.
	OrderWait time.Duration
	// RecordTTL is how long a job's outcome (done:<entry>) and a
	// gateway's reply stream are kept; a retry later than that is
	// answered from the session history. Zero means DefaultRecordTTL.
	// Message owners and session sequence numbers are kept
	// DefaultOrderTTL.
	RecordTTL time.Duration
	// Logger receives the queue's logs. Nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.MaxLen <= 0 {
		o.MaxLen = DefaultMaxLen
	}
	if o.ClaimAfter <= 0 {
		o.ClaimAfter = DefaultClaimAfter
	}
	if o.OrderWait <= 0 {
		o.OrderWait = 3 * o.ClaimAfter
	}
	if o.RecordTTL <= 0 {
		o.RecordTTL = DefaultRecordTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// A Queue is the shared work queue. It is safe for concurrent use. It
// does not own its client.
type Queue struct {
	rdb  redis.UniversalClient
	opts Options
	log  *slog.Logger
	jobs string
}

// New returns a Queue over rdb.
func New(rdb redis.UniversalClient, opts Options) (*Queue, error) {
	if rdb == nil {
		return nil, errors.New("new queue: nil client")
	}
	opts = opts.withDefaults()
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("new queue: prefix %q contains a brace", opts.Prefix)
	}
	return &Queue{rdb: rdb, opts: opts, log: opts.Logger.WithGroup("queue"), jobs: opts.Prefix + ":{queue}:jobs"}, nil
}

func (q *Queue) doneKey(entry string) string  { return q.opts.Prefix + ":{queue}:done:" + entry }
func (q *Queue) ownerKey(msgID string) string { return q.opts.Prefix + ":{queue}:owner:" + msgID }
func (q *Queue) workersKey() string           { return q.opts.Prefix + ":{queue}:workers" }
func (q *Queue) replyKey(gw string) string    { return q.opts.Prefix + ":{gw:" + gw + "}:replies" }
func (q *Queue) orderKey(session string) string {
	return q.opts.Prefix + ":{" + session + "}:order"
}

// unavailable wraps a Redis error as conversation.ErrUnavailable, keeping
// a done ctx's error recognisable.
func unavailable(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return fmt.Errorf("%s: %w: %w", what, conversation.ErrUnavailable, err)
}

// Stats describe the jobs stream.
type Stats struct {
	Length  int64 // jobs not yet finished (waiting or in progress)
	Pending int64 // jobs a worker has taken but not finished
	// OldestAge is how long the oldest job no worker has taken yet has
	// been waiting: the back-pressure signal. Zero when none waits.
	OldestAge time.Duration
	// UnfinishedAge is the age of the oldest unfinished job, taken or
	// not. Zero when none.
	UnfinishedAge time.Duration
	// Workers is how many workers announced themselves in the last
	// WorkerTTL: zero means nothing will answer what is queued.
	Workers int64
}

// Stats reads the queue's length, pending count and ages.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	pipe := q.rdb.Pipeline()
	xlen := pipe.XLen(ctx, q.jobs)
	first := pipe.XRangeN(ctx, q.jobs, "-", "+", 1)
	groups := pipe.XInfoGroups(ctx, q.jobs)
	pending := pipe.XPending(ctx, q.jobs, group)
	workers := pipe.ZCount(ctx, q.workersKey(), strconv.FormatInt(time.Now().Add(-WorkerTTL).UnixMilli(), 10), "+inf")
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) && xlen.Err() != nil {
		return st, unavailable(ctx, "read queue stats", err)
	}
	st.Length = xlen.Val()
	age := func(msgs []redis.XMessage) time.Duration {
		if len(msgs) > 0 {
			if t, ok := entryTime(msgs[0].ID); ok {
				return max(0, time.Since(t))
			}
		}
		return 0
	}
	st.UnfinishedAge = age(first.Val())
	st.OldestAge = st.UnfinishedAge // no group yet: nothing was taken
	if p, err := pending.Result(); err == nil {
		st.Pending = p.Count
	}
	st.Workers = workers.Val()
	for _, g := range groups.Val() {
		if g.Name == group {
			next, err := q.rdb.XRangeN(ctx, q.jobs, "("+g.LastDeliveredID, "+", 1).Result()
			if err != nil {
				return st, unavailable(ctx, "read queue stats", err)
			}
			st.OldestAge = age(next)
		}
	}
	return st, nil
}

// entryTime is the time in a stream entry id ("<ms>-<seq>").
func entryTime(id string) (time.Time, bool) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// ensureGroup creates the jobs stream and its consumer group if absent.
func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.jobs, group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return unavailable(ctx, "create consumer group", err)
	}
	return nil
}

// A job is one message on its way to a worker.
type job struct {
	Msg     conversation.Message `json:"m"`
	Gateway string               `json:"g"`
	Req     string               `json:"r"`
	Seq     int64                `json:"s"`
	Stream  bool                 `json:"st,omitempty"` // the gateway wants deltas
}

// Event kinds on a gateway's reply stream.
const (
	kindDelta = "delta"
	kindReply = "reply"
	kindError = "error"
)

// An event is what a worker sends back for a job.
type event struct {
	Req   string              `json:"r"`
	Kind  string              `json:"k"`
	Text  string              `json:"t,omitempty"`
	Reply *conversation.Reply `json:"p,omitempty"`
	Code  string              `json:"c,omitempty"`
	// Replay marks the outcome of an earlier job given again to a retry
	// of the same message id; only a Redeliverer receives it.
	Replay bool `json:"rp,omitempty"`
}

// A Redeliverer is a Sender whose client may lose a reply on its way and
// then retries the message with the same id (the web channel): such a
// retry is given the outcome already produced, the same reply, instead of
// ErrDuplicate. Other Senders (Slack, Discord: a second delivery would be
// a second post) get conversation.ErrDuplicate for a retry, as from the
// Manager. The adapters implement it by its method alone.
type Redeliverer interface {
	// Redeliver reports whether a retry gets the earlier outcome again.
	Redeliver() bool
}

// Redelivers reports whether out is a Redeliverer that wants retries
// answered with the earlier outcome.
func Redelivers(out conversation.Sender) bool {
	r, ok := out.(Redeliverer)
	return ok && r.Redeliver()
}

// Error codes of kindError events, mapped back to conversation errors.
var errorCodes = []struct {
	code string
	err  error
}{
	{"duplicate", conversation.ErrDuplicate},
	{"rate_limited", conversation.ErrRateLimited},
	{"human", conversation.ErrHumanHandling},
	{"unavailable", conversation.ErrUnavailable},
	{"shutdown", conversation.ErrShutdown},
}

func codeOf(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

func errorOf(code, text string) error {
	for _, c := range errorCodes {
		if c.code == code {
			return c.err
		}
	}
	return fmt.Errorf("queue: worker failed: %s", text)
}

// publish adds ev to gateway gw's reply stream.
func (q *Queue) publish(ctx context.Context, gw string, ev event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	key := q.replyKey(gw)
	pipe := q.rdb.TxPipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: 10_000, Approx: true, Values: []any{"e", b}})
	pipe.PExpire(ctx, key, q.opts.RecordTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(ctx, "publish "+ev.Kind, err)
	}
	return nil
}

// newID returns a random hex id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

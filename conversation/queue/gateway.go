package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard/switchboard/conversation"
)

// A Gateway is the conversation.Handler of a gateway replica: Handle
// enqueues the message and waits for the outcome a worker sends back.
// Run must be running for outcomes to arrive. It is safe for concurrent
// use.
type Gateway struct {
	q  *Queue
	id string

	mu      sync.Mutex
	waiters map[string]*waiter // guarded by mu, by request id

	stats    atomic.Pointer[statsAt]
	statsErr atomic.Bool // the last stats read failed: Redis is unreachable
}

type statsAt struct {
	Stats
	at time.Time
}

var _ conversation.Handler = (*Gateway)(nil)

type waiter struct {
	deltas chan string // buffered; deltas that do not fit are dropped (the final reply supersedes them)
	final  chan event  // buffered 1
}

// NewGateway returns the gateway with a new random id: a gateway that
// restarts is a new gateway, and replies meant for the old one's
// connections are never delivered.
func (q *Queue) NewGateway() *Gateway {
	return &Gateway{q: q, id: newID(), waiters: make(map[string]*waiter)}
}

// ID is the gateway's id.
func (g *Gateway) ID() string { return g.id }

// Busy reports whether the gateway should refuse new messages: the queue
// is older than Options.MaxAge or full, or Redis could not be reached at
// the last check. The answer comes from the stats Run refreshes every
// second, so Busy costs nothing.
func (g *Gateway) Busy() bool {
	if g.statsErr.Load() {
		return true
	}
	s := g.stats.Load()
	if s == nil {
		return false
	}
	if s.Length >= g.q.opts.MaxLen {
		return true
	}
	return g.q.opts.MaxAge > 0 && s.OldestAge > 0 && s.OldestAge+time.Since(s.at) > g.q.opts.MaxAge
}

// Stats returns the queue stats of the last refresh and whether Redis
// answered then.
func (g *Gateway) Stats() (Stats, bool) {
	s := g.stats.Load()
	if s == nil {
		return Stats{}, !g.statsErr.Load()
	}
	return s.Stats, !g.statsErr.Load()
}

// Handle enqueues m and waits for its outcome: the reply goes to out
// (deltas too, when out is a conversation.Streamer), an error comes back
// as the pipeline's error (conversation.ErrDuplicate, ...). ErrBusy means
// the queue is too long; an unreachable Redis gives an error wrapping
// conversation.ErrUnavailable, and nothing was enqueued. When ctx is done
// first, Handle returns ctx's error; the message stays queued and is
// still answered (the answer is saved in the session's history).
func (g *Gateway) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	if g.Busy() {
		return ErrBusy
	}
	st, streams := out.(conversation.Streamer)
	j := job{Msg: m, Gateway: g.id, Req: newID(), Stream: streams}
	w := &waiter{deltas: make(chan string, 256), final: make(chan event, 1)}
	g.mu.Lock()
	g.waiters[j.Req] = w
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.waiters, j.Req)
		g.mu.Unlock()
	}()
	if err := g.q.enqueue(ctx, &j); err != nil {
		return err
	}
	for {
		select {
		case d := <-w.deltas:
			if st != nil {
				_ = st.Delta(ctx, m.Address, d)
			}
		case ev := <-w.final:
			// Deltas sent before the reply are in the channel already
			// (one reader dispatches in stream order).
			for done := false; !done; {
				select {
				case d := <-w.deltas:
					if st != nil {
						_ = st.Delta(ctx, m.Address, d)
					}
				default:
					done = true
				}
			}
			if ev.Replay && !Redelivers(out) {
				return conversation.ErrDuplicate
			}
			if ev.Kind == kindError {
				return errorOf(ev.Code, ev.Text)
			}
			if ev.Reply == nil {
				return errors.New("queue: reply event without a reply")
			}
			if err := out.Send(ctx, *ev.Reply); err != nil {
				return fmt.Errorf("send reply: %w", err)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// enqueue gives j the next sequence number of its session and adds it to
// the jobs stream.
func (q *Queue) enqueue(ctx context.Context, j *job) error {
	okey := q.orderKey(j.Msg.Address.SessionID())
	pipe := q.rdb.TxPipeline()
	seq := pipe.HIncrBy(ctx, okey, "next", 1)
	pipe.PExpire(ctx, okey, DefaultOrderTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(ctx, "number message", err)
	}
	j.Seq = seq.Val()
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	args := &redis.XAddArgs{Stream: q.jobs, MaxLen: q.opts.MaxLen, Approx: true, Values: []any{"j", b}}
	err = q.rdb.XAdd(ctx, args).Err()
	if err != nil {
		// The number is taken but no job carries it: mark it finished so
		// that the session's next message does not wait for it.
		_ = q.finish(context.WithoutCancel(ctx), j.Msg.Address.SessionID(), j.Seq)
		return unavailable(ctx, "enqueue message", err)
	}
	return nil
}

// Run reads the gateway's reply stream and refreshes the queue stats
// until ctx is done. It survives Redis outages (retrying every second)
// and returns nil when ctx is done.
func (g *Gateway) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.refreshStats(ctx)
	}()
	defer wg.Wait()
	key := g.q.replyKey(g.id)
	// The stream is this gateway's alone (its id is new), so it is read
	// from the start, and after an outage from where reading stopped.
	last := "0-0"
	for ctx.Err() == nil {
		res, err := g.q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{key, last}, Count: 256, Block: time.Second}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			g.q.log.Warn("read replies", "gateway", g.id, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for _, s := range res {
			for _, m := range s.Messages {
				last = m.ID
				g.dispatch(m.Values["e"])
			}
		}
	}
	return nil
}

// dispatch hands one reply-stream entry to its waiter, if it still waits.
func (g *Gateway) dispatch(v any) {
	s, _ := v.(string)
	var ev event
	if err := json.Unmarshal([]byte(s), &ev); err != nil || ev.Req == "" {
		return
	}
	g.mu.Lock()
	w := g.waiters[ev.Req]
	if w != nil && ev.Kind != kindDelta {
		delete(g.waiters, ev.Req) // an outcome is delivered at most once
	}
	g.mu.Unlock()
	if w == nil {
		return
	}
	switch ev.Kind {
	case kindDelta:
		select {
		case w.deltas <- ev.Text:
		default:
		}
	default:
		w.final <- ev
	}
}

// refreshStats reads the queue stats every second until ctx is done.
func (g *Gateway) refreshStats(ctx context.Context) {
	for ctx.Err() == nil {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := g.q.Stats(c)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !g.statsErr.Swap(true) {
				g.q.log.Warn("queue unreachable: refusing new messages", "err", err)
			}
		} else {
			if g.statsErr.Swap(false) {
				g.q.log.Info("queue reachable again")
			}
			g.stats.Store(&statsAt{Stats: st, at: time.Now()})
		}
		sleep(ctx, time.Second)
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// isNoGroup reports a consumer group (or its stream) that vanished, as
// after a Redis restart without persistence.
func isNoGroup(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOGROUP")
}

package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard/switchboard/conversation"
)

// A Worker takes jobs from the queue and runs them through a Handler
// (the conversation.Manager), sending the outcomes back to the gateways.
type Worker struct {
	q        *Queue
	h        conversation.Handler
	history  HistoryReader
	slots    int
	consumer string
	stop     chan struct{} // closed by Stop: take no new jobs
	stopOnce sync.Once
	wg       sync.WaitGroup // jobs in progress
}

// A HistoryReader reads a session's saved turns (conversation.Manager
// has this method). A worker that claims a job whose turn was saved but
// whose outcome was not recorded rebuilds the reply from it.
type HistoryReader interface {
	History(ctx context.Context, session string) ([]conversation.Turn, error)
}

// NewWorker returns a worker that runs h with at most slots jobs at once
// (XREADGROUP COUNT is the free slots). consumer names it in the group;
// empty means a random name. history may be nil when h cannot save turns.
func (q *Queue) NewWorker(consumer string, h conversation.Handler, history HistoryReader, slots int) *Worker {
	if consumer == "" {
		consumer = "worker-" + newID()
	}
	return &Worker{q: q, h: h, history: history, slots: max(1, slots), consumer: consumer, stop: make(chan struct{})}
}

// Stop makes Run stop taking jobs and return once the jobs in progress
// are done (or ctx of Run is done). Stop may be called more than once.
func (w *Worker) Stop() { w.stopOnce.Do(func() { close(w.stop) }) }

// Run takes and processes jobs until ctx is done or Stop is called, and
// returns after every job it started has finished (a job interrupted by
// ctx stays pending, for another worker to claim). Redis outages are
// waited out.
func (w *Worker) Run(ctx context.Context) error {
	sem := make(chan struct{}, w.slots)
	defer w.wg.Wait()
	stopAnnouncing := w.announce(ctx)
	defer stopAnnouncing()
	lastClaim := time.Time{}
	cursor := "0-0" // XAUTOCLAIM's position in the pending list
	for {
		select {
		case <-w.stop:
			// Checked first: with a slot free too, select picked at
			// random, and a stopped worker went on taking jobs.
			return nil
		default:
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.stop:
			return nil
		case sem <- struct{}{}:
		}
		free := 1 + w.slots - len(sem) // this slot plus those still free
		var msgs []redis.XMessage
		claimed := false
		var err error
		if cursor != "0-0" || time.Since(lastClaim) > w.q.opts.ClaimAfter/3 {
			lastClaim = time.Now()
			var next string
			msgs, next, err = w.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: w.q.jobs, Group: group, Consumer: w.consumer,
				MinIdle: w.q.opts.ClaimAfter, Start: cursor, Count: int64(free),
			}).Result()
			if err == nil {
				cursor = next // "0-0" once the whole list was scanned
			}
			claimed = len(msgs) > 0
		}
		if err == nil && len(msgs) == 0 {
			var res []redis.XStream
			res, err = w.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: group, Consumer: w.consumer, Streams: []string{w.q.jobs, ">"},
				Count: int64(free), Block: time.Second,
			}).Result()
			if len(res) > 0 {
				msgs = res[0].Messages
			}
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			<-sem
			if ctx.Err() != nil {
				return nil
			}
			if isNoGroup(err) {
				err = w.q.ensureGroup(ctx)
			}
			if err != nil {
				w.q.log.Warn("read jobs", "consumer", w.consumer, "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(msgs) == 0 {
			<-sem
			continue
		}
		// The first job uses the slot taken above; the others take theirs.
		for i, m := range msgs {
			if i > 0 {
				sem <- struct{}{} // never blocks: at most free messages came
			}
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				defer func() { <-sem }()
				w.process(ctx, m, claimed)
			}()
		}
	}
}

// process runs one job to its recorded, delivered and acknowledged end,
// or leaves it pending when ctx is done or Redis fails.
func (w *Worker) process(ctx context.Context, m redis.XMessage, claimed bool) {
	q := w.q
	raw, _ := m.Values["j"].(string)
	var j job
	if err := json.Unmarshal([]byte(raw), &j); err != nil || j.Gateway == "" || j.Req == "" {
		q.log.Error("dropping malformed job", "entry", m.ID, "err", err)
		w.ack(ctx, m.ID)
		return
	}
	session := j.Msg.Address.SessionID()
	log := q.log.With("entry", m.ID, "session", session, "seq", j.Seq, "consumer", w.consumer)

	// Keep the job ours while it runs: refresh its idle time.
	hbCtx, stopHB := context.WithCancel(ctx)
	hbDone := make(chan struct{})
	defer func() { stopHB(); <-hbDone }()
	go func() { defer close(hbDone); w.heartbeat(hbCtx, m.ID) }()

	// Already recorded: a worker died after recording. Send it again.
	if rec, err := q.rdb.Get(ctx, q.doneKey(m.ID)).Result(); err == nil {
		var ev event
		if json.Unmarshal([]byte(rec), &ev) == nil {
			if q.publish(ctx, j.Gateway, ev) != nil {
				return
			}
		}
		if q.finish(ctx, session, j.Seq) == nil {
			w.ack(ctx, m.ID)
		}
		return
	} else if !errors.Is(err, redis.Nil) {
		return // Redis is unreachable: leave it pending
	}

	if err := w.waitTurn(ctx, session, j.Seq); err != nil {
		if ctx.Err() == nil {
			log.Warn("previous message of the session did not finish in time; going on", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
	}

	out := &sender{w: w, j: j, entry: m.ID}
	msg := j.Msg
	// The first job to carry a message id owns it. Another job with the
	// same id (a platform's or a user's retry, perhaps through another
	// gateway, after the reply was lost on its way) is never processed
	// again: it gets the owner's outcome. The owner came first in the
	// session's order, so waitTurn above has waited for it to finish.
	if msg.ID != "" {
		key := q.ownerKey(msg.Address.Platform + ":" + msg.ID)
		ok, err := q.rdb.SetNX(ctx, key, m.ID, DefaultOrderTTL).Result()
		if err != nil {
			return
		}
		owner := m.ID
		if !ok {
			if owner, err = q.rdb.Get(ctx, key).Result(); err != nil {
				return
			}
		}
		if owner != m.ID {
			ev, err := w.replay(ctx, &j, owner)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("retry of a message left pending", "owner", owner, "err", err)
				}
				return // leave it pending: claimed again later
			}
			log.Info("retry of a message another job carried", "owner", owner, "outcome", ev.Kind)
			w.conclude(ctx, &j, m.ID, ev)
			return
		}
		if claimed {
			if rep, found, err := w.savedReply(ctx, msg); err != nil {
				return
			} else if found {
				log.Info("claimed job was answered before its worker died; sending the saved reply")
				w.conclude(ctx, &j, m.ID, event{Req: j.Req, Kind: kindReply, Reply: &rep})
				return
			}
			// The dedup mark may be set by the dead attempt: this
			// attempt carries a fresh id. Retries of the message are
			// stopped by the owner key above.
			msg.ID = msg.ID + "#r" + newID()[:8]
		}
	}
	err := w.h.Handle(ctx, msg, out)
	switch {
	case err == nil:
		if !out.recorded {
			return // Send failed to record: leave pending
		}
	case ctx.Err() != nil:
		return
	case errors.Is(err, conversation.ErrUnavailable) || errors.Is(err, conversation.ErrShutdown):
		log.Warn("job left for retry", "err", err)
		return
	case out.recorded:
		// The reply went out; a later step failed. It stands.
	case errors.Is(err, conversation.ErrDuplicate):
		// The pipeline saw the message before, though no job owns it
		// (its owner record expired, or was lost with a failed Redis
		// primary): the saved reply, if any, answers it.
		ev := event{Req: j.Req, Kind: kindError, Code: codeOf(err), Text: err.Error()}
		if rep, found, herr := w.savedReply(ctx, j.Msg); herr != nil {
			return
		} else if found {
			ev = event{Req: j.Req, Kind: kindReply, Reply: &rep, Replay: true}
		}
		w.conclude(ctx, &j, m.ID, ev)
		return
	case codeOf(err) == "internal" && w.deliveries(ctx, m.ID) < maxDeliveries:
		// An error the pipeline did not explain may pass (a Redis reply
		// in a failover that is no "unavailable"): recorded, it was the
		// message's outcome for good, and its client's every retry got
		// 500. Left pending, another worker claims it later.
		log.Warn("job failed; left for another try", "err", err)
		return
	default:
		w.conclude(ctx, &j, m.ID, event{Req: j.Req, Kind: kindError, Code: codeOf(err), Text: err.Error()})
		return
	}
	if q.finish(ctx, session, j.Seq) == nil {
		w.ack(ctx, m.ID)
	}
}

// conclude records ev as j's outcome (unless one is recorded), sends the
// recorded outcome, finishes the sequence number and acknowledges.
func (w *Worker) conclude(ctx context.Context, j *job, entry string, ev event) {
	ev, err := w.record(ctx, j, entry, ev)
	if err != nil {
		return
	}
	if err := w.q.publish(ctx, j.Gateway, ev); err != nil {
		return
	}
	if w.q.finish(ctx, j.Msg.Address.SessionID(), j.Seq) == nil {
		w.ack(ctx, entry)
	}
}

// record stores ev as the job's outcome with SET NX, and returns the
// outcome that stands (an earlier one wins).
func (w *Worker) record(ctx context.Context, j *job, entry string, ev event) (event, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return ev, fmt.Errorf("encode outcome: %w", err)
	}
	key := w.q.doneKey(entry)
	ok, err := w.q.rdb.SetNX(ctx, key, b, w.q.opts.RecordTTL).Result()
	if err != nil {
		return ev, unavailable(ctx, "record outcome", err)
	}
	if ok {
		return ev, nil
	}
	s, err := w.q.rdb.Get(ctx, key).Result()
	if err != nil {
		return ev, unavailable(ctx, "read outcome", err)
	}
	var prev event
	if err := json.Unmarshal([]byte(s), &prev); err != nil {
		return ev, fmt.Errorf("decode outcome: %w", err)
	}
	return prev, nil
}

// replay returns the outcome of j, a retry of a message that the job
// owner carried first: the owner's recorded outcome (the same reply, or
// the same error), else the reply saved in the session history after the
// message's turn (the record expired, or the owner's worker died after
// saving). While the owner is still queued (the session's order wait ran
// out before it finished) it waits for the owner's outcome, at most
// Options.OrderWait, and then returns an error, leaving j pending for a
// later claim: a retry is never answered "duplicate" while the first
// attempt may still produce the reply. ErrDuplicate is the outcome only
// when the owner finished so long ago that its outcome is gone. An error
// also means Redis could not be read.
func (w *Worker) replay(ctx context.Context, j *job, owner string) (event, error) {
	q := w.q
	deadline := time.Now().Add(q.opts.OrderWait)
	for {
		// The owner is looked up first: a job leaves the stream only
		// after its outcome is recorded.
		queued, err := q.rdb.XRange(ctx, q.jobs, owner, owner).Result()
		if err != nil {
			return event{}, unavailable(ctx, "look up job "+owner, err)
		}
		rec, err := q.rdb.Get(ctx, q.doneKey(owner)).Result()
		switch {
		case err == nil:
			var ev event
			if json.Unmarshal([]byte(rec), &ev) == nil && (ev.Kind == kindReply && ev.Reply != nil || ev.Kind == kindError) {
				ev.Req, ev.Replay = j.Req, true
				if ev.Reply != nil {
					r := *ev.Reply
					r.Address = j.Msg.Address
					ev.Reply = &r
				}
				return ev, nil
			}
		case !errors.Is(err, redis.Nil):
			return event{}, unavailable(ctx, "read outcome of "+owner, err)
		}
		rep, found, err := w.savedReply(ctx, j.Msg)
		if err != nil {
			return event{}, err
		}
		if found {
			return event{Req: j.Req, Kind: kindReply, Reply: &rep, Replay: true}, nil
		}
		if len(queued) == 0 {
			return event{Req: j.Req, Kind: kindError, Code: codeOf(conversation.ErrDuplicate), Text: "duplicate message"}, nil
		}
		if time.Now().After(deadline) {
			return event{}, fmt.Errorf("wait for job %s, which first carried the message: not finished after %v", owner, q.opts.OrderWait)
		}
		sleep(ctx, 200*time.Millisecond)
		if ctx.Err() != nil {
			return event{}, ctx.Err()
		}
	}
}

// savedReply looks for msg's turn in the session history and returns the
// reply saved after it.
func (w *Worker) savedReply(ctx context.Context, msg conversation.Message) (conversation.Reply, bool, error) {
	if w.history == nil {
		return conversation.Reply{}, false, nil
	}
	turns, err := w.history.History(ctx, msg.Address.SessionID())
	if err != nil {
		return conversation.Reply{}, false, err
	}
	rep, ok := SavedReply(turns, msg)
	return rep, ok, nil
}

// SavedReply finds msg's user turn in a session history (by message id;
// a worker's retry of a claimed job saves it as "<id>#r<suffix>") and
// returns the reply saved after it, addressed to msg.Address. The history
// keeps text and citations only: Fallback and Handoff are recognised by
// the pipeline's fixed texts, and Confidence is zero. It reports false
// when msg has no id or no answered turn of it is in turns, and when the
// turn of its id says something else: a client that reused a message id
// for a new question was given the old answer, the question dropped.
func SavedReply(turns []conversation.Turn, msg conversation.Message) (conversation.Reply, bool) {
	if msg.ID == "" {
		return conversation.Reply{}, false
	}
	said := conversation.Redact(msg.Text) // as the pipeline saved it, perhaps cut
	for i, t := range turns {
		if t.Role == "user" && (t.MessageID == msg.ID || strings.HasPrefix(t.MessageID, msg.ID+"#r")) &&
			strings.HasPrefix(said, t.Text) && i+1 < len(turns) && turns[i+1].Role == "assistant" {
			a := turns[i+1]
			return conversation.Reply{
				Address:   msg.Address,
				Text:      a.Text,
				Citations: a.Citations,
				Fallback:  conversation.IsFallback(a.Text),
				Handoff:   conversation.IsHandoff(a.Text),
			}, true
		}
	}
	return conversation.Reply{}, false
}

// waitTurn waits until the session's messages before seq are finished,
// for at most Options.OrderWait.
func (w *Worker) waitTurn(ctx context.Context, session string, seq int64) error {
	if seq <= 1 {
		return nil
	}
	deadline := time.Now().Add(w.q.opts.OrderWait)
	pause := 10 * time.Millisecond
	for {
		done, err := w.q.rdb.HGet(ctx, w.q.orderKey(session), "done").Int64()
		if errors.Is(err, redis.Nil) {
			done, err = 0, nil
		}
		if err == nil && done >= seq-1 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for message %d of session: finished %d", seq-1, done)
		}
		sleep(ctx, pause)
		pause = min(2*pause, 250*time.Millisecond)
	}
}

var finishScript = redis.NewScript(`
local d = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if d < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'done', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)

// finish records that the session's message seq is finished.
func (q *Queue) finish(ctx context.Context, session string, seq int64) error {
	if seq <= 0 {
		return nil
	}
	err := finishScript.Run(ctx, q.rdb, []string{q.orderKey(session)}, seq, DefaultOrderTTL.Milliseconds()).Err()
	if err != nil {
		return unavailable(ctx, "finish message", err)
	}
	return nil
}

// ack acknowledges and deletes a finished job.
func (w *Worker) ack(ctx context.Context, entry string) {
	pipe := w.q.rdb.TxPipeline()
	pipe.XAck(ctx, w.q.jobs, group, entry)
	pipe.XDel(ctx, w.q.jobs, entry)
	if _, err := pipe.Exec(ctx); err != nil {
		w.q.log.Warn("acknowledge job", "entry", entry, "err", err)
	}
}

// heartbeat keeps entry's idle time low while the job runs, so that only
// the jobs of dead workers are claimed.
func (w *Worker) heartbeat(ctx context.Context, entry string) {
	every := w.q.opts.ClaimAfter / 3
	for {
		sleep(ctx, every)
		if ctx.Err() != nil {
			return
		}
		w.q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
			Stream: w.q.jobs, Group: group, Consumer: w.consumer, MinIdle: 0, Messages: []string{entry},
		})
	}
}

// sender is the Sender a worker gives the pipeline: deltas go straight
// to the gateway, the reply is recorded and then sent.
type sender struct {
	w        *Worker
	j        job
	entry    string
	recorded bool // set by Send once the outcome is recorded and sent
}

var _ conversation.Streamer = (*sender)(nil)

func (s *sender) Delta(ctx context.Context, _ conversation.Address, text string) error {
	if !s.j.Stream {
		return nil
	}
	return s.w.q.publish(ctx, s.j.Gateway, event{Req: s.j.Req, Kind: kindDelta, Text: text})
}

func (s *sender) Send(ctx context.Context, r conversation.Reply) error {
	ev, err := s.w.record(ctx, &s.j, s.entry, event{Req: s.j.Req, Kind: kindReply, Reply: &r})
	if err != nil {
		return err
	}
	if err := s.w.q.publish(ctx, s.j.Gateway, ev); err != nil {
		return err
	}
	s.recorded = true
	return nil
}

// announce adds the worker to the workers set now and every WorkerBeat
// until the returned stop is called, which also takes it out of the set:
// a worker that stops taking jobs should not keep a gateway ready.
func (w *Worker) announce(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			w.beat(ctx)
			select {
			case <-ctx.Done():
				return
			case <-w.stop:
				return
			case <-time.After(WorkerBeat):
			}
		}
	}()
	return func() {
		cancel()
		<-done
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := w.q.rdb.ZRem(ctx, w.q.workersKey(), w.consumer).Err(); err != nil {
			w.q.log.Debug("leave workers set", "consumer", w.consumer, "err", err)
		}
	}
}

// beat records the worker as alive, drops workers long silent and renews
// the set's TTL. Errors are left to the job loop to report.
func (w *Worker) beat(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, WorkerBeat)
	defer cancel()
	now := time.Now()
	key := w.q.workersKey()
	pipe := w.q.rdb.TxPipeline()
	pipe.ZAdd(ctx, key, redis.Z{Score: float64(now.UnixMilli()), Member: w.consumer})
	pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.Add(-2*WorkerTTL).UnixMilli(), 10))
	pipe.PExpire(ctx, key, 2*WorkerTTL)
	_, _ = pipe.Exec(ctx)
}

// maxDeliveries is how many times a job that fails with an unexplained
// error is tried before the error is its outcome.
const maxDeliveries = 3

// deliveries returns how many times entry was delivered to a worker (1
// on the first try), or maxDeliveries when Redis cannot tell.
func (w *Worker) deliveries(ctx context.Context, entry string) int64 {
	p, err := w.q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: w.q.jobs, Group: group, Start: entry, End: entry, Count: 1}).Result()
	if err != nil || len(p) == 0 {
		return maxDeliveries
	}
	return p[0].RetryCount
}

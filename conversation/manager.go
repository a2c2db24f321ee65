package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/conversation/grounding"
)

// A Manager runs the conversation pipeline. It implements Handler.
//
// # Order and concurrency
//
// Messages of one session are processed one at a time, in the order
// Handle was called: each session has an in-process FIFO queue, drained by
// one goroutine while it is not empty, and every message also holds the
// store's session lock, so replicas sharing a Redis store serialise too.
// Different sessions run in parallel, at most Options.Workers at once;
// a message gives its worker slot back before its reply is delivered, so
// a slow Sender delays only its own session (which stays busy, keeping
// its replies in order, until Send returns), never the others.
//
// # The pipeline
//
// For each message, under the session lock:
//
//  1. the per-user and per-client rate limits (ErrRateLimited; nothing
//     is saved, and the message id is not marked seen), then dedup:
//     Store.MarkSeen on the platform message id (ErrDuplicate);
//  2. handoff state: while a human owns the session the message is kept
//     for the agent, unanswered (ErrHumanHandling);
//  3. the text is cut to MaxMessageBytes and redacted (Redact); from here
//     on only the redacted text is used: it is what is logged, saved,
//     searched and answered. Answering from the redacted text is the safer
//     choice: personal data never reaches the index, the model or the
//     logs, and help-centre answers do not depend on it;
//  4. a request for a human hands the session off at once;
//  5. retrieval with the question, and again with the previous user
//     question prepended when confidence is low (a follow-up like "and
//     for the yearly plan?");
//  6. below ConfidenceThreshold the reply is FallbackText (never a guess);
//     otherwise the Answerer writes it, streaming through the Sender's
//     Streamer when it has one;
//  7. the echo filter drops sentences that repeat the system prompt or a
//     secret; an empty result is a fallback; MaxFallbacks fallbacks in a
//     row hand the session off. The filter sees the whole reply, so text
//     already streamed can differ from the final Reply, which is the
//     truth (adapters replace the streamed text with it);
//  8. the turn (user and bot, redacted) and meta are saved in one
//     Store.SaveTurn, and only then is the reply sent. If the save fails,
//     Handle returns an error wrapping ErrUnavailable and sends nothing
//     (streamed deltas may already have been shown; the final reply is
//     never sent for a turn that was not saved).
//
// The dedup mark of step 1 is set before the turn is saved, so a
// platform retry of a message whose turn failed to save is dropped as a
// duplicate; the failure was reported to the adapter, which answers it
// (a 503 for the web channel, whose retries carry new ids).
type Manager struct {
	opts   Options
	log    *slog.Logger
	echo   *grounding.EchoFilter
	sem    chan struct{} // one token per running session
	wg     sync.WaitGroup
	mu     sync.Mutex
	queues map[string]*queue // guarded by mu; a session's entry lives while its runner does
	closed bool              // guarded by mu
}

var _ Handler = (*Manager)(nil)

// A queue is one session's pending messages.
type queue struct {
	jobs []*job // guarded by Manager.mu
}

type job struct {
	ctx  context.Context
	msg  Message
	out  Sender
	done chan error // buffered: the runner never blocks on it
}

// NewManager returns a Manager for opts. It fails when Store, Searcher or
// Answerer is missing.
func NewManager(opts Options) (*Manager, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("new manager: no store")
	case opts.Searcher == nil:
		return nil, errors.New("new manager: no searcher")
	case opts.Answerer == nil:
		return nil, errors.New("new manager: no answerer")
	}
	opts = opts.withDefaults()
	return &Manager{
		opts:   opts,
		log:    opts.Logger,
		echo:   grounding.NewEchoFilter(opts.SystemPrompt, 0, opts.Secrets...),
		sem:    make(chan struct{}, opts.Workers),
		queues: make(map[string]*queue),
	}, nil
}

// Handle runs the pipeline for m and sends the reply through out before
// returning; see Manager for the steps and Handler for the errors. When
// ctx is done first, Handle returns ctx's error at once; a message still
// waiting in its session's queue is then skipped, and one already being
// processed stops at its next step without saving or sending.
func (mg *Manager) Handle(ctx context.Context, m Message, out Sender) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, msg: m, out: out, done: make(chan error, 1)}
	session := m.Address.SessionID()
	mg.mu.Lock()
	if mg.closed {
		mg.mu.Unlock()
		return ErrShutdown
	}
	q := mg.queues[session]
	if q == nil {
		q = &queue{}
		mg.queues[session] = q
		mg.wg.Add(1)
		go mg.drain(session, q)
	}
	q.jobs = append(q.jobs, j)
	mg.mu.Unlock()

	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain processes session's queue in order until it is empty. It is the
// only goroutine working on that session in this process.
func (mg *Manager) drain(session string, q *queue) {
	defer mg.wg.Done()
	for {
		mg.mu.Lock()
		if len(q.jobs) == 0 {
			delete(mg.queues, session)
			mg.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs[0] = nil
		q.jobs = q.jobs[1:]
		mg.mu.Unlock()

		j.done <- mg.run(j)
	}
}

// run processes one job inside a worker slot, freed before delivery.
func (mg *Manager) run(j *job) (err error) {
	if err := j.ctx.Err(); err != nil {
		mg.opts.Metrics.message(j.msg.Address.Platform, OutcomeCanceled)
		return err
	}
	select {
	case mg.sem <- struct{}{}:
	case <-j.ctx.Done():
		mg.opts.Metrics.message(j.msg.Address.Platform, OutcomeCanceled)
		return j.ctx.Err()
	}
	// The slot is freed before the reply is delivered (process calls
	// free), so a slow platform does not hold up other sessions; the
	// session itself stays busy until Send returns, which keeps its
	// replies in order.
	var once sync.Once
	free := func() { once.Do(func() { <-mg.sem }) }
	defer free()
	defer func() {
		// A panicking searcher, answerer or sender fails this message, not
		// the process.
		if p := recover(); p != nil {
			mg.log.Error("pipeline panic", "session", j.msg.Address.SessionID(), "panic", p)
			err = fmt.Errorf("handle message: panic: %v", p)
		}
	}()
	return mg.process(j.ctx, j.msg, j.out, free)
}

// Shutdown stops taking messages (Handle returns ErrShutdown) and waits
// until every queued message has been processed or ctx is done. A second
// Shutdown returns ErrShutdown.
func (mg *Manager) Shutdown(ctx context.Context) error {
	mg.mu.Lock()
	if mg.closed {
		mg.mu.Unlock()
		return ErrShutdown
	}
	mg.closed = true
	mg.mu.Unlock()
	done := make(chan struct{})
	go func() {
		mg.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shutdown manager: %w", ctx.Err())
	}
}

// Release hands a session back to the bot after a human agent is done
// with it (the operator's release endpoint). Releasing a session that is
// not handed off, or unknown, changes nothing and returns ErrNotHandedOff,
// so an operator who names the wrong session hears about it.
func (mg *Manager) Release(ctx context.Context, session string) error {
	released := false
	err := mg.updateMeta(ctx, session, func(meta *Meta) (bool, error) {
		if meta.State != StateHuman {
			return false, nil
		}
		meta.State = StateBot
		meta.Fallbacks = 0
		released = true
		return true, nil
	})
	if err != nil {
		return err
	}
	if !released {
		return ErrNotHandedOff
	}
	mg.log.Info("session released", "session", session)
	return nil
}

// Handoff hands the session at a to a human agent on request, outside
// the message flow (an adapter's "Talk to a human" button): the session's
// state becomes StateHuman, so the bot stays silent there until Release
// or until the session expires, exactly as after a request for a human
// in a message. The handoff is logged and counted (Metrics.Handoff) with
// reason, which becomes a metrics label and so should be a short fixed
// word such as "button"; empty means HandoffRequested. Handoff sends
// nothing and saves no turn: the caller tells the user. It returns
// ErrHumanHandling when a human already owns the session. It waits for
// a message of the session being processed to finish.
func (mg *Manager) Handoff(ctx context.Context, a Address, reason string) error {
	if reason == "" {
		reason = HandoffRequested
	}
	session := a.SessionID()
	err := mg.updateMeta(ctx, session, func(meta *Meta) (bool, error) {
		if meta.State == StateHuman {
			return false, ErrHumanHandling
		}
		meta.State = StateHuman
		meta.HandoffAt = mg.opts.Now()
		meta.Fallbacks = 0
		return true, nil
	})
	if err != nil {
		return err
	}
	// Counted and logged once the handoff is saved, so it really happened.
	mg.opts.Metrics.handoff(a.Platform, reason)
	mg.log.Info("handoff", "session", session, "platform", a.Platform, "reason", reason)
	return nil
}

// An AgentDesk is what a chat adapter needs to let human agents answer,
// from its agents' channel, users of a channel without agents of its own
// (the web widget). The Manager is one.
type AgentDesk interface {
	History(ctx context.Context, session string) ([]Turn, error)
	Meta(ctx context.Context, session string) (Meta, error)
	SetAgentThread(ctx context.Context, session, thread string) error
	AgentReply(ctx context.Context, session, id, name, text string) (Turn, error)
	Release(ctx context.Context, session string) error
}

var _ AgentDesk = (*Manager)(nil)

// AgentReply saves a human agent's message to session, for its user to
// read (the web widget fetches it; on Slack and Discord agents write in
// the thread themselves). An agent who writes in a session the bot still
// owns takes it over, as a handoff with reason HandoffAgent. It returns
// the saved turn, or ErrNoSession for a session with no saved turns. A
// non-empty id (the platform's id of the agent's message) is saved once:
// a redelivery returns ErrDuplicate. text is cut to four
// times Options.MaxMessageBytes; it is not redacted, since the agent means what
// they send.
func (mg *Manager) AgentReply(ctx context.Context, session, id, name, text string) (Turn, error) {
	text = cut(Normalize(text), agentBytes(mg.opts))
	if strings.TrimSpace(text) == "" {
		return Turn{}, ErrEmptyMessage
	}
	unlock, err := mg.opts.Store.Lock(ctx, session, mg.opts.LockTTL)
	if err != nil {
		return Turn{}, fmt.Errorf("lock session: %w", err)
	}
	defer mg.unlock(ctx, session, unlock)
	if id != "" {
		first, err := mg.opts.Store.MarkSeen(ctx, RoleAgent, id, mg.opts.DedupTTL)
		if err != nil {
			return Turn{}, fmt.Errorf("mark agent message seen: %w", err)
		}
		if !first {
			return Turn{}, ErrDuplicate
		}
	}
	history, err := mg.opts.Store.History(ctx, session)
	if err != nil {
		return Turn{}, fmt.Errorf("load session history: %w", err)
	}
	if len(history) == 0 {
		return Turn{}, ErrNoSession
	}
	meta, err := mg.opts.Store.Meta(ctx, session)
	if err != nil {
		return Turn{}, fmt.Errorf("load session meta: %w", err)
	}
	took := meta.State != StateHuman
	if took {
		meta.State, meta.HandoffAt, meta.Fallbacks = StateHuman, mg.opts.Now(), 0
	}
	t := Turn{Role: RoleAgent, Name: name, Text: text, Time: mg.opts.Now()}
	if err := mg.opts.Store.SaveTurn(ctx, session, []Turn{t}, meta, mg.opts.HistoryTurns, mg.ttl(meta)); err != nil {
		return Turn{}, fmt.Errorf("save agent reply: %w", err)
	}
	if took {
		platform, _, _ := strings.Cut(session, ":")
		mg.opts.Metrics.handoff(platform, HandoffAgent)
		mg.log.Info("handoff", "session", session, "platform", platform, "reason", HandoffAgent)
	}
	return t, nil
}

// SetAgentThread records where agents talk with session's user (see
// Meta.AgentThread).
func (mg *Manager) SetAgentThread(ctx context.Context, session, thread string) error {
	return mg.updateMeta(ctx, session, func(meta *Meta) (bool, error) {
		changed := meta.AgentThread != thread
		meta.AgentThread = thread
		return changed, nil
	})
}

// agentBytes bounds the messages of a conversation with a human agent,
// which are read, not answered: four times MaxMessageBytes, room for as
// many characters in any script (the bot answers from the first
// MaxMessageBytes).
func agentBytes(o Options) int { return 4 * o.MaxMessageBytes }

// ttl is how long a session in state meta lives idle.
func (mg *Manager) ttl(meta Meta) time.Duration {
	if meta.State == StateHuman {
		return mg.opts.HandoffTTL
	}
	return mg.opts.SessionTTL
}

// Meta returns the saved state of session (an Address.SessionID): the
// zero Meta, whose State means the bot, for an unknown one.
func (mg *Manager) Meta(ctx context.Context, session string) (Meta, error) {
	meta, err := mg.opts.Store.Meta(ctx, session)
	if err != nil {
		return Meta{}, fmt.Errorf("load session meta: %w", err)
	}
	return meta, nil
}

// updateMeta loads session's meta under the session lock, lets change
// edit it, and saves it when change reports a change. An error from
// change is returned as it is.
func (mg *Manager) updateMeta(ctx context.Context, session string, change func(*Meta) (bool, error)) error {
	unlock, err := mg.opts.Store.Lock(ctx, session, mg.opts.LockTTL)
	if err != nil {
		return fmt.Errorf("lock session: %w", err)
	}
	defer mg.unlock(ctx, session, unlock)
	meta, err := mg.opts.Store.Meta(ctx, session)
	if err != nil {
		return fmt.Errorf("load session meta: %w", err)
	}
	changed, err := change(&meta)
	if err != nil || !changed {
		return err
	}
	if err := mg.opts.Store.SetMeta(ctx, session, meta, mg.ttl(meta)); err != nil {
		return fmt.Errorf("save session meta: %w", err)
	}
	return nil
}

// History returns the saved turns of session (an Address.SessionID),
// oldest first, as they were stored: redacted, at most
// Options.HistoryTurns of them. An unknown or expired session has none
// (nil, nil). Adapters use it to summarise a conversation for the human
// agent who takes it over.
func (mg *Manager) History(ctx context.Context, session string) ([]Turn, error) {
	turns, err := mg.opts.Store.History(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("load session history: %w", err)
	}
	return turns, nil
}

package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/queue"
	"github.com/switchboard/switchboard/internal/redistest"
)

// fakeBot is a conversation.Handler that answers "re: <text>", streams
// two deltas, dedups by message id and keeps each session's history, as
// the Manager does.
type fakeBot struct {
	mu      sync.Mutex
	seen    map[string]bool
	history map[string][]conversation.Turn
	calls   []string // texts handled, in order
	block   chan struct{}
	started chan string // receives each text as its handling starts (if not nil)
}

func newFakeBot() *fakeBot {
	return &fakeBot{seen: map[string]bool{}, history: map[string][]conversation.Turn{}}
}

func (b *fakeBot) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	b.mu.Lock()
	if b.seen[m.ID] {
		b.mu.Unlock()
		return conversation.ErrDuplicate
	}
	b.seen[m.ID] = true
	b.calls = append(b.calls, m.Text)
	b.mu.Unlock()
	if b.started != nil {
		b.started <- m.Text
	}
	if b.block != nil {
		select {
		case <-b.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if st, ok := out.(conversation.Streamer); ok {
		_ = st.Delta(ctx, m.Address, "re: ")
		_ = st.Delta(ctx, m.Address, m.Text)
	}
	s := m.Address.SessionID()
	b.mu.Lock()
	b.history[s] = append(b.history[s],
		conversation.Turn{Role: "user", Text: m.Text, MessageID: m.ID},
		conversation.Turn{Role: "assistant", Text: "re: " + m.Text})
	b.mu.Unlock()
	return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "re: " + m.Text})
}

func (b *fakeBot) History(_ context.Context, session string) ([]conversation.Turn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]conversation.Turn(nil), b.history[session]...), nil
}

func (b *fakeBot) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

// recorder is a Sender and Streamer that keeps what it gets; with
// redeliver it is a queue.Redeliverer.
type recorder struct {
	redeliver bool
	mu        sync.Mutex
	deltas    []string
	replies   []string
}

func (r *recorder) Redeliver() bool { return r.redeliver }

func (r *recorder) Delta(_ context.Context, _ conversation.Address, s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deltas = append(r.deltas, s)
	return nil
}

func (r *recorder) Send(_ context.Context, rep conversation.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, rep.Text)
	return nil
}

// run starts fn in a goroutine stopped and waited for at cleanup.
func run(t *testing.T, fn func(ctx context.Context)) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func msg(session, id, text string) conversation.Message {
	return conversation.Message{ID: id, Text: text, Address: conversation.Address{Platform: "web", Channel: "widget", Thread: session, User: "u"}}
}

func newQueue(t *testing.T, rdb redis.UniversalClient, claim time.Duration) *queue.Queue {
	t.Helper()
	q, err := queue.New(rdb, queue.Options{Prefix: "t", ClaimAfter: claim})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRoundTrip(t *testing.T) {
	clients := map[string]func(t *testing.T) redis.UniversalClient{
		"single":  func(t *testing.T) redis.UniversalClient { return redistest.Start(t).Client() },
		"cluster": func(t *testing.T) redis.UniversalClient { return redistest.StartCluster(t).Client() },
	}
	for name, client := range clients {
		t.Run(name, func(t *testing.T) {
			q := newQueue(t, client(t), time.Second)
			gw := q.NewGateway()
			run(t, func(ctx context.Context) { gw.Run(ctx) })
			bot := newFakeBot()
			run(t, func(ctx context.Context) { q.NewWorker("w1", bot, bot, 2).Run(ctx) })

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i, text := range []string{"hello", "how do I reset my password"} {
				var rec recorder
				if err := gw.Handle(ctx, msg("s1", fmt.Sprint("m", i), text), &rec); err != nil {
					t.Fatalf("Handle(%q): %v", text, err)
				}
				if got, want := strings.Join(rec.replies, "|"), "re: "+text; got != want {
					t.Errorf("replies = %q, want %q", got, want)
				}
				if got, want := strings.Join(rec.deltas, ""), "re: "+text; got != want {
					t.Errorf("deltas = %q, want %q", got, want)
				}
			}
			// A retry (same id) gets the same reply again, and the
			// pipeline does not run again; a Sender that is not a
			// Redeliverer (Slack: a second post) gets ErrDuplicate.
			if err := gw.Handle(ctx, msg("s1", "m0", "hello"), &recorder{}); !errors.Is(err, conversation.ErrDuplicate) {
				t.Errorf("retry to a plain Sender: err = %v, want ErrDuplicate", err)
			}
			again := recorder{redeliver: true}
			if err := gw.Handle(ctx, msg("s1", "m0", "hello"), &again); err != nil {
				t.Errorf("retry: err = %v, want the first reply again", err)
			}
			if got, want := strings.Join(again.replies, "|"), "re: hello"; got != want {
				t.Errorf("retry replies = %q, want %q", got, want)
			}
			if got, want := len(bot.Calls()), 2; got != want {
				t.Errorf("pipeline ran %d times, want %d", got, want)
			}
			// Jobs are acknowledged just after their outcome is sent.
			var st queue.Stats
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if st, _ = q.Stats(ctx); st.Length == 0 {
					break
				}
			}
			if st.Length != 0 || st.Pending != 0 {
				t.Errorf("stats after all answered = %+v, want empty", st)
			}
		})
	}
}

// TestWorkersCounted: a running worker is counted in Stats.Workers on
// Redis, and a stopped one no longer is, at once (not after WorkerTTL).
func TestWorkersCounted(t *testing.T) {
	q := newQueue(t, redistest.Start(t).Client(), time.Second)
	ctx := context.Background()
	if st, err := q.Stats(ctx); err != nil || st.Workers != 0 {
		t.Fatalf("no worker started: Workers = %d (err %v), want 0", st.Workers, err)
	}
	bot := newFakeBot()
	w1, w2 := q.NewWorker("w1", bot, bot, 1), q.NewWorker("w2", bot, bot, 1)
	run(t, func(ctx context.Context) { w1.Run(ctx) })
	stop2 := run(t, func(ctx context.Context) { w2.Run(ctx) })
	workers := func(want int64) {
		t.Helper()
		var st queue.Stats
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if st, _ = q.Stats(ctx); st.Workers == want {
				return
			}
		}
		t.Fatalf("Workers = %d, want %d", st.Workers, want)
	}
	workers(2)
	stop2()
	workers(1)
	w1.Stop()
	workers(0)
}

// TestDeadWorker: a worker that dies mid-reply leaves its job pending;
// another claims it and answers exactly once, and the session's next
// message, taken meanwhile by the live worker, waits for it.
func TestDeadWorker(t *testing.T) {
	srv := redistest.Start(t)
	q := newQueue(t, srv.Client(), 600*time.Millisecond)
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })

	dead := newFakeBot()
	dead.block = make(chan struct{}) // never answers
	dead.started = make(chan string, 1)
	kill := run(t, func(ctx context.Context) { q.NewWorker("dead", dead, dead, 1).Run(ctx) })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	recs := make([]recorder, 2)
	errs := make([]error, 2)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = gw.Handle(ctx, msg("s", "a", "first"), &recs[0]) }()
	select {
	case <-dead.started:
	case <-ctx.Done():
		t.Fatal("the first worker never started")
	}
	kill() // the worker dies mid-reply; its job stays pending

	live := newFakeBot()
	run(t, func(ctx context.Context) { q.NewWorker("live", live, dead, 2).Run(ctx) })
	wg.Add(1)
	go func() { defer wg.Done(); errs[1] = gw.Handle(ctx, msg("s", "b", "second"), &recs[1]) }()
	wg.Wait()
	for i, want := range []string{"re: first", "re: second"} {
		if errs[i] != nil {
			t.Fatalf("message %d: %v", i, errs[i])
		}
		if got := strings.Join(recs[i].replies, "|"); got != want {
			t.Errorf("message %d replies = %q, want %q", i, got, want)
		}
	}
	// A retry of the first message (a user whose connection broke) gets
	// the reply the claiming worker produced, though the dead attempt's
	// dedup mark is not the one the answer was saved under.
	again := recorder{redeliver: true}
	if err := gw.Handle(ctx, msg("s", "a", "first"), &again); err != nil {
		t.Errorf("retry of the claimed message: err = %v, want its reply", err)
	}
	if got, want := strings.Join(again.replies, "|"), "re: first"; got != want {
		t.Errorf("retry of the claimed message: replies = %q, want %q", got, want)
	}
	if got, want := strings.Join(live.Calls(), ","), "first,second"; got != want {
		t.Errorf("live worker handled %q, want %q (in order, once each)", got, want)
	}
}

// TestSavedTurnNotRegenerated: a job whose worker saved the turn and
// died before recording the outcome is answered from the history, not
// generated again.
func TestSavedTurnNotRegenerated(t *testing.T) {
	srv := redistest.Start(t)
	q := newQueue(t, srv.Client(), 500*time.Millisecond)
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	// The turn is in the history and the dedup mark is set, as after a
	// worker that saved the turn and died before sending.
	bot := newFakeBot()
	m := msg("s", "x", "saved")
	bot.seen[m.ID] = true
	sid := m.Address.SessionID()
	bot.history[sid] = []conversation.Turn{{Role: "user", Text: "saved", MessageID: "x"}, {Role: "assistant", Text: "re: saved"}}

	dying := newFakeBot()
	dying.block = make(chan struct{})
	dying.started = make(chan string, 1)
	kill := run(t, func(ctx context.Context) { q.NewWorker("dying", dying, dying, 1).Run(ctx) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rec recorder
	errc := make(chan error, 1)
	go func() { errc <- gw.Handle(ctx, m, &rec) }()
	<-dying.started
	kill()
	run(t, func(ctx context.Context) { q.NewWorker("heir", bot, bot, 1).Run(ctx) })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.replies, "|"); got != "re: saved" {
		t.Errorf("reply = %q, want the saved one", got)
	}
	if n := len(bot.Calls()); n != 0 {
		t.Errorf("the heir generated %d replies, want 0", n)
	}
}

// TestRetryAfterLostReply: the reply of a message is lost on its way
// (the user's connection broke and the gateway restarted); the user
// retries the same message id through another gateway and gets the reply
// that was generated, not a second generation and not an error. When
// the recorded outcome has expired, the reply saved in the history
// answers the retry.
func TestRetryAfterLostReply(t *testing.T) {
	for _, expired := range []bool{false, true} {
		t.Run(fmt.Sprintf("record_expired=%v", expired), func(t *testing.T) {
			srv := redistest.Start(t)
			opts := queue.Options{Prefix: "t", ClaimAfter: time.Second}
			if expired {
				opts.RecordTTL = 200 * time.Millisecond
			}
			q, err := queue.New(srv.Client(), opts)
			if err != nil {
				t.Fatal(err)
			}
			gw1 := q.NewGateway()
			stopGW1 := run(t, func(ctx context.Context) { gw1.Run(ctx) })
			bot := newFakeBot()
			bot.block = make(chan struct{})
			bot.started = make(chan string, 1)
			run(t, func(ctx context.Context) { q.NewWorker("w", bot, bot, 1).Run(ctx) })

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			m := msg("s", "m1", "where is my parcel")
			hctx, hangUp := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() { errc <- gw1.Handle(hctx, m, &recorder{}) }()
			<-bot.started
			hangUp() // the user's connection breaks mid-reply
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("first attempt: err = %v, want context.Canceled", err)
			}
			stopGW1() // and the gateway restarts
			close(bot.block)
			bot.started = nil
			// Wait until the job is finished (its reply went nowhere).
			for st, _ := q.Stats(ctx); st.Length != 0; st, _ = q.Stats(ctx) {
				if ctx.Err() != nil {
					t.Fatal("the first job never finished")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if expired {
				time.Sleep(300 * time.Millisecond)
			}

			gw2 := q.NewGateway()
			run(t, func(ctx context.Context) { gw2.Run(ctx) })
			for i := range 2 { // and a second retry is no different
				rec := recorder{redeliver: true}
				if err := gw2.Handle(ctx, m, &rec); err != nil {
					t.Fatalf("retry %d: err = %v, want the generated reply", i, err)
				}
				if got, want := strings.Join(rec.replies, "|"), "re: where is my parcel"; got != want {
					t.Errorf("retry %d: replies = %q, want %q", i, got, want)
				}
				if len(rec.deltas) != 0 {
					t.Errorf("retry %d: deltas = %q, want none (nothing is generated)", i, rec.deltas)
				}
			}
			if got := bot.Calls(); len(got) != 1 {
				t.Errorf("pipeline ran %d times (%q), want once", len(got), got)
			}
			// A new message of the session is processed as usual.
			var rec recorder
			if err := gw2.Handle(ctx, msg("s", "m2", "thanks"), &rec); err != nil || strings.Join(rec.replies, "|") != "re: thanks" {
				t.Errorf("next message: replies %q, err %v", rec.replies, err)
			}
		})
	}
}

// TestRetryWaitsForFirstAttempt: a retry whose first attempt is still
// being answered when the session's order wait runs out is not told
// "duplicate": it waits (left pending and claimed again if need be) and
// gets the reply of the first attempt.
func TestRetryWaitsForFirstAttempt(t *testing.T) {
	srv := redistest.Start(t)
	q, err := queue.New(srv.Client(), queue.Options{Prefix: "t", ClaimAfter: 600 * time.Millisecond, OrderWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	bot := newFakeBot()
	bot.block = make(chan struct{})
	bot.started = make(chan string, 1)
	run(t, func(ctx context.Context) { q.NewWorker("w", bot, bot, 2).Run(ctx) })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := msg("s", "m1", "slow question")
	recs := []recorder{{redeliver: true}, {redeliver: true}}
	errs := make(chan error, 2)
	go func() { errs <- gw.Handle(ctx, m, &recs[0]) }()
	<-bot.started
	go func() { errs <- gw.Handle(ctx, m, &recs[1]) }() // the user retries at once
	time.Sleep(2 * time.Second)                         // several order waits and claims
	close(bot.block)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Handle: %v, want the reply", err)
		}
	}
	for i := range recs {
		if got, want := strings.Join(recs[i].replies, "|"), "re: slow question"; got != want {
			t.Errorf("attempt %d: replies %q, want %q", i, got, want)
		}
	}
	if n := len(bot.Calls()); n != 1 {
		t.Errorf("pipeline ran %d times, want once", n)
	}
}

// TestRetryWithoutOwner: when the record of which job carried a message
// is gone (lost with a failed primary, or expired), the pipeline's own
// dedup catches the retry, and the reply saved in the history answers it.
func TestRetryWithoutOwner(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	q := newQueue(t, rdb, time.Second)
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	bot := newFakeBot()
	run(t, func(ctx context.Context) { q.NewWorker("w", bot, bot, 1).Run(ctx) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := msg("s", "m1", "hello")
	if err := gw.Handle(ctx, m, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, "t:{queue}:owner:web:m1").Err(); err != nil {
		t.Fatal(err)
	}
	rec := recorder{redeliver: true}
	if err := gw.Handle(ctx, m, &rec); err != nil || strings.Join(rec.replies, "|") != "re: hello" {
		t.Errorf("retry: replies %q, err %v; want the saved reply", rec.replies, err)
	}
	if err := gw.Handle(ctx, m, &recorder{}); !errors.Is(err, conversation.ErrDuplicate) {
		t.Errorf("retry to a plain Sender: err = %v, want ErrDuplicate", err)
	}
	if n := len(bot.Calls()); n != 1 {
		t.Errorf("pipeline ran %d times, want once", n)
	}
}

func TestSavedReply(t *testing.T) {
	m := msg("s", "m2", "q")
	turns := []conversation.Turn{
		{Role: "user", MessageID: "m1", Text: "hi"},
		{Role: "assistant", Text: conversation.FallbackText},
		{Role: "user", MessageID: "m2#rabc", Text: "q"},
		{Role: "assistant", Text: "answer"},
		{Role: "user", MessageID: "m3", Text: "human please"},
		{Role: "assistant", Text: conversation.HandoffText},
		{Role: "user", MessageID: "m4", Text: "unanswered"},
		{Role: "user", MessageID: "m5", Text: "hola?"},
		{Role: "assistant", Text: conversation.TextsFor("", "hola").Fallback},
		{Role: "user", MessageID: "m6", Text: "y ahora?"},
		{Role: "assistant", Text: conversation.TextsFor("", "hola").FallbackHandoff()},
	}
	tests := []struct {
		id, asked      string
		found          bool
		text           string
		fallback, hand bool
	}{
		{"m1", "hi", true, conversation.FallbackText, true, false},
		{"m2", "q", true, "answer", false, false},
		{"m2", "another question", false, "", false, false}, // the id reused: no replay
		{"m3", "human please", true, conversation.HandoffText, false, true},
		{"m4", "unanswered", false, "", false, false},
		{"m5", "hola?", true, conversation.TextsFor("", "hola").Fallback, true, false},
		{"m6", "y ahora?", true, conversation.TextsFor("", "hola").FallbackHandoff(), true, true},
		{"m9", "q", false, "", false, false},
		{"", "q", false, "", false, false},
	}
	for _, tt := range tests {
		m.ID, m.Text = tt.id, tt.asked
		got, found := queue.SavedReply(turns, m)
		if found != tt.found || got.Text != tt.text || got.Fallback != tt.fallback || got.Handoff != tt.hand {
			t.Errorf("SavedReply(%q) = %+v, %v; want text %q fallback %v handoff %v, %v", tt.id, got, found, tt.text, tt.fallback, tt.hand, tt.found)
		}
		if found && got.Address != m.Address {
			t.Errorf("SavedReply(%q) address = %+v, want %+v", tt.id, got.Address, m.Address)
		}
	}
}

func TestBusyAndUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	q, err := queue.New(srv.Client(), queue.Options{Prefix: "t", MaxAge: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	// No worker: the first message waits in the queue and ages.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_ = gw.Handle(ctx, msg("s", "1", "anyone?"), &recorder{})
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !gw.Busy() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := gw.Handle(context.Background(), msg("s", "2", "still there?"), &recorder{}); !errors.Is(err, queue.ErrBusy) {
		t.Errorf("Handle with an old queue: err = %v, want ErrBusy", err)
	}
	// gw.Stats is the last periodic snapshot (Busy ages it); ask Redis.
	if st, err := q.Stats(context.Background()); err != nil || st.Length != 1 || st.OldestAge < 300*time.Millisecond {
		t.Errorf("stats = %+v, %v; want one job older than 300ms", st, err)
	}

	// Redis gone: refused at once, as unavailable.
	srv.Stop()
	start := time.Now()
	err = gw.Handle(context.Background(), msg("t", "3", "hello?"), &recorder{})
	if !errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("Handle without Redis: err = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Handle without Redis took %v", d)
	}
	// Back again: the job queued before the outage is still there.
	srv.Restart()
	st, err := q.Stats(context.Background())
	if err != nil || st.Length != 1 {
		t.Errorf("after restart: stats = %+v, %v; want the queued job kept", st, err)
	}
}

// TestClusterFailover kills the primary that holds the jobs stream while
// users keep sending: gateways refuse (ErrUnavailable) until the replica
// takes over, users retry with the same message id, and every message is
// answered by the pipeline exactly once.
func TestClusterFailover(t *testing.T) {
	c := redistest.StartClusterWith(t, redistest.ClusterOptions{Replicas: 1})
	rdb := c.Client()
	q := newQueue(t, rdb, time.Second)
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	bot := newFakeBot()
	for i := range 2 {
		run(t, func(ctx context.Context) { q.NewWorker(fmt.Sprint("w", i), bot, bot, 2).Run(ctx) })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const n = 30
	retries := 0
	for i := range n {
		if i == n/3 {
			c.PrimaryFor(ctx, "t:{queue}:jobs").Kill()
		}
		m := msg(fmt.Sprint("s", i%3), fmt.Sprint("m", i), fmt.Sprint("q", i))
		for {
			if err := ctx.Err(); err != nil {
				t.Fatalf("message %d not answered: %v", i, err)
			}
			actx, acancel := context.WithTimeout(ctx, 8*time.Second)
			err := gw.Handle(actx, m, &recorder{})
			acancel()
			if err == nil || errors.Is(err, conversation.ErrDuplicate) {
				break
			}
			retries++
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Every message ran through the pipeline once (a worker's retry of a
	// job it lost carries a suffixed id, so count the texts).
	counts := map[string]int{}
	for _, text := range bot.Calls() {
		counts[text]++
	}
	for i := range n {
		if got := counts[fmt.Sprint("q", i)]; got != 1 {
			t.Errorf("message q%d handled %d times, want 1", i, got)
		}
	}
	if retries == 0 {
		t.Error("no message had to be retried: the failover did not happen while sending")
	}
	t.Logf("%d retries during the failover", retries)
}

// flaky fails its first call with an error the pipeline does not
// explain, then answers.
type flaky struct {
	*fakeBot
	failed atomic.Bool
}

func (f *flaky) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	if !f.failed.Swap(true) {
		return errors.New("save turn: something odd")
	}
	return f.fakeBot.Handle(ctx, m, out)
}

// TestUnexplainedErrorRetried: a job whose pipeline fails with an error
// it does not explain is tried again by a worker, and the message gets
// its reply; recorded at once, the error was the outcome of the message
// and of every retry of it for good.
func TestUnexplainedErrorRetried(t *testing.T) {
	q := newQueue(t, redistest.Start(t).Client(), 300*time.Millisecond)
	gw := q.NewGateway()
	run(t, func(ctx context.Context) { gw.Run(ctx) })
	bot := &flaky{fakeBot: newFakeBot()}
	run(t, func(ctx context.Context) { q.NewWorker("w1", bot, bot, 1).Run(ctx) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rec recorder
	if err := gw.Handle(ctx, msg("s1", "m1", "hello"), &rec); err != nil {
		t.Fatalf("Handle: %v, want the reply of the second try", err)
	}
	if got, want := strings.Join(rec.replies, "|"), "re: hello"; got != want {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

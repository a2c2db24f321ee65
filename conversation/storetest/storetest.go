// Package storetest is the conformance suite for conversation.Store. Every
// implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) conversation.Store { return memstore.New(memstore.Options{}) })
//	}
//
// The suite uses short real TTLs (a few hundred milliseconds), so it needs
// no fake clock and works the same against a real Redis.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// Short durations used by the expiry tests. Redis expires keys with
// millisecond precision, so these are generous.
const (
	shortTTL = 400 * time.Millisecond
	pastTTL  = 700 * time.Millisecond // sleep this long to be past shortTTL
	longTTL  = time.Minute
)

// Run runs the suite. newStore must return a new, empty store that shares
// no keys with the stores it returned before (a fresh Redis database, or a
// unique key prefix); Run closes every store it gets. Subtests run in
// parallel.
func Run(t *testing.T, newStore func(t *testing.T) conversation.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s conversation.Store)
	}{
		{"MarkSeen", testMarkSeen},
		{"MarkSeenExpiry", testMarkSeenExpiry},
		{"HistoryOrderAndCap", testHistoryOrderAndCap},
		{"HistoryIsACopy", testHistoryIsACopy},
		{"MetaRoundTrip", testMetaRoundTrip},
		{"SaveTurnAtomic", testSaveTurnAtomic},
		{"InvalidArguments", testInvalidArguments},
		{"SessionExpiry", testSessionExpiry},
		{"WriteRefreshesTTL", testWriteRefreshesTTL},
		{"LockExclusion", testLockExclusion},
		{"LockHonoursContext", testLockHonoursContext},
		{"LockExpiresAfterHolderDies", testLockExpiry},
		{"UnlockOfStolenLockIsNoop", testUnlockStolen},
		{"AllowWindow", testAllowWindow},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentConversations", testConcurrentConversations},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() { s.Close() }) // a second Close is harmless
			tt.fn(t, s)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// turn builds a turn whose fields all survive a round trip.
func turn(role, text, id string) conversation.Turn {
	return conversation.Turn{
		Role:      role,
		Text:      text,
		MessageID: id,
		Time:      time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC),
	}
}

func testMarkSeen(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	steps := []struct {
		platform, id string
		want         bool
	}{
		{"slack", "Ev01", true},
		{"slack", "Ev01", false},  // redelivered
		{"discord", "Ev01", true}, // same id, other platform
		{"slack", "Ev02", true},
		{"slack", "ev01", true}, // ids are case-sensitive
		{"discord", "Ev01", false},
		{"web", "", true}, // an empty id cannot be deduplicated
		{"web", "", true},
		{"web", "{x}:y", true}, // braces and colons in ids are data
		{"web", "{x}:y", false},
	}
	for i, st := range steps {
		got, err := s.MarkSeen(ctx, st.platform, st.id, longTTL)
		if err != nil {
			t.Fatalf("step %d: MarkSeen(%q, %q): %v", i, st.platform, st.id, err)
		}
		if got != st.want {
			t.Errorf("step %d: MarkSeen(%q, %q) = %v, want %v", i, st.platform, st.id, got, st.want)
		}
	}
}

func testMarkSeenExpiry(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	if first, err := s.MarkSeen(ctx, "web", "m1", shortTTL); err != nil || !first {
		t.Fatalf("MarkSeen(m1) = %v, %v, want true, nil", first, err)
	}
	if first, err := s.MarkSeen(ctx, "web", "m1", shortTTL); err != nil || first {
		t.Fatalf("MarkSeen(m1) again = %v, %v, want false, nil", first, err)
	}
	time.Sleep(pastTTL)
	if first, err := s.MarkSeen(ctx, "web", "m1", shortTTL); err != nil || !first {
		t.Fatalf("MarkSeen(m1) after its ttl = %v, %v, want true, nil", first, err)
	}
}

func testHistoryOrderAndCap(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	const id = "web::conv-1:"
	got, err := s.History(ctx, id)
	if err != nil || got != nil {
		t.Fatalf("History(unknown) = %v, %v, want nil, nil", got, err)
	}

	var all []conversation.Turn
	for i := range 4 {
		batch := []conversation.Turn{
			turn("user", fmt.Sprintf("question %d", i), fmt.Sprintf("m%d", i)),
			turn("assistant", fmt.Sprintf("answer %d with \"quotes\", üñíçødé and\nnewlines", i), ""),
		}
		batch[1].Citations = []knowledge.Citation{
			{Title: "Refunds", Source: "refunds.md#how-long", URL: "https://example.com/refunds"},
			{Title: "Billing", Source: "billing.md"},
		}
		all = append(all, batch...)
		if err := s.SaveTurn(ctx, id, batch, conversation.Meta{Turns: i + 1}, 5, longTTL); err != nil {
			t.Fatalf("SaveTurn(batch %d): %v", i, err)
		}
		got, err := s.History(ctx, id)
		if err != nil {
			t.Fatalf("History after batch %d: %v", i, err)
		}
		want := all[max(0, len(all)-5):]
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("History after batch %d (cap 5) mismatch (-want +got):\n%s", i, diff)
		}
	}

	// A batch larger than the cap keeps only its newest turns.
	big := []conversation.Turn{turn("user", "a", ""), turn("user", "b", ""), turn("user", "c", "")}
	if err := s.SaveTurn(ctx, id, big, conversation.Meta{}, 2, longTTL); err != nil {
		t.Fatalf("SaveTurn(big): %v", err)
	}
	got, err = s.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(big[1:], got); diff != "" {
		t.Errorf("History after a batch over the cap (-want +got):\n%s", diff)
	}

	// Sessions do not see each other.
	if got, err := s.History(ctx, id+"other"); err != nil || got != nil {
		t.Errorf("History(other session) = %v, %v, want nil, nil", got, err)
	}
}

func testHistoryIsACopy(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	in := []conversation.Turn{turn("assistant", "hello", "")}
	in[0].Citations = []knowledge.Citation{{Title: "T", Source: "t.md"}}
	if err := s.SaveTurn(ctx, "s", in, conversation.Meta{}, 10, longTTL); err != nil {
		t.Fatal(err)
	}
	in[0].Text = "changed by the caller"
	in[0].Citations[0].Title = "changed by the caller"

	got, err := s.History(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	got[0].Text = "changed by a reader"
	got[0].Citations[0].Title = "changed by a reader"

	again, err := s.History(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Text != "hello" || again[0].Citations[0].Title != "T" {
		t.Errorf("History() = %+v, want the saved turn unchanged by callers", again[0])
	}
}

func testMetaRoundTrip(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	got, err := s.Meta(ctx, "unknown")
	if err != nil || got != (conversation.Meta{}) {
		t.Fatalf("Meta(unknown) = %+v, %v, want zero, nil", got, err)
	}
	handoff := time.Date(2026, 11, 29, 23, 1, 2, 345678901, time.FixedZone("x", 3600))
	metas := []conversation.Meta{
		{State: conversation.StateHuman, Fallbacks: 2, Turns: 7, HandoffAt: handoff, AgentThread: "slack:C0AGENTS:1700000000.000100",
			ReplyTo: "https://crm.example.com/switchboard"},
		{State: conversation.StateBot, Turns: 8}, // released: HandoffAt and the thread cleared
		{},
	}
	for i, m := range metas {
		if err := s.SetMeta(ctx, "s", m, longTTL); err != nil {
			t.Fatalf("SetMeta(%d): %v", i, err)
		}
		got, err := s.Meta(ctx, "s")
		if err != nil {
			t.Fatalf("Meta after SetMeta(%d): %v", i, err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("Meta after SetMeta(%d) (-want +got):\n%s", i, diff)
		}
	}

	// SaveTurn replaces meta too; SetMeta leaves the history alone.
	m := conversation.Meta{State: conversation.StateHuman, Fallbacks: 1, Turns: 3, HandoffAt: handoff}
	h := []conversation.Turn{turn("user", "hi", "m1")}
	if err := s.SaveTurn(ctx, "s", h, m, 10, longTTL); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Meta(ctx, "s"); err != nil || !cmp.Equal(got, m) {
		t.Errorf("Meta after SaveTurn = %+v, %v, want %+v", got, err, m)
	}
	if err := s.SetMeta(ctx, "s", conversation.Meta{Turns: 4}, longTTL); err != nil {
		t.Fatal(err)
	}
	if got, err := s.History(ctx, "s"); err != nil || !cmp.Equal(got, h) {
		t.Errorf("History after SetMeta = %+v, %v, want %+v", got, err, h)
	}
}

// testSaveTurnAtomic reads while a writer saves question/answer pairs and
// checks that no reader ever sees half a save.
func testSaveTurnAtomic(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	const saves = 150
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 1; i <= saves; i++ {
			pair := []conversation.Turn{
				turn("user", fmt.Sprint(i), fmt.Sprint(i)),
				turn("assistant", fmt.Sprint(i), ""),
			}
			if err := s.SaveTurn(ctx, "s", pair, conversation.Meta{Turns: i}, 2*saves, longTTL); err != nil {
				errc <- err
				return
			}
		}
	}()
	reads := 0
	for {
		select {
		case <-done:
			select {
			case err := <-errc:
				t.Fatalf("SaveTurn: %v", err)
			default:
			}
			h, err := s.History(ctx, "s")
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 2*saves {
				t.Fatalf("len(History) = %d after %d saves of 2 turns, want %d", len(h), saves, 2*saves)
			}
			t.Logf("%d consistent reads during %d saves", reads, saves)
			return
		default:
		}
		h, err := s.History(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Meta(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		if len(h)%2 != 0 {
			t.Fatalf("History has %d turns: a save of 2 turns was seen half-written", len(h))
		}
		// Meta is read after the history, so it is at least as new.
		if m.Turns < len(h)/2 {
			t.Fatalf("Meta().Turns = %d after History showed %d saves: meta and history out of step", m.Turns, len(h)/2)
		}
		reads++
	}
}

func testInvalidArguments(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	good := []conversation.Turn{turn("user", "kept", "m0")}
	if err := s.SaveTurn(ctx, "s", good, conversation.Meta{Turns: 1}, 10, longTTL); err != nil {
		t.Fatal(err)
	}
	bad := []conversation.Turn{turn("user", "never", "m1")}
	calls := []struct {
		name string
		call func() error
	}{
		{"SaveTurn max 0", func() error { return s.SaveTurn(ctx, "s", bad, conversation.Meta{Turns: 9}, 0, longTTL) }},
		{"SaveTurn ttl 0", func() error { return s.SaveTurn(ctx, "s", bad, conversation.Meta{Turns: 9}, 10, 0) }},
		{"SaveTurn ttl -1s", func() error { return s.SaveTurn(ctx, "s", bad, conversation.Meta{Turns: 9}, 10, -time.Second) }},
		{"SetMeta ttl 0", func() error { return s.SetMeta(ctx, "s", conversation.Meta{Turns: 9}, 0) }},
		{"MarkSeen ttl 0", func() error { _, err := s.MarkSeen(ctx, "web", "x", 0); return err }},
		{"Lock ttl 0", func() error { _, err := s.Lock(ctx, "s", 0); return err }},
		{"Allow window 0", func() error { _, err := s.Allow(ctx, "k", 1, 0); return err }},
		{"Allow limit 0", func() error { _, err := s.Allow(ctx, "k", 0, time.Second); return err }},
	}
	for _, c := range calls {
		if err := c.call(); err == nil {
			t.Errorf("%s: err = nil, want an error", c.name)
		}
	}
	// Nothing of the rejected calls was written.
	if h, err := s.History(ctx, "s"); err != nil || !cmp.Equal(h, good) {
		t.Errorf("History after rejected calls = %+v, %v, want %+v", h, err, good)
	}
	if m, err := s.Meta(ctx, "s"); err != nil || m.Turns != 1 {
		t.Errorf("Meta after rejected calls = %+v, %v, want Turns 1", m, err)
	}
	if first, err := s.MarkSeen(ctx, "web", "x", longTTL); err != nil || !first {
		t.Errorf("MarkSeen(x) after a rejected MarkSeen(x) = %v, %v, want true, nil", first, err)
	}
}

func testSessionExpiry(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	m := conversation.Meta{State: conversation.StateHuman, Turns: 1}
	if err := s.SaveTurn(ctx, "short", []conversation.Turn{turn("user", "hi", "")}, m, 10, shortTTL); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTurn(ctx, "long", []conversation.Turn{turn("user", "hi", "")}, m, 10, longTTL); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "metaonly", m, shortTTL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pastTTL)
	for _, id := range []string{"short", "metaonly"} {
		if h, err := s.History(ctx, id); err != nil || h != nil {
			t.Errorf("History(%s) after its ttl = %v, %v, want nil, nil", id, h, err)
		}
		if got, err := s.Meta(ctx, id); err != nil || got != (conversation.Meta{}) {
			t.Errorf("Meta(%s) after its ttl = %+v, %v, want zero (a handoff ends when the session expires)", id, got, err)
		}
	}
	if h, err := s.History(ctx, "long"); err != nil || len(h) != 1 {
		t.Errorf("History(long) = %v, %v, want 1 turn", h, err)
	}
	// An expired session starts afresh.
	if err := s.SaveTurn(ctx, "short", []conversation.Turn{turn("user", "again", "")}, conversation.Meta{Turns: 1}, 10, longTTL); err != nil {
		t.Fatal(err)
	}
	if h, err := s.History(ctx, "short"); err != nil || len(h) != 1 || h[0].Text != "again" {
		t.Errorf("History(short) after a new save = %+v, %v, want just the new turn", h, err)
	}
}

func testWriteRefreshesTTL(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	h := []conversation.Turn{turn("user", "hi", "")}
	if err := s.SaveTurn(ctx, "s", h, conversation.Meta{Turns: 1}, 10, shortTTL); err != nil {
		t.Fatal(err)
	}
	// Keep writing meta for longer than the ttl: the history must stay.
	deadline := time.Now().Add(pastTTL)
	for time.Now().Before(deadline) {
		time.Sleep(shortTTL / 4)
		if err := s.SetMeta(ctx, "s", conversation.Meta{Turns: 2}, shortTTL); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.History(ctx, "s"); err != nil || len(got) != 1 {
		t.Errorf("History after SetMeta kept refreshing the ttl = %v, %v, want 1 turn", got, err)
	}
	time.Sleep(pastTTL)
	if got, err := s.History(ctx, "s"); err != nil || got != nil {
		t.Errorf("History after writes stopped for longer than the ttl = %v, %v, want nil, nil", got, err)
	}
}

// testLockExclusion increments a counter kept in the store under the lock:
// a lock that lets two holders in loses updates.
func testLockExclusion(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	const workers, rounds = 8, 25
	var holders, maxHolders atomic.Int32
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := incrementLocked(ctx, s, "counter", &holders, &maxHolders); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	m, err := s.Meta(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Turns, workers*rounds; got != want {
		t.Errorf("counter = %d after %d locked increments, want %d (lost updates)", got, want, want)
	}
	if got := maxHolders.Load(); got != 1 {
		t.Errorf("at most %d goroutines held the lock at once, want 1", got)
	}
}

func incrementLocked(ctx context.Context, s conversation.Store, id string, holders, maxHolders *atomic.Int32) error {
	unlock, err := s.Lock(ctx, id, 10*time.Second)
	if err != nil {
		return err
	}
	n := holders.Add(1)
	for {
		m := maxHolders.Load()
		if n <= m || maxHolders.CompareAndSwap(m, n) {
			break
		}
	}
	m, err := s.Meta(ctx, id)
	if err == nil {
		m.Turns++
		err = s.SetMeta(ctx, id, m, longTTL)
	}
	holders.Add(-1)
	if uerr := unlock(ctx); err == nil {
		err = uerr
	}
	return err
}

func testLockHonoursContext(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	unlock, err := s.Lock(ctx, "s", longTTL)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(ctx)

	wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	u2, err := s.Lock(wctx, "s", longTTL)
	if err == nil {
		u2(ctx)
		t.Fatal("Lock of a held lock succeeded, want a context error")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock of a held lock = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Lock returned %v after its context expired after 150ms", d)
	}
	// Other sessions are not blocked.
	u3, err := s.Lock(wctx, "other", longTTL)
	if err == nil {
		err = u3(ctx)
	}
	if err != nil && wctx.Err() == nil {
		t.Errorf("Lock(other session): %v", err)
	}
}

func testLockExpiry(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	if _, err := s.Lock(ctx, "s", shortTTL); err != nil { // the holder "dies": never unlocks
		t.Fatal(err)
	}
	start := time.Now()
	unlock, err := s.Lock(ctx, "s", longTTL)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	defer unlock(ctx)
	waited := time.Since(start)
	if waited < shortTTL/2 {
		t.Errorf("second Lock got the lock after %v, before the first one's ttl %v", waited, shortTTL)
	}
	if waited > 5*time.Second {
		t.Errorf("second Lock waited %v for a lock with ttl %v", waited, shortTTL)
	}
}

func testUnlockStolen(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	unlockA, err := s.Lock(ctx, "s", shortTTL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(pastTTL) // A overruns its ttl
	unlockB, err := s.Lock(ctx, "s", longTTL)
	if err != nil {
		t.Fatal(err)
	}
	if err := unlockA(ctx); err != nil {
		t.Errorf("unlock of an expired lock = %v, want nil (a no-op)", err)
	}
	// B still holds the lock.
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if u, err := s.Lock(wctx, "s", longTTL); err == nil {
		u(ctx)
		t.Fatal("Lock succeeded after a stale unlock: the stale holder released the new holder's lock")
	}
	if err := unlockB(ctx); err != nil {
		t.Fatalf("unlock by the holder: %v", err)
	}
	if err := unlockB(ctx); err != nil {
		t.Errorf("second unlock = %v, want nil", err)
	}
	wctx2, cancel2 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel2()
	unlockC, err := s.Lock(wctx2, "s", longTTL)
	if err != nil {
		t.Fatalf("Lock after the holder unlocked: %v", err)
	}
	unlockC(ctx)
}

func testAllowWindow(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	const limit = 3
	steps := []struct {
		key  string
		want bool
	}{
		{"user:a", true},
		{"user:a", true},
		{"user:b", true},
		{"user:a", true},
		{"user:a", false}, // 4th in the window
		{"user:a", false},
		{"user:b", true},
		{"{user}:c", true},
	}
	for i, st := range steps {
		got, err := s.Allow(ctx, st.key, limit, shortTTL)
		if err != nil {
			t.Fatalf("step %d: Allow(%q): %v", i, st.key, err)
		}
		if got != st.want {
			t.Errorf("step %d: Allow(%q, %d) = %v, want %v", i, st.key, limit, got, st.want)
		}
	}
	time.Sleep(pastTTL) // a new window
	for i := range limit {
		if got, err := s.Allow(ctx, "user:a", limit, shortTTL); err != nil || !got {
			t.Errorf("Allow(user:a) #%d in a new window = %v, %v, want true, nil", i+1, got, err)
		}
	}
	if got, err := s.Allow(ctx, "user:a", limit, shortTTL); err != nil || got {
		t.Errorf("Allow(user:a) over the limit in the new window = %v, %v, want false, nil", got, err)
	}
}

func testCanceledContext(t *testing.T, s conversation.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"History", func() error { _, err := s.History(ctx, "s"); return err }},
		{"SaveTurn", func() error {
			return s.SaveTurn(ctx, "s", []conversation.Turn{turn("user", "x", "")}, conversation.Meta{}, 10, longTTL)
		}},
		{"Lock", func() error { _, err := s.Lock(ctx, "s", longTTL); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want an error wrapping context.Canceled", c.name, err)
		}
	}
	if h, err := s.History(t.Context(), "s"); err != nil || h != nil {
		t.Errorf("History after a canceled SaveTurn = %v, %v, want nil, nil", h, err)
	}
}

// testConcurrentConversations is the spine issue's acceptance check: 50
// goroutines send 20 messages each into 10 sessions, every message
// delivered twice, handled as the pipeline does (dedup, lock, load, save).
// Every session's history must be complete, in order and without
// duplicates.
func testConcurrentConversations(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	const senders, perSender, sessions = 50, 20, 10
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	for g := range senders {
		wg.Go(func() {
			for j := range perSender {
				id := fmt.Sprintf("g%02d-%02d", g, j)
				session := fmt.Sprintf("web::s%d:", (g+j)%sessions)
				for range 2 { // redelivery
					if err := handle(ctx, s, session, id); err != nil {
						errc <- fmt.Errorf("message %s: %w", id, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}

	for k := range sessions {
		session := fmt.Sprintf("web::s%d:", k)
		h, err := s.History(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Meta(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		want := senders * perSender / sessions
		if m.Turns != want {
			t.Errorf("%s: Meta().Turns = %d, want %d", session, m.Turns, want)
		}
		if len(h) != 2*want {
			t.Errorf("%s: %d turns, want %d", session, len(h), 2*want)
		}
		seen := map[string]bool{}
		last := map[int]int{} // sender -> last message index seen
		for i := 0; i+1 < len(h); i += 2 {
			q, a := h[i], h[i+1]
			if q.Role != "user" || a.Role != "assistant" || a.Text != "re: "+q.Text {
				t.Fatalf("%s: turns %d,%d = %+v, %+v, want a question and its answer", session, i, i+1, q, a)
			}
			if seen[q.MessageID] {
				t.Errorf("%s: message %s saved twice", session, q.MessageID)
			}
			seen[q.MessageID] = true
			var g, j int
			if _, err := fmt.Sscanf(q.MessageID, "g%d-%d", &g, &j); err != nil {
				t.Fatalf("%s: unexpected message id %q", session, q.MessageID)
			}
			if prev, ok := last[g]; ok && j <= prev {
				t.Errorf("%s: message g%02d-%02d after g%02d-%02d: out of order", session, g, j, g, prev)
			}
			last[g] = j
		}
	}
}

// handle runs one message through the store the way the pipeline does.
func handle(ctx context.Context, s conversation.Store, session, id string) error {
	first, err := s.MarkSeen(ctx, "web", id, longTTL)
	if err != nil || !first {
		return err
	}
	unlock, err := s.Lock(ctx, session, 10*time.Second)
	if err != nil {
		return err
	}
	defer unlock(ctx)
	if _, err := s.History(ctx, session); err != nil {
		return err
	}
	m, err := s.Meta(ctx, session)
	if err != nil {
		return err
	}
	m.Turns++
	turns := []conversation.Turn{turn("user", id, id), turn("assistant", "re: "+id, "")}
	return s.SaveTurn(ctx, session, turns, m, 1000, longTTL)
}

func testClose(t *testing.T, s conversation.Store) {
	ctx := ctxT(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	unlock, err := s.Lock(ctx, "s", longTTL)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(ctx)
	// A waiter blocked on the lock must return when the store closes (or
	// its context ends), not hang.
	waiter := make(chan error, 1)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	go func() {
		u, err := s.Lock(wctx, "s", longTTL)
		if err == nil {
			u(ctx)
		}
		waiter <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if err := <-waiter; err == nil {
		t.Error("a Lock waiting when the store closed succeeded, want an error")
	}
	if err := s.Ping(ctx); !errors.Is(err, conversation.ErrClosed) {
		t.Errorf("Ping after Close = %v, want an error wrapping ErrClosed", err)
	}
	if _, err := s.History(ctx, "s"); !errors.Is(err, conversation.ErrClosed) {
		t.Errorf("History after Close = %v, want an error wrapping ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, conversation.ErrClosed) {
		t.Errorf("second Close() = %v, want ErrClosed", err)
	}
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/storetest"
	"github.com/switchboard/switchboard/internal/redistest"
)

func TestMain(m *testing.M) {
	// go-redis logs every failed dial; the outage tests cause hundreds.
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// quiet keeps expected warnings (a lock that expired before its unlock)
// out of the test output.
var quiet = slog.New(slog.DiscardHandler)

// prefixes gives every store of a test run its own keys.
var prefixes atomic.Int64

func newPrefix() string { return fmt.Sprintf("t%d", prefixes.Add(1)) }

func mustNew(t *testing.T, rdb redis.UniversalClient, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := New(rdb, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) conversation.Store {
		return mustNew(t, srv.Client(), Options{Prefix: newPrefix()})
	})
}

// TestCluster runs the suite on a three-node Redis Cluster, with stores
// made by Open from a redis+cluster:// URL, then stops a primary.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	url := "redis+cluster://" + strings.Join(c.Addrs, ",")
	t.Run("Suite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) conversation.Store {
			s, err := Open(t.Context(), url, Options{Prefix: newPrefix(), Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.rdb.(*redis.ClusterClient); !ok {
				t.Fatalf("Open(%s) made a %T, want *redis.ClusterClient", url, s.rdb)
			}
			return s
		})
	})
	t.Run("NodeDown", func(t *testing.T) { testClusterNodeDown(t, c) })
}

// TestKeyLayout pins the key names of DESIGN.md and checks that every key
// the store writes has a TTL.
func TestKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	s := mustNew(t, srv.Client(), Options{}) // default prefix "sb"
	defer s.Close()
	ctx := t.Context()

	const session = "slack:T1:C1:17.1"
	turns := []conversation.Turn{{Role: "user", Text: "hi", MessageID: "m1"}}
	meta := conversation.Meta{State: conversation.StateHuman, Fallbacks: 2, Turns: 1, HandoffAt: time.Unix(1700000000, 5).UTC()}
	if err := s.SaveTurn(ctx, session, turns, meta, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, session, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen(ctx, "slack", "Ev1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allow(ctx, "slack:U1", 5, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen(ctx, "web", "a{b}%c", time.Hour); err != nil {
		t.Fatal(err)
	}

	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{
		"sb:dedup:{slack:Ev1}",
		"sb:dedup:{web:a%7Bb%7D%25c}",
		"sb:rate:{slack:U1}",
		"sb:{slack:T1:C1:17.1}:history",
		"sb:{slack:T1:C1:17.1}:lock",
		"sb:{slack:T1:C1:17.1}:meta",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > time.Hour {
			t.Errorf("PTTL(%s) = %v, want in (0, 1h]", k, ttl)
		}
	}
	h, err := rdb.HGetAll(ctx, "sb:{slack:T1:C1:17.1}:meta").Result()
	if err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"state": "human", "fallbacks": "2", "turns": "1", "handoff": "2023-11-14T22:13:20.000000005Z"} {
		if h[f] != v {
			t.Errorf("meta hash field %s = %q, want %q", f, h[f], v)
		}
	}
}

func TestServerErrorIsNotUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	s := mustNew(t, srv.Client(), Options{})
	defer s.Close()
	ctx := t.Context()
	if err := rdb.Set(ctx, "sb:{x}:history", "not a list", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.History(ctx, "x")
	if err == nil || errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("History of a key of the wrong type = %v, want a plain error (not ErrUnavailable)", err)
	}
	if err := rdb.HSet(ctx, "sb:{y}:meta", "turns", "many").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meta(ctx, "y"); err == nil {
		t.Error("Meta with a corrupt counter = nil error, want a parse error")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) = nil error")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	if _, err := New(rdb, Options{Prefix: "a{b"}); err == nil {
		t.Error(`New(Prefix "a{b") = nil error, want an error`)
	}
}

// TestRedisGoesAway stops Redis in the middle of a conversation: every
// operation fails fast with ErrUnavailable, and the same store works again
// once Redis is back, with the data saved before.
func TestRedisGoesAway(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := mustNew(t, srv.Client(), Options{})
	defer s.Close()
	ctx := t.Context()
	const id = "web::conv:"
	saved := []conversation.Turn{{Role: "user", Text: "before", MessageID: "m1"}}
	if err := s.SaveTurn(ctx, id, saved, conversation.Meta{Turns: 1}, 10, time.Minute); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	ops := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"MarkSeen", func() error { _, err := s.MarkSeen(ctx, "web", "m2", time.Minute); return err }},
		{"Allow", func() error { _, err := s.Allow(ctx, "u", 5, time.Minute); return err }},
		{"Lock", func() error { _, err := s.Lock(ctx, id, time.Minute); return err }},
		{"History", func() error { _, err := s.History(ctx, id); return err }},
		{"Meta", func() error { _, err := s.Meta(ctx, id); return err }},
		{"SaveTurn", func() error {
			return s.SaveTurn(ctx, id, []conversation.Turn{{Role: "user", Text: "lost"}}, conversation.Meta{Turns: 2}, 10, time.Minute)
		}},
		{"SetMeta", func() error { return s.SetMeta(ctx, id, conversation.Meta{Turns: 9}, time.Minute) }},
	}
	for _, op := range ops {
		start := time.Now()
		err := op.call()
		took := time.Since(start)
		if !errors.Is(err, conversation.ErrUnavailable) {
			t.Errorf("%s with Redis stopped = %v, want an error wrapping ErrUnavailable", op.name, err)
		}
		if took > 3*time.Second {
			t.Errorf("%s with Redis stopped took %v, want a quick failure", op.name, took)
		}
	}

	srv.Restart()
	waitRecovered(t, s)
	h, err := s.History(ctx, id)
	if err != nil {
		t.Fatalf("History after Restart: %v", err)
	}
	if len(h) != 1 || h[0].Text != "before" {
		t.Errorf("History after Restart = %+v, want just the turn saved before the outage", h)
	}
	if err := s.SaveTurn(ctx, id, []conversation.Turn{{Role: "assistant", Text: "after"}}, conversation.Meta{Turns: 2}, 10, time.Minute); err != nil {
		t.Fatalf("SaveTurn after Restart: %v", err)
	}
	unlock, err := s.Lock(ctx, id, time.Minute)
	if err != nil {
		t.Fatalf("Lock after Restart: %v", err)
	}
	if err := unlock(ctx); err != nil {
		t.Fatalf("unlock after Restart: %v", err)
	}
}

// TestCrashLeavesNoHalfSave kills Redis while ten conversations save
// question/answer pairs, restarts it, and checks that every session holds
// whole saves only, including every save that was acknowledged.
func TestCrashLeavesNoHalfSave(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := mustNew(t, srv.Client(), Options{})
	defer s.Close()
	ctx := t.Context()

	const sessions = 10
	acked := make([]int, sessions) // last acknowledged save per session
	var wg sync.WaitGroup
	var unavailable, acks atomic.Int64
	for k := range sessions {
		wg.Go(func() {
			id := fmt.Sprintf("s%d", k)
			for i := 1; i <= 2000; i++ {
				pair := []conversation.Turn{
					{Role: "user", Text: fmt.Sprint(i), MessageID: fmt.Sprint(i)},
					{Role: "assistant", Text: fmt.Sprint(i)},
				}
				err := s.SaveTurn(ctx, id, pair, conversation.Meta{Turns: i}, 10000, time.Minute)
				if err != nil {
					if !errors.Is(err, conversation.ErrUnavailable) {
						t.Errorf("SaveTurn during a crash = %v, want ErrUnavailable", err)
					}
					unavailable.Add(1)
					return
				}
				acked[k] = i
				acks.Add(1)
			}
		})
	}
	// Crash in the middle of the stream of saves, not before it starts.
	for deadline := time.Now().Add(10 * time.Second); acks.Load() < 200 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Kill()
	wg.Wait()
	srv.Restart()
	waitRecovered(t, s)

	total := 0
	for k := range sessions {
		id := fmt.Sprintf("s%d", k)
		h, err := s.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Meta(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2*m.Turns {
			t.Errorf("%s: %d turns for %d saves of 2: a save was half-written", id, len(h), m.Turns)
		}
		if m.Turns < acked[k] || m.Turns > acked[k]+1 {
			t.Errorf("%s: %d saves survived, %d were acknowledged: want %d or %d", id, m.Turns, acked[k], acked[k], acked[k]+1)
		}
		for i, turn := range h {
			if want := fmt.Sprint(i/2 + 1); turn.Text != want {
				t.Fatalf("%s: turn %d = %q, want %q", id, i, turn.Text, want)
			}
		}
		total += m.Turns
	}
	t.Logf("%d saves survived the crash; %d writers saw ErrUnavailable", total, unavailable.Load())
	if total == 0 {
		t.Error("no save happened before the crash; the test proves nothing")
	}
}

// waitRecovered waits for the store to reach a restarted Redis through
// its existing client. go-redis stops dialing a server that refused many
// dials and probes it once a second, so recovery takes up to about 1 s.
func waitRecovered(t *testing.T, s *Store) {
	t.Helper()
	start := time.Now()
	for {
		err := s.Ping(t.Context())
		if err == nil {
			t.Logf("store recovered %v after Redis came back", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("store still failing 5s after Redis came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	for _, url := range []string{"redis://" + srv.Addr + "/0", srv.Addr} {
		s, err := Open(ctx, url, Options{Prefix: newPrefix()})
		if err != nil {
			t.Fatalf("Open(%s): %v", url, err)
		}
		if err := s.SetMeta(ctx, "s", conversation.Meta{Turns: 1}, time.Minute); err != nil {
			t.Errorf("SetMeta through Open(%s): %v", url, err)
		}
		s.Close()
	}

	start := time.Now()
	_, err := Open(ctx, "redis://:secret@127.0.0.1:1/0", Options{})
	if !errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("Open(closed port) = %v, want an error wrapping ErrUnavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("Open error %q shows the password", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Open(closed port) took %v", took)
	}
}

// BenchmarkStore measures round trips to a real redis-server on loopback.
func BenchmarkStore(b *testing.B) {
	srv := redistest.Start(b)
	storetest.Benchmark(b, func(b *testing.B) conversation.Store {
		s, err := New(srv.Client(), Options{Prefix: newPrefix(), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// testClusterNodeDown stops one primary of a cluster: sessions in its
// slots fail fast with ErrUnavailable, and all sessions work again, with
// their data, once it is back.
func testClusterNodeDown(t *testing.T, c *redistest.Cluster) {
	s := mustNew(t, c.Client(), Options{Prefix: newPrefix()})
	defer s.Close()
	ctx := t.Context()
	const sessions = 12
	for i := range sessions {
		id := fmt.Sprintf("session-%d", i)
		if err := s.SaveTurn(ctx, id, []conversation.Turn{{Role: "user", Text: id}}, conversation.Meta{Turns: 1}, 5, time.Minute); err != nil {
			t.Fatal(err)
		}
	}

	t0 := time.Now()
	c.Nodes[0].Stop()
	t.Logf("stopped node 0 in %v", time.Since(t0))
	t0 = time.Now()
	failed := 0
	for i := range sessions {
		id := fmt.Sprintf("session-%d", i)
		start := time.Now()
		_, err := s.History(ctx, id)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("History(%s) with a primary down took %v", id, took)
		}
		if err != nil {
			if !errors.Is(err, conversation.ErrUnavailable) {
				t.Errorf("History(%s) with a primary down = %v, want ErrUnavailable", id, err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no session of %d failed with one primary of 3 down", sessions)
	}

	t.Logf("checked sessions while down in %v", time.Since(t0))
	t0 = time.Now()
	c.Nodes[0].Restart()
	t.Logf("restarted node 0 in %v", time.Since(t0))
	t0 = time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for i := range sessions {
		id := fmt.Sprintf("session-%d", i)
		for {
			h, err := s.History(ctx, id)
			if err == nil {
				if len(h) != 1 || h[0].Text != id {
					t.Errorf("History(%s) after the primary came back = %+v, want its one turn", id, h)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("History(%s) still failing 10s after the primary came back: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("all sessions back %v after the restart; %d of %d were unavailable while the primary was down", time.Since(t0), failed, sessions)
}

// TestRedisHangs freezes Redis (connections stay open, nothing answers):
// calls give up after the client's read timeout with ErrUnavailable.
func TestRedisHangs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := mustNew(t, srv.Client(), Options{})
	defer s.Close()
	ctx := t.Context()
	// A first save loads the script, so that the frozen server gets an
	// EVALSHA it can run when it resumes.
	if err := s.SaveTurn(ctx, "warm-up", nil, conversation.Meta{}, 10, time.Minute); err != nil {
		t.Fatal(err)
	}

	srv.Pause()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	took := make([]time.Duration, 2)
	wg.Go(func() {
		start := time.Now()
		errs[0] = s.SaveTurn(ctx, "s", []conversation.Turn{{Role: "user", Text: "during the hang"}}, conversation.Meta{Turns: 1}, 10, time.Minute)
		took[0] = time.Since(start)
	})
	wg.Go(func() {
		start := time.Now()
		_, errs[1] = s.History(ctx, "other")
		took[1] = time.Since(start)
	})
	wg.Wait()
	srv.Resume()
	for i, name := range []string{"SaveTurn", "History"} {
		if !errors.Is(errs[i], conversation.ErrUnavailable) {
			t.Errorf("%s with Redis hung = %v, want ErrUnavailable", name, errs[i])
		}
		// redistest's client: 1 s read timeout, one retry.
		if took[i] > 4*time.Second {
			t.Errorf("%s with Redis hung took %v", name, took[i])
		}
	}

	waitRecovered(t, s)
	// The frozen server may have received the script and run it when it
	// resumed, though the caller saw an error: at most once.
	h, err := s.History(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) > 1 {
		t.Errorf("History after a save retried during a hang has %d turns, want at most 1", len(h))
	}
	t.Logf("the save sent during the hang is %s", map[bool]string{true: "applied once", false: "absent"}[len(h) == 1])
}

// TestSaveScriptIsIdempotent replays one save, as go-redis does when the
// reply to a script that did run is lost: the replay must not append the
// turns again.
func TestSaveScriptIsIdempotent(t *testing.T) {
	srv := redistest.Start(t)
	s := mustNew(t, srv.Client(), Options{})
	defer s.Close()
	ctx := t.Context()
	keys := []string{s.sessionKey("s", "history"), s.sessionKey("s", "meta")}
	for i, token := range []string{"tok-1", "tok-1", "tok-2"} {
		args := append(metaArgs(token, 10, time.Minute, conversation.Meta{Turns: i + 1}), `{"role":"user","text":"x"}`)
		if err := saveScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.History(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Errorf("History after saves with tokens 1, 1 (replayed), 2 = %d turns, want 2", len(h))
	}
	if m, err := s.Meta(ctx, "s"); err != nil || m.Turns != 3 {
		t.Errorf("Meta after the replay and a new save = %+v, %v, want Turns 3", m, err)
	}
}

// TestClusterFailover kills the primary that holds a session in a cluster
// with replicas: calls fail with ErrUnavailable until the replica takes
// over, then the same store carries on with the session's data.
func TestClusterFailover(t *testing.T) {
	t.Parallel()
	c := redistest.StartClusterWith(t, redistest.ClusterOptions{Replicas: 1})
	ctx := t.Context()
	s, err := Open(ctx, "redis+cluster://"+strings.Join(c.Addrs, ","), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const id = "web::failover:"
	first := []conversation.Turn{{Role: "user", Text: "before"}}
	if err := s.SaveTurn(ctx, id, first, conversation.Meta{Turns: 1}, 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	key := s.sessionKey(id, "history")
	primary := c.PrimaryFor(ctx, key)
	// Replication is asynchronous: make sure the replica has the save.
	pc := redis.NewClient(&redis.Options{Addr: primary.Addr})
	n, err := pc.Wait(ctx, 1, 2*time.Second).Result()
	pc.Close()
	if err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}

	start := time.Now()
	primary.Kill()
	failures := 0
	for {
		err := s.SaveTurn(ctx, id, []conversation.Turn{{Role: "user", Text: "after"}}, conversation.Meta{Turns: 2}, 10, time.Minute)
		if err == nil {
			break
		}
		if !errors.Is(err, conversation.ErrUnavailable) {
			t.Fatalf("SaveTurn during the failover = %v, want ErrUnavailable", err)
		}
		failures++
		if time.Since(start) > 20*time.Second {
			t.Fatalf("SaveTurn still failing 20s after the primary died: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("store writable again %v after the primary died (%d calls failed meanwhile)", time.Since(start).Round(100*time.Millisecond), failures)
	h, err := s.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, turn := range h {
		texts = append(texts, turn.Text)
	}
	if want := []string{"before", "after"}; !slices.Equal(texts, want) {
		t.Errorf("History after the failover = %q, want %q", texts, want)
	}
}

// TestLockLeftByAFailedCall: a lock whose SETNX failed on the client's
// side (a timeout while Redis hung) may still be set when Redis resumes,
// with no holder to release it; it is released in the background, so
// the session's next message does not wait out the lock's TTL.
func TestLockLeftByAFailedCall(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := mustNew(t, srv.Client(), Options{Logger: quiet})
	defer s.Close()
	ctx := t.Context()
	key := s.sessionKey("s", "lock")
	// What the stalled SETNX did once Redis resumed.
	if err := srv.Client().Set(ctx, key, "tok", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	s.releaseLater("s", key, "tok")
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	unlock, err := s.Lock(lctx, "s", time.Minute)
	if err != nil {
		t.Fatalf("Lock after a failed call: %v (its lock was left for its TTL)", err)
	}
	unlock(ctx)
	// Another holder's lock is not released.
	if err := srv.Client().Set(ctx, key, "other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	s.releaseLater("s", key, "tok")
	time.Sleep(1500 * time.Millisecond)
	if got, _ := srv.Client().Get(ctx, key).Result(); got != "other" {
		t.Errorf("lock holds %q after releasing another token's, want other", got)
	}
}

package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) conversation.Store {
		return New(Options{ReapInterval: 50 * time.Millisecond})
	})
}

// TestReaperFreesMemory checks that expired entries leave the maps, not
// just become invisible.
func TestReaperFreesMemory(t *testing.T) {
	s := New(Options{ReapInterval: 20 * time.Millisecond})
	defer s.Close()
	ctx := context.Background()
	const ttl = 50 * time.Millisecond
	if err := s.SaveTurn(ctx, "s", []conversation.Turn{{Role: "user", Text: "hi"}}, conversation.Meta{}, 10, ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen(ctx, "web", "m1", ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allow(ctx, "k", 5, ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, "s", ttl); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.sessions) + len(s.seen) + len(s.counters) + len(s.locks)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still in memory 2s after a %v ttl", n, ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseStopsReaper(t *testing.T) {
	s := New(Options{ReapInterval: time.Millisecond})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	default:
		t.Fatal("reaper still running after Close returned")
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) conversation.Store { return New(Options{}) })
}

package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// Benchmark measures the store calls one message costs. newStore is called
// once per sub-benchmark; Benchmark closes the store.
//
//	SaveTurn      one question/answer pair into a session capped at 20 turns
//	History       loading a full 20-turn history
//	Message       what the pipeline does per message: Lock, MarkSeen, Meta,
//	              Allow, History, SaveTurn, unlock
//	MessageParallel  the same from GOMAXPROCS*4 goroutines over 100 sessions
func Benchmark(b *testing.B, newStore func(b *testing.B) conversation.Store) {
	const capTurns = 20
	pair := []conversation.Turn{
		turn("user", "How long does a refund take once I've sent the parcel back?", "m"),
		turn("assistant", "Refunds reach your card 5–10 working days after the parcel arrives at our warehouse.", ""),
	}
	ctx := context.Background()

	b.Run("SaveTurn", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		for i := 0; b.Loop(); i++ {
			if err := s.SaveTurn(ctx, "bench", pair, conversation.Meta{Turns: i}, capTurns, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("History", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		for i := range capTurns / 2 {
			if err := s.SaveTurn(ctx, "bench", pair, conversation.Meta{Turns: i}, capTurns, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			h, err := s.History(ctx, "bench")
			if err != nil || len(h) != capTurns {
				b.Fatalf("History = %d turns, %v", len(h), err)
			}
		}
	})
	b.Run("Message", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		for i := 0; b.Loop(); i++ {
			if err := benchMessage(ctx, s, "bench", fmt.Sprint(i), pair, capTurns); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MessageParallel", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		var n atomic.Int64
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if err := benchMessage(ctx, s, fmt.Sprintf("bench-%d", i%100), fmt.Sprint(i), pair, capTurns); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func benchMessage(ctx context.Context, s conversation.Store, session, id string, pair []conversation.Turn, capTurns int) error {
	unlock, err := s.Lock(ctx, session, time.Minute)
	if err != nil {
		return err
	}
	defer unlock(ctx)
	if _, err := s.MarkSeen(ctx, "web", id, time.Minute); err != nil {
		return err
	}
	m, err := s.Meta(ctx, session)
	if err != nil {
		return err
	}
	if _, err := s.Allow(ctx, "web:"+session, 1<<30, time.Minute); err != nil {
		return err
	}
	if _, err := s.History(ctx, session); err != nil {
		return err
	}
	m.Turns++
	return s.SaveTurn(ctx, session, pair, m, capTurns, time.Minute)
}

package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/redisstore"
	"github.com/switchboard/switchboard/internal/redistest"
)

var redisPrefixes atomic.Int64

// TestOrderUnderConcurrencyRedis is the concurrency check on a
// real redis-server: 50 goroutines, 20 messages each, 10 sessions.
func TestOrderUnderConcurrencyRedis(t *testing.T) {
	srv := redistest.Start(t)
	st, err := redisstore.New(srv.Client(), redisstore.Options{Prefix: fmt.Sprint("m", redisPrefixes.Add(1)), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runOrderTest(t, st)
}

// TestOrderUnderConcurrencyRedisCluster runs the same check on a
// three-node Redis Cluster, where each session's keys share a slot.
func TestOrderUnderConcurrencyRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := redistest.StartCluster(t)
	st, err := redisstore.New(c.Client(), redisstore.Options{Prefix: fmt.Sprint("m", redisPrefixes.Add(1)), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runOrderTest(t, st)
}

// TestRedisStoppedMidConversation stops Redis between two messages: the
// message in between fails with ErrUnavailable and sends nothing, and the
// conversation carries on, with its history intact, once Redis is back.
func TestRedisStoppedMidConversation(t *testing.T) {
	srv := redistest.Start(t)
	st, err := redisstore.New(srv.Client(), redisstore.Options{Prefix: fmt.Sprint("m", redisPrefixes.Add(1)), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mg, _ := newManager(t, conversation.Options{Store: st, LockTTL: 10 * time.Second})
	ctx := context.Background()
	out := &recorder{}
	if err := mg.Handle(ctx, msg("s", "1", "first"), out); err != nil {
		t.Fatalf("Handle(first): %v", err)
	}
	srv.Stop()
	hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := mg.Handle(hctx, msg("s", "2", "while down"), out); !errors.Is(err, conversation.ErrUnavailable) {
		t.Fatalf("Handle(Redis stopped) = %v, want ErrUnavailable", err)
	}
	if got := len(out.got()); got != 1 {
		t.Fatalf("replies = %d after a failed turn, want 1", got)
	}
	srv.Restart()
	if err := mg.Handle(ctx, msg("s", "3", "after"), out); err != nil {
		t.Fatalf("Handle(after restart): %v", err)
	}
	h, err := st.History(ctx, addr("s").SessionID())
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, turn := range h {
		if turn.Role == "user" {
			texts = append(texts, turn.Text)
		}
	}
	if fmt.Sprint(texts) != "[first after]" {
		t.Errorf("user turns = %q, want [first after]", texts)
	}
}

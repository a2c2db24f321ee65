package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/internal/redistest"
)

// TestRoles: a gateway and a worker sharing a Redis answer a widget
// conversation together; the gateway alone has no pipeline of its own
// (its messages wait for a worker) and refuses with 503 and Retry-After
// while Redis is unreachable; the worker serves no message route.
func TestRoles(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.Secrets.RedisURL = "redis://" + srv.Addr
	cfg.Redis.QueueClaimAfter = time.Second
	gw := start(t, cfg, Options{Role: RoleGateway})
	wk := start(t, cfg, Options{Role: RoleWorker})

	first := send(t, gw.URL, msg{"text": "How long does a refund take to reach me?"})
	if first.Status != 200 || first.Reply == nil || first.Reply.Fallback || len(first.Reply.Citations) == 0 {
		t.Fatalf("through gateway and worker: status %d %+v %+v, want a cited answer", first.Status, first.Error, first.Reply)
	}
	next := send(t, gw.URL, msg{"text": "How much is the Plus plan per month?", "conversation_id": first.ConversationID, "token": first.Token})
	if next.Status != 200 || next.Reply == nil {
		t.Fatalf("second message: status %d %+v", next.Status, next.Error)
	}

	if got := send(t, wk.URL, msg{"text": "hello"}); got.Status != http.StatusNotFound {
		t.Errorf("POST /api/v1/messages on a worker: status %d, want 404", got.Status)
	}
	// Jobs are acknowledged just after their reply goes out: the queue
	// empties.
	// The acknowledgement may trail the reply, so wait for all of them.
	drained := []string{"switchboard_queue_length 0", "switchboard_queue_oldest_seconds 0", "switchboard_queue_pending 0"}
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(wk.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if metrics = string(b); containsAll(metrics, drained) {
			break
		}
	}
	for _, name := range drained {
		if !strings.Contains(metrics, name) {
			t.Errorf("worker /metrics lacks %q", name)
		}
	}

	srv.Stop()
	deadline := time.Now().Add(10 * time.Second)
	var got reply
	for time.Now().Before(deadline) {
		got = send(t, gw.URL, msg{"text": "Anyone there?"})
		if got.Status == http.StatusServiceUnavailable && strings.Contains(got.Error.Message, "retry") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got.Status != http.StatusServiceUnavailable || got.Error.Code != web.CodeUnavailable {
		t.Fatalf("gateway with Redis down: status %d %+v, want 503 unavailable", got.Status, got.Error)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, gw.URL+"/api/v1/messages", strings.NewReader(`{"text":"hi"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("gateway with Redis down: status %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	srv.Restart()
}

func TestRoleNeedsRedis(t *testing.T) {
	for _, role := range []string{RoleGateway, RoleWorker, "bogus"} {
		if _, err := New(context.Background(), testConfig(), Options{Role: role, Logger: slog.New(slog.DiscardHandler)}); err == nil {
			t.Errorf("New with role %s and no Redis: no error", role)
		}
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

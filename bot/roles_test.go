package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/internal/redistest"
)

// TestRoles: a gateway and a worker sharing a Redis answer a widget
// conversation together; the gateway alone has no pipeline of its own
// (its messages wait for a worker, and it is not ready until one runs)
// and refuses with 503 and Retry-After while Redis is unreachable; the
// worker serves no message route.
func TestRoles(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.Secrets.RedisURL = "redis://" + srv.Addr
	cfg.Redis.QueueClaimAfter = time.Second
	gw := start(t, cfg, Options{Role: RoleGateway})
	if code, body := readyz(t, gw.URL); code != http.StatusServiceUnavailable || !strings.Contains(body, "no queue worker") {
		t.Errorf("gateway without a worker: /readyz %d %s, want 503 naming the missing worker", code, body)
	}
	wk := start(t, cfg, Options{Role: RoleWorker})
	code, body := 0, ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && code != http.StatusOK; time.Sleep(100 * time.Millisecond) {
		code, body = readyz(t, gw.URL)
	}
	if code != http.StatusOK {
		t.Errorf("gateway with a worker: /readyz %d %s, want 200", code, body)
	}

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

// readyz returns the status and body of GET /readyz.
func readyz(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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

// TestRetryGetsSameReply: a widget message retried with the same
// message_id (its reply was lost on the way) is answered with the reply
// produced the first time, in one process and through a gateway and a
// worker, and the session's history holds the message once.
func TestRetryGetsSameReply(t *testing.T) {
	srv := redistest.Start(t)
	for _, tt := range []struct {
		name  string
		roles []string // the first one takes the messages
	}{
		{"all", []string{RoleAll}},
		{"gateway and worker", []string{RoleGateway, RoleWorker}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Secrets.RedisURL = "redis://" + srv.Addr
			cfg.Redis.Prefix = strings.ReplaceAll(tt.name, " ", "-")
			var front *running
			for _, role := range tt.roles {
				r := start(t, cfg, Options{Role: role})
				if front == nil {
					front = r
				}
			}
			first := send(t, front.URL, msg{"text": "How long does a refund take to reach me?", "message_id": "m1"})
			if first.Status != 200 || first.Reply == nil || len(first.Reply.Citations) == 0 {
				t.Fatalf("first attempt: status %d %+v %+v, want a cited answer", first.Status, first.Error, first.Reply)
			}
			retry := msg{"text": "How long does a refund take to reach me?", "message_id": "m1", "conversation_id": first.ConversationID, "token": first.Token}
			for i := range 2 {
				got := send(t, front.URL, retry)
				if got.Status != 200 || got.Reply == nil {
					t.Fatalf("retry %d: status %d %+v, want 200 and the first reply", i, got.Status, got.Error)
				}
				if got.Reply.Text != first.Reply.Text || !slices.Equal(got.Reply.Citations, first.Reply.Citations) {
					t.Errorf("retry %d: reply %+v, want the first one %+v", i, got.Reply, first.Reply)
				}
			}
			// A new message id is a new question.
			next := send(t, front.URL, msg{"text": "How much is the Plus plan per month?", "message_id": "m2", "conversation_id": first.ConversationID, "token": first.Token})
			if next.Status != 200 || next.Reply == nil || next.Reply.Text == first.Reply.Text {
				t.Fatalf("next message: status %d %+v %+v, want a new answer", next.Status, next.Error, next.Reply)
			}
			session := conversation.Address{Platform: web.Platform, Channel: web.ChannelWidget, Thread: first.ConversationID}.SessionID()
			turns, err := front.manager.History(context.Background(), session)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, tu := range turns {
				if tu.Role == "user" {
					ids = append(ids, strings.TrimPrefix(tu.MessageID, first.ConversationID+":"))
				}
			}
			if got, want := strings.Join(ids, ","), "m1,m2"; got != want {
				t.Errorf("user turns in the history: %s, want %s (each message once)", got, want)
			}
		})
	}
}

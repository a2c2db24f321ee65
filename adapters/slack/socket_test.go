package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard/switchboard/adapters/internal/managertest"
)

// Socket Mode against a fake: apps.connections.open hands out a
// websocket on the fake, which delivers an app_mention and then its
// redelivery. Both are acknowledged; one reply is posted.
func TestSocketMode(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	acks := make(chan string, 8)
	serverDone := make(chan struct{})
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // slack-go sends Origin: https://api.slack.com
	fake.hook("apps.connections.open", func(w http.ResponseWriter, c apiCall, n int) bool {
		w.Header().Set("Content-Type", "application/json")
		wsURL := "ws" + strings.TrimPrefix(fake.srv.URL, "http") + "/ws"
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": wsURL})
		return true
	})
	fake.ws = func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		defer close(serverDone)
		send := func(v any) {
			if err := conn.WriteJSON(v); err != nil {
				t.Errorf("write websocket: %v", err)
			}
		}
		send(map[string]any{"type": "hello", "num_connections": 1})
		payload := json.RawMessage(mentionBody("EvSOCK1", "<@UBOT> how long do refunds take?", "1700000000.000001", ""))
		send(map[string]any{"type": "events_api", "envelope_id": "env-1", "payload": payload, "retry_attempt": 0})
		send(map[string]any{"type": "events_api", "envelope_id": "env-2", "payload": payload, "retry_attempt": 1, "retry_reason": "timeout"})
		form, _ := url.ParseQuery(interactionBody(actionHelpful, buttonOf(t), "1700000100.000001"))
		send(map[string]any{"type": "interactive", "envelope_id": "env-3", "payload": json.RawMessage(form.Get("payload"))})
		for {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if err := conn.ReadJSON(&ack); err != nil {
				return
			}
			acks <- ack.EnvelopeID
		}
	}
	mg := managertest.New(t, "Refunds take 5 working days.")
	var feedback atomic.Int32
	a, _ := newTestAdapter(t, fake, Options{Handler: mg, AppToken: "xapp-test", SigningSecret: "unused",
		Metrics: Metrics{Feedback: func(bool) { feedback.Add(1) }}})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()

	var got []string
	for len(got) < 3 {
		select {
		case id := <-acks:
			got = append(got, id)
		case <-time.After(5 * time.Second):
			t.Fatalf("acks = %v after 5s, want env-1, env-2 and env-3", got)
		}
	}
	if strings.Join(got, ",") != "env-1,env-2,env-3" {
		t.Errorf("acks = %v, want env-1,env-2,env-3", got)
	}
	waitFor(t, func() bool { return len(fake.of("chat.postMessage")) >= 1 })
	cancel()
	select {
	case err := <-runDone:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	<-serverDone
	posts := fake.of("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1", len(posts))
	}
	if got := fake.final(posts[0].TS).Get("text"); !strings.Contains(got, "Refunds take 5 working days.") {
		t.Errorf("reply = %q, want the answer", got)
	}
	if n := feedback.Load(); n != 1 {
		t.Errorf("Feedback calls = %d, want 1 (the interactive envelope)", n)
	}
	if got := posts[0].Form.Get("thread_ts"); got != "1700000000.000001" {
		t.Errorf("thread_ts = %q, want 1700000000.000001", got)
	}
}

// An app token Slack refuses ends Run with an error.
func TestSocketModeInvalidAuth(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	fake.hook("apps.connections.open", func(w http.ResponseWriter, c apiCall, n int) bool {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
		return true
	})
	a, _ := newTestAdapter(t, fake, Options{Handler: replyWith("x"), AppToken: "xapp-bad"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Run(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run() = %v, want an invalid_auth error", err)
	}
}

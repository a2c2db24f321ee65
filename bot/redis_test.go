package bot

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/internal/redistest"
)

func readyStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRedisOutage: Redis stopped mid-conversation gives a clear 503 in the
// error shape and writes nothing; when Redis returns, the conversation
// goes on where it was.
func TestRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.Secrets.RedisURL = "redis://" + srv.Addr
	r := start(t, cfg, Options{})

	first := send(t, r.URL, msg{"text": "How long does a refund take?"})
	if first.Status != 200 {
		t.Fatalf("with Redis up: status %d %+v", first.Status, first.Error)
	}
	conv := func(text string) msg {
		return msg{"text": text, "conversation_id": first.ConversationID, "token": first.Token}
	}
	session := conversation.Address{Platform: web.Platform, Channel: web.ChannelWidget, Thread: first.ConversationID}.SessionID()

	srv.Stop()
	got := send(t, r.URL, conv("And how much is the Plus plan per month?"))
	if got.Status != http.StatusServiceUnavailable || got.Error.Code != web.CodeUnavailable {
		t.Fatalf("with Redis down: status %d code %q, want 503 %s", got.Status, got.Error.Code, web.CodeUnavailable)
	}
	if s := readyStatus(t, r.URL); s != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down: %d, want 503", s)
	}

	srv.Restart()
	if s := readyStatus(t, r.URL); s != http.StatusOK {
		t.Fatalf("/readyz after Redis came back: %d, want 200", s)
	}
	if got := send(t, r.URL, conv("How much is the Plus plan per month?")); got.Status != 200 {
		t.Fatalf("after Redis came back: status %d %+v", got.Status, got.Error)
	}
	hist, err := r.store.History(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	// Two turns (user, bot) per answered message; none for the one that
	// failed.
	if got, want := len(hist), 4; got != want {
		t.Fatalf("history has %d turns, want %d: %+v", got, want, hist)
	}
	for i, want := range []string{"user", "assistant", "user", "assistant"} {
		if hist[i].Role != want {
			t.Fatalf("turn %d role %q, want %q", i, hist[i].Role, want)
		}
	}
}

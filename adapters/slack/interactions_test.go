package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/internal/managertest"
	"github.com/switchboard/switchboard/conversation"
)

// interactionBody is the form body of a block_actions interaction: user
// U061F7AUR pressed action on the bot message at msgTS in C123's thread
// 1.000001.
func interactionBody(action, value, msgTS string) string {
	payload, _ := json.Marshal(map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": "T123"},
		"user":       map[string]any{"id": "U061F7AUR"},
		"channel":    map[string]any{"id": "C123"},
		"container":  map[string]any{"type": "message", "message_ts": msgTS, "channel_id": "C123", "thread_ts": "1.000001"},
		"message":    map[string]any{"type": "message", "ts": msgTS, "text": "Refunds take 5 working days."},
		"trigger_id": "123.456.abc",
		"actions":    []map[string]any{{"action_id": action, "block_id": "feedback", "value": value, "type": "button", "action_ts": "1.2"}},
	})
	return "payload=" + url.QueryEscape(string(payload))
}

func buttonOf(t *testing.T) string {
	t.Helper()
	v, _ := json.Marshal(buttonValue{Team: "T123", Channel: "C123", Thread: "1.000001", User: "U061F7AUR", Message: "Ev1"})
	return string(v)
}

func TestFeedbackButtons(t *testing.T) {
	for _, tt := range []struct {
		action  string
		helpful bool
	}{{actionHelpful, true}, {actionUnhelpful, false}} {
		t.Run(tt.action, func(t *testing.T) {
			fake := newFakeSlack(t)
			var got []bool
			var mu sync.Mutex
			a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("x"), Metrics: Metrics{Feedback: func(h bool) {
				mu.Lock()
				got = append(got, h)
				mu.Unlock()
			}}})
			w := do(mux, signed(t, "/slack/interactions", interactionBody(tt.action, buttonOf(t), "1.000002"), time.Now()))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d %q, want 200", w.Code, w.Body.String())
			}
			drain(t, a)
			if len(got) != 1 || got[0] != tt.helpful {
				t.Errorf("Feedback calls = %v, want [%v]", got, tt.helpful)
			}
			eph := fake.of("chat.postEphemeral")
			if len(eph) != 1 || eph[0].Form.Get("user") != "U061F7AUR" || eph[0].Form.Get("thread_ts") != "1.000001" {
				t.Errorf("chat.postEphemeral = %+v, want one thanks to the clicker in the thread", eph)
			}
		})
	}
}

func TestInteractionsMalformed(t *testing.T) {
	fake := newFakeSlack(t)
	_, mux := newTestAdapter(t, fake, Options{Handler: replyWith("x")})
	for _, body := range []string{"", "payload=", "payload=%7B", "%zz"} {
		if w := do(mux, signed(t, "/slack/interactions", body, time.Now())); w.Code != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400", body, w.Code)
		}
	}
}

// "Talk to a human" with the real Manager (no Handoffer): the request goes
// through the pipeline, which hands off; the user is told in the thread
// and the agents' channel gets a notice. Pressing it again is silent.
func TestHumanButtonThroughManager(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	mg := managertest.New(t, "Refunds take 5 working days.")
	var presses atomic.Int32
	a, mux := newTestAdapter(t, fake, Options{Handler: mg, AgentsChannel: "CAGENTS",
		Metrics: Metrics{HandoffButton: func() { presses.Add(1) }}})
	body := interactionBody(actionHuman, buttonOf(t), "1.000002")
	if w := do(mux, signed(t, "/slack/interactions", body, time.Now())); w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	// Wait for the first press to be handled before the second.
	waitFor(t, func() bool { return len(fake.of("chat.postMessage")) >= 2 })
	do(mux, signed(t, "/slack/interactions", body, time.Now()))
	drain(t, a)

	if n := presses.Load(); n != 2 {
		t.Errorf("HandoffButton calls = %d, want 2", n)
	}
	var thread, agents []apiCall
	for _, p := range fake.of("chat.postMessage") {
		switch p.Form.Get("channel") {
		case "C123":
			thread = append(thread, p)
		case "CAGENTS":
			agents = append(agents, p)
		}
	}
	if len(thread) != 1 || !strings.Contains(thread[0].Form.Get("text"), "human agent") || thread[0].Form.Get("thread_ts") != "1.000001" {
		t.Errorf("thread posts = %+v, want one handoff notice in thread 1.000001", thread)
	}
	if len(thread) == 1 && strings.Contains(thread[0].Form.Get("blocks"), actionHuman) {
		t.Errorf("handoff reply has a human button")
	}
	if len(agents) != 1 {
		t.Fatalf("agents channel posts = %d, want 1", len(agents))
	}
	notice := agents[0].Form.Get("text")
	for _, want := range []string{"<@U061F7AUR>", "<#C123>", "Refunds take 5 working days.", "Open the conversation", "Talk to a human"} {
		if !strings.Contains(notice, want) {
			t.Errorf("agents notice = %q, want it to contain %q", notice, want)
		}
	}
	// The second press hit a session a human owns: told so, privately.
	if eph := fake.of("chat.postEphemeral"); len(eph) != 1 || eph[0].Form.Get("text") != alreadyHuman {
		t.Errorf("ephemeral posts = %+v, want one %q", eph, alreadyHuman)
	}
}

// handoffHandler is a Handler that is also a Handoffer and a Historian.
type handoffHandler struct {
	handlerFunc
	mu    sync.Mutex
	calls []conversation.Address
}

func (h *handoffHandler) Handoff(ctx context.Context, a conversation.Address, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, a)
	if len(h.calls) > 1 {
		return conversation.ErrHumanHandling
	}
	return nil
}

func (h *handoffHandler) History(ctx context.Context, session string) ([]conversation.Turn, error) {
	return []conversation.Turn{
		{Role: "user", Text: "my parcel <is> late"},
		{Role: "assistant", Text: "Parcels arrive in 3 days."},
		{Role: "user", Text: "it has been 5"},
	}, nil
}

func TestHumanButtonWithHandoffer(t *testing.T) {
	fake := newFakeSlack(t)
	h := &handoffHandler{handlerFunc: replyWith("x")}
	a, mux := newTestAdapter(t, fake, Options{Handler: h, AgentsChannel: "CAGENTS"})
	do(mux, signed(t, "/slack/interactions", interactionBody(actionHuman, buttonOf(t), "1.000002"), time.Now()))
	drain(t, a)
	want := conversation.Address{Platform: Platform, Tenant: "T123", Channel: "C123", Thread: "1.000001", User: "U061F7AUR"}
	if len(h.calls) != 1 || h.calls[0] != want {
		t.Fatalf("Handoff calls = %+v, want [%+v]", h.calls, want)
	}
	posts := fake.of("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("posts = %d, want 2 (thread notice, agents notice)", len(posts))
	}
	if got := posts[0].Form.Get("text"); got != escape(conversation.HandoffText) {
		t.Errorf("thread post = %q, want the handoff text", got)
	}
	notice := posts[1].Form.Get("text")
	for _, want := range []string{"> *Customer:* my parcel &lt;is&gt; late", "> *Bot:* Parcels arrive in 3 days.", "> *Customer:* it has been 5"} {
		if !strings.Contains(notice, want) {
			t.Errorf("agents notice = %q, want the history line %q", notice, want)
		}
	}
}

// A reply that hands off (the user asked in chat) notifies the agents'
// channel, without buttons in the thread.
func TestHandoffReplyNotifiesAgents(t *testing.T) {
	fake := newFakeSlack(t)
	mg := managertest.New(t, "unused")
	a, mux := newTestAdapter(t, fake, Options{Handler: mg, AgentsChannel: "CAGENTS"})
	do(mux, signed(t, "/slack/events", mentionBody("Ev9", "<@UBOT> can I speak to a real person please", "1.000001", ""), time.Now()))
	drain(t, a)
	posts := fake.of("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("posts = %d, want 2: %+v", len(posts), posts)
	}
	if strings.Contains(posts[0].Form.Get("blocks"), actionHelpful) {
		t.Errorf("handoff reply carries buttons: %s", posts[0].Form.Get("blocks"))
	}
	if posts[1].Form.Get("channel") != "CAGENTS" || !strings.Contains(posts[1].Form.Get("text"), "can I speak to a real person please") {
		t.Errorf("agents notice = %+v, want the question quoted in CAGENTS", posts[1].Form)
	}
	if posts[1].Form.Get("thread_ts") != "" {
		t.Errorf("agents notice thread_ts = %q, want a top-level message", posts[1].Form.Get("thread_ts"))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package slack

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/adapters/internal/managertest"
	"github.com/switchboard/switchboard/conversation"
)

// TestAgentsThread: a web visitor handed to a human gets a thread in the
// agents' channel (a notice with the conversation and a button to hand
// them back); what they write next is posted in it; an agent's message
// there becomes the agent's reply in their session, once however often
// Slack delivers it; messages in other threads are no visitor's; the
// button hands the visitor back to the bot, and a later handoff goes to
// the same thread.
func TestAgentsThread(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	mg := managertest.New(t, "Refunds take 5 working days.")
	a, mux := newTestAdapter(t, fake, Options{Handler: mg, Desk: mg, AgentsChannel: "CAGENTS"})
	ctx := context.Background()
	visitor := conversation.Address{Platform: "web", Channel: "widget", Thread: "conv1", User: "v1"}
	session := visitor.SessionID()
	for i, text := range []string{"how long do refunds take", "let me talk to a human"} {
		err := mg.Handle(ctx, conversation.Message{ID: "w" + string(rune('0'+i)), Address: visitor, Text: text}, discard{})
		if err != nil {
			t.Fatal(err)
		}
	}

	if err := a.ToAgents(ctx, session, "Ana", ""); err != nil {
		t.Fatalf("ToAgents(handoff): %v", err)
	}
	posts := fake.of("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "CAGENTS" || posts[0].Form.Get("thread_ts") != "" {
		t.Fatalf("posts = %+v, want one notice in CAGENTS", posts)
	}
	notice := posts[0]
	for _, want := range []string{"Ana", "how long do refunds take", "Refunds take 5 working days.", "Reply in this thread"} {
		if !strings.Contains(notice.Form.Get("text"), want) {
			t.Errorf("notice %q lacks %q", notice.Form.Get("text"), want)
		}
	}
	if b := notice.Form.Get("blocks"); !strings.Contains(b, actionRelease) || !strings.Contains(b, session) {
		t.Errorf("notice blocks %s, want the hand-back button for %s", b, session)
	}
	if meta, _ := mg.Meta(ctx, session); meta.AgentThread != "slack:CAGENTS:"+notice.TS {
		t.Errorf("AgentThread = %q, want slack:CAGENTS:%s", meta.AgentThread, notice.TS)
	}
	if err := a.ToAgents(ctx, session, "Ana", "my parcel <never> came"); err != nil {
		t.Fatal(err)
	}
	if posts := fake.of("chat.postMessage"); len(posts) != 2 || posts[1].Form.Get("thread_ts") != notice.TS ||
		posts[1].Form.Get("text") != "*Ana:* my parcel &lt;never&gt; came" {
		t.Fatalf("visitor's message posted as %+v, want it in the notice's thread", posts[len(posts)-1].Form)
	}

	// The agent answers in the thread; Slack delivers it twice.
	agentMsg := func(eventID, thread, text string) {
		body := envelopeBody(eventID, map[string]any{"type": "message", "channel": "CAGENTS", "channel_type": "channel",
			"user": "U0AGENT", "text": text, "ts": "1700000200.00000" + eventID[len(eventID)-1:], "thread_ts": thread})
		if w := do(mux, signed(t, "/slack/events", body, time.Now())); w.Code != http.StatusOK {
			t.Fatalf("event: status %d", w.Code)
		}
	}
	agentMsg("EvA1", notice.TS, "Hi, a replacement is on its way.")
	agentMsg("EvA1", notice.TS, "Hi, a replacement is on its way.")
	other, _ := a.post(ctx, "CAGENTS", "", "", 0, part{text: "a notice of some Slack conversation"})
	agentMsg("EvA2", other, "on it")
	a.work.Wait()
	hist, _ := mg.History(ctx, session)
	var agent []conversation.Turn
	for _, h := range hist {
		if h.Role == conversation.RoleAgent {
			agent = append(agent, h)
		}
	}
	if len(agent) != 1 || agent[0].Text != "Hi, a replacement is on its way." || agent[0].Name != "Egon" {
		t.Errorf("agent turns = %+v, want the one reply, signed with the agent's name", agent)
	}

	// An agent writing to an expired conversation is told.
	a.threads.Put("1700000300.000001", "web::widget:gone-for-good")
	agentMsg("EvA3", "1700000300.000001", "hello?")
	waitFor(t, func() bool {
		for _, p := range fake.of("chat.postMessage") {
			if p.Form.Get("text") == agentthread.ExpiredText && p.Form.Get("thread_ts") == "1700000300.000001" {
				return true
			}
		}
		return false
	})

	// The button hands the visitor back; a later handoff posts in the thread.
	body := strings.Replace(interactionBody(actionRelease, session, notice.TS), "C123", "CAGENTS", -1)
	if w := do(mux, signed(t, "/slack/interactions", body, time.Now())); w.Code != http.StatusOK {
		t.Fatalf("release: status %d", w.Code)
	}
	waitFor(t, func() bool { m, _ := mg.Meta(ctx, session); return m.State == conversation.StateBot })
	if err := mg.Handle(ctx, conversation.Message{ID: "w9", Address: visitor, Text: "a human please"}, discard{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ToAgents(ctx, session, "Ana", ""); err != nil {
		t.Fatal(err)
	}
	drain(t, a)
	var released, again bool
	for _, p := range fake.of("chat.postMessage") {
		released = released || (strings.Contains(p.Form.Get("text"), "Handed back to the bot by <@U061F7AUR>") && p.Form.Get("thread_ts") == notice.TS)
		again = again || (p.Form.Get("text") == agentthread.AgainText && p.Form.Get("thread_ts") == notice.TS)
	}
	if !released || !again {
		t.Errorf("in the thread: release said %v, second handoff said %v; want both", released, again)
	}
}

// discard is a Sender that drops replies.
type discard struct{}

func (discard) Send(context.Context, conversation.Reply) error { return nil }

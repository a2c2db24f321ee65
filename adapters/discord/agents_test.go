package discord

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/adapters/internal/managertest"
	"github.com/switchboard/switchboard/conversation"
)

// drop is a Sender that drops replies.
type drop struct{}

func (drop) Send(context.Context, conversation.Reply) error { return nil }

// TestAgentsThread: a web visitor handed to a human gets a notice in the
// agents' channel and a thread started from it, named with their
// session; what they write next is posted there; an agent's message in
// the thread becomes the agent's reply, once however often the gateway
// delivers it; a thread found through the API whose visitor has expired
// says so; other channels' messages are no agent's reply.
func TestAgentsThread(t *testing.T) {
	f := newFakeDiscord(t)
	mg := managertest.New(t, "Refunds take 5 working days.")
	a := startGateway(t, f, mg, func(o *Options) { o.Desk = mg })
	ctx := context.Background()
	visitor := conversation.Address{Platform: "web", Channel: "widget", Thread: "conv1", User: "v1"}
	session := visitor.SessionID()
	if err := mg.Handle(ctx, conversation.Message{ID: "w1", Address: visitor, Text: "let me talk to a human"}, drop{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ToAgents(ctx, session, "Ana", ""); err != nil {
		t.Fatalf("ToAgents(handoff): %v", err)
	}
	notices := posted(t, f, "AGENTS")
	starts := f.requests("POST /api/v9/channels/AGENTS/messages/")
	if len(notices) != 1 || !strings.Contains(notices[0].Content, "Ana") || !strings.Contains(notices[0].Content, "let me talk to a human") || len(starts) != 1 {
		t.Fatalf("notices %+v, thread starts %d; want one notice naming Ana with the conversation, and its thread", notices, len(starts))
	}
	var start struct{ Name string }
	starts[0].json(t, &start)
	thread := strings.Split(starts[0].Path, "/")[6]
	if !strings.HasSuffix(start.Name, sessionMark+session) {
		t.Errorf("thread name %q, want it to end with the session", start.Name)
	}
	if err := a.ToAgents(ctx, session, "Ana", "my parcel never came"); err != nil {
		t.Fatal(err)
	}
	if got := posted(t, f, thread); len(got) != 1 || got[0].Content != "**Ana:** my parcel never came" {
		t.Fatalf("thread posts %+v, want the visitor's message", got)
	}

	f.channels["T9"] = `{"id":"T9","type":11,"parent_id":"AGENTS","guild_id":"G1","name":"Ben` + sessionMark + `web::widget:gone"}`
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", thread, "U5", false, "Hi Ana, a replacement is on its way."))
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", thread, "U5", false, "Hi Ana, a replacement is on its way."))
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "G1", "C1", "U5", false, "lunch anyone?"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M3", "G1", "T9", "U5", false, "hello?"))
	f.waitFor("the expired thread's note", func() bool { return len(f.requests("POST /api/v9/channels/T9/messages")) == 1 })
	a.work.Wait()
	hist, _ := mg.History(ctx, session)
	var agent []string
	for _, h := range hist {
		if h.Role == conversation.RoleAgent {
			agent = append(agent, h.Name+": "+h.Text)
		}
	}
	if len(agent) != 1 || agent[0] != "user-U5: Hi Ana, a replacement is on its way." {
		t.Errorf("agent turns %q, want the one reply, signed", agent)
	}
	if got := posted(t, f, "T9"); len(got) != 1 || got[0].Content != agentthread.ExpiredText {
		t.Errorf("expired thread posts %+v, want %q", got, agentthread.ExpiredText)
	}
	if got := posted(t, f, "C1"); len(got) != 0 {
		t.Errorf("posts in C1 %+v, want none", got)
	}
	if !strings.Contains(string(f.requests("POST /api/v9/channels/AGENTS/messages")[0].Body), releaseID(session)) {
		t.Errorf("the notice has no hand-back button for %s", session)
	}

	// The notice's button hands the visitor back, and says so in the
	// thread (the notice's own id; the fake's is MSG).
	f.dispatch("INTERACTION_CREATE", buttonBody("I1", releaseID(session)))
	f.waitFor("the release", func() bool { m, _ := mg.Meta(ctx, session); return m.State == conversation.StateBot })
	f.waitFor("the note of it", func() bool { return len(f.requests("POST /api/v9/channels/MSG/messages")) == 1 })
	if got := posted(t, f, "MSG"); len(got) != 1 || !strings.Contains(got[0].Content, "Handed back to the bot by <@U2>") {
		t.Errorf("release note %+v", got)
	}
}

package discord

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/adapters/internal/managertest"
	"github.com/switchboard/switchboard/conversation"
)

// Through the real Manager: a mention is answered with its citation, a
// replayed MESSAGE_CREATE is dropped by the store's dedup, and asking
// for a human hands the session off and notifies the agents.
func TestGatewayWithManager(t *testing.T) {
	f := newFakeDiscord(t)
	mg := managertest.New(t, "Refunds take 5 to 10 business days.")
	startGateway(t, f, mg, nil)

	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", "C1", "U1", false, "<@BOT1> how long does a refund take?", "BOT1"))
	f.waitRequests("POST /api/v9/channels/C1/messages", 1)
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", "C1", "U1", false, "<@BOT1> how long does a refund take?", "BOT1"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "G1", "C1", "U1", false, "<@BOT1> talk to a human please", "BOT1"))
	f.waitRequests("POST /api/v9/channels/AGENTS/messages", 1)

	msgs := posted(t, f, "C1")
	if len(msgs) != 2 {
		t.Fatalf("replies = %d, want 2 (the replay dropped): %+v", len(msgs), msgs)
	}
	if want := "Refunds take 5 to 10 business days."; !strings.HasPrefix(msgs[0].Content, want) {
		t.Errorf("answer = %q, want it to start with %q", msgs[0].Content, want)
	}
	if want := "Refunds — `billing/refunds.md#how-long`"; !strings.Contains(msgs[0].Content, want) {
		t.Errorf("answer = %q, want the citation %q", msgs[0].Content, want)
	}
	if msgs[1].Content != conversation.HandoffText || len(msgs[1].Components) != 0 {
		t.Errorf("handoff reply = %+v, want the handoff text without buttons", msgs[1])
	}
	notice := posted(t, f, "AGENTS")[0].Content
	if !strings.Contains(notice, "talk to a human please") {
		t.Errorf("notice = %q, want the request quoted", notice)
	}

	// Once a human owns the session, the bot stays silent.
	f.dispatch("MESSAGE_CREATE", messageJSON("M3", "G1", "C1", "U1", false, "<@BOT1> hello?", "BOT1"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M4", "", "D1", "U1", false, "a DM is another session"))
	f.waitRequests("POST /api/v9/channels/D1/messages", 1)
	if got := len(posted(t, f, "C1")); got != 2 {
		t.Errorf("replies in C1 = %d after the handoff, want still 2", got)
	}
}

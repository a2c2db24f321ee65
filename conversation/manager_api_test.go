package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
)

// The adapters (adapters/slack, adapters/discord) find these methods by
// type assertion on their Handler; keep the signatures they assert.
var (
	_ interface {
		Handoff(ctx context.Context, a conversation.Address, reason string) error
	} = (*conversation.Manager)(nil)
	_ interface {
		History(ctx context.Context, session string) ([]conversation.Turn, error)
	} = (*conversation.Manager)(nil)
)

func TestHandoffMethod(t *testing.T) {
	var logs logBuffer
	var mu sync.Mutex
	var counted []string
	mg, st := newManager(t, conversation.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Metrics: conversation.Metrics{Handoff: func(p, reason string) {
			mu.Lock()
			defer mu.Unlock()
			counted = append(counted, p+"/"+reason)
		}},
	})
	ctx := context.Background()
	out := &recorder{}
	a := addr("s")
	if err := mg.Handle(ctx, msg("s", "1", "how much is plus?"), out); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if err := mg.Handoff(ctx, a, "button"); err != nil {
		t.Fatalf("Handoff(button) = %v, want nil", err)
	}
	meta, err := st.Meta(ctx, a.SessionID())
	if err != nil || meta.State != conversation.StateHuman || meta.HandoffAt.IsZero() {
		t.Errorf("Meta = %+v, %v; want state human with HandoffAt", meta, err)
	}
	if meta.Turns != 1 {
		t.Errorf("Meta.Turns = %d, want 1 (a handoff is no user message)", meta.Turns)
	}
	if !strings.Contains(logs.String(), "reason=button") {
		t.Errorf("handoff not logged with its reason; logs:\n%s", logs.String())
	}

	// The bot is silent, and a second handoff says a human already has it.
	if err := mg.Handle(ctx, msg("s", "2", "hello?"), out); !errors.Is(err, conversation.ErrHumanHandling) {
		t.Errorf("Handle after Handoff = %v, want ErrHumanHandling", err)
	}
	if err := mg.Handoff(ctx, a, "button"); !errors.Is(err, conversation.ErrHumanHandling) {
		t.Errorf("second Handoff = %v, want ErrHumanHandling", err)
	}
	if got := len(out.got()); got != 1 {
		t.Errorf("replies = %d, want 1 (Handoff sends nothing)", got)
	}

	// Released, the bot answers again; an empty reason is counted as
	// HandoffRequested.
	if err := mg.Release(ctx, a.SessionID()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := mg.Handle(ctx, msg("s", "3", "and now?"), out); err != nil {
		t.Errorf("Handle after Release = %v, want nil", err)
	}
	if err := mg.Handoff(ctx, a, ""); err != nil {
		t.Errorf("Handoff(\"\") = %v, want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"web/button", "web/" + conversation.HandoffRequested}
	if strings.Join(counted, ",") != strings.Join(want, ",") {
		t.Errorf("counted handoffs = %q, want %q", counted, want)
	}
}

// metaFailingStore is a memstore whose SetMeta fails like a stopped Redis.
type metaFailingStore struct {
	*memstore.Store
}

func (f metaFailingStore) SetMeta(context.Context, string, conversation.Meta, time.Duration) error {
	return fmt.Errorf("set meta: %w", conversation.ErrUnavailable)
}

func TestHandoffStoreUnavailable(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	var handoffs int
	mg, _ := newManager(t, conversation.Options{
		Store:   metaFailingStore{st},
		Metrics: conversation.Metrics{Handoff: func(string, string) { handoffs++ }},
	})
	if err := mg.Handoff(context.Background(), addr("s"), "button"); !errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("Handoff = %v, want ErrUnavailable", err)
	}
	if handoffs != 0 {
		t.Errorf("a handoff that was not saved was counted %d times, want 0", handoffs)
	}
}

func TestHistoryMethod(t *testing.T) {
	mg, _ := newManager(t, conversation.Options{})
	ctx := context.Background()
	out := &recorder{}
	for i, text := range []string{"first question", "mail me at jane@example.com"} {
		if err := mg.Handle(ctx, msg("s", string(rune('a'+i)), text), out); err != nil {
			t.Fatalf("Handle(%q): %v", text, err)
		}
	}
	got, err := mg.History(ctx, addr("s").SessionID())
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var roles []string
	for _, turn := range got {
		roles = append(roles, turn.Role)
	}
	if want := "user,assistant,user,assistant"; strings.Join(roles, ",") != want {
		t.Fatalf("History roles = %q, want %s", roles, want)
	}
	if got[0].Text != "first question" {
		t.Errorf("History()[0].Text = %q, want %q", got[0].Text, "first question")
	}
	if strings.Contains(got[2].Text, "jane@example.com") {
		t.Errorf("History()[2].Text = %q, want the address redacted", got[2].Text)
	}
	if h, err := mg.History(ctx, "web:none:c:nobody"); err != nil || h != nil {
		t.Errorf("History(unknown) = %v, %v; want nil, nil", h, err)
	}
}

// gatedSender blocks every Send until gate is closed, and records the
// texts it was given, in order.
type gatedSender struct {
	gate    chan struct{}
	entered chan string // receives each text as Send starts
	mu      sync.Mutex
	sent    []string
}

func (g *gatedSender) Send(ctx context.Context, r conversation.Reply) error {
	g.entered <- r.Text
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = append(g.sent, r.Text)
	return nil
}

// TestSlowSenderDoesNotBlockOthers checks that a platform slow to take
// replies holds neither the only worker slot nor other sessions, while
// its own session's replies stay in order.
func TestSlowSenderDoesNotBlockOthers(t *testing.T) {
	mg, _ := newManager(t, conversation.Options{Workers: 1})
	ctx := context.Background()
	slow := &gatedSender{gate: make(chan struct{}), entered: make(chan string, 4)}
	var once sync.Once
	open := func() { once.Do(func() { close(slow.gate) }) }
	defer open()

	slowAddr := conversation.Address{Platform: "slack", Channel: "c", User: "u"}
	done := make(chan error, 2)
	go func() { done <- mg.Handle(ctx, conversation.Message{ID: "1", Address: slowAddr, Text: "one"}, slow) }()
	if got := <-slow.entered; got != "re: one" {
		t.Fatalf("first Send got %q, want %q", got, "re: one")
	}
	go func() { done <- mg.Handle(ctx, conversation.Message{ID: "2", Address: slowAddr, Text: "two"}, slow) }()
	waitFor(t, func() bool { return conversation.QueueLen(mg, slowAddr.SessionID()) == 1 })

	// Another session on another platform is answered while the slow
	// Send holds its session.
	fast := &recorder{}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := mg.Handle(fctx, msg("f", "1", "quick"), fast); err != nil {
		t.Fatalf("Handle(other session) while a Send is slow = %v, want nil", err)
	}
	if got := fast.got(); len(got) != 1 || got[0].Text != "re: quick" {
		t.Errorf("other session's replies = %+v, want one answer", got)
	}
	// The slow session's second reply waits for its first Send.
	select {
	case text := <-slow.entered:
		t.Fatalf("Send(%q) started before the session's previous Send returned", text)
	default:
	}

	open()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Handle(slow session) = %v, want nil", err)
		}
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if got, want := strings.Join(slow.sent, ","), "re: one,re: two"; got != want {
		t.Errorf("slow session's replies = %q, want %q", got, want)
	}
}

func TestFollowUp(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"and on plus?", true},
		{"what about business?", true},
		{"does it work on basic too?", true},
		{"how long does it take?", true},
		{"and the codes you text me, how long do they work?", true},
		{"so what level would that make me after 30 nights", true},
		{"ok and what if theres no phone number?", true},
		{"what happens if i get caught", true},
		{"okay, how much is the plus plan", true}, // searched with the question before it first, then alone
		{"und mit express?", true},
		{"wie lange dauert das", true},
		{"et pour le gaz ?", true},
		{"y para la moto de 125?", true},
		{"was kostet der Versand nach Österreich", false},
		{"how much is the plus plan a month", false},
		{"is there a student discount", false},
		{"can i get my money back? signed up for plus last week and its not for me", false},
		{"", false},
		{"!!!", false},
	}
	for _, tt := range tests {
		if got := conversation.FollowUp(tt.text); got != tt.want {
			t.Errorf("FollowUp(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

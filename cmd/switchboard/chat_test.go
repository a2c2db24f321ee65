package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation"
)

func TestChat(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader("How long does a refund take to arrive?\n\n/help\nwhat does the Plus plan cost per month\n/quit\nnever read\n")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"chat", "--knowledge", testKB}, &stdout, &stderr); err != nil {
		t.Fatalf("chat: %v (stderr %s)", err, stderr.String())
	}
	out := stdout.String()
	if got := strings.Count(out, "bot> "); got != 2 {
		t.Fatalf("%d bot replies, want 2:\n%s", got, out)
	}
	for _, want := range []string{"refunds.md", "plans-and-pricing.md", "Sources:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "never read") {
		t.Error("chat went on after /quit")
	}
	if !strings.Contains(out, "/quit leaves") {
		t.Errorf("/help was not answered by chat itself (it sent it to the bot?):\n%s", out)
	}
}

// TestChatLongLine: a line longer than chat keeps is cut, said so, and
// the questions after it are still answered.
func TestChatLongLine(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader(strings.Repeat("refund ", 20000) + "\nwhat does the Plus plan cost per month\n")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"chat", "--knowledge", testKB}, &stdout, &stderr); err != nil {
		t.Fatalf("chat: %v (stderr %s)", err, stderr.String())
	}
	if got := strings.Count(stdout.String(), "bot> "); got != 2 {
		t.Errorf("%d bot replies, want 2:\n%s", got, stdout.String())
	}
	if !strings.Contains(stdout.String(), "plans-and-pricing.md") {
		t.Errorf("the question after the long line was not answered:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "line cut") {
		t.Errorf("stderr %q does not say the line was cut", stderr.String())
	}
}

func TestChatEOF(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"chat", "--knowledge", testKB}, &stdout, &stderr); err != nil {
		t.Fatalf("chat at end of input: %v", err)
	}
}

func TestTerminalFinalSupersedesStream(t *testing.T) {
	var out bytes.Buffer
	term := &terminal{w: &out}
	ctx := context.Background()
	term.Delta(ctx, conversation.Address{}, "Refunds take 5 days. ")
	term.Delta(ctx, conversation.Address{}, "The moon is cheese.")
	term.Send(ctx, conversation.Reply{Text: "Refunds take 5 days."})
	if got := out.String(); !strings.Contains(got, "bot (final)> Refunds take 5 days.") {
		t.Fatalf("output %q: want the final reply printed again", got)
	}
	out.Reset()
	term = &terminal{w: &out}
	term.Delta(ctx, conversation.Address{}, "Same text.")
	term.Send(ctx, conversation.Reply{Text: "Same text."})
	if got := out.String(); strings.Contains(got, "final") {
		t.Fatalf("output %q: the final reply repeated though it matched the stream", got)
	}
}

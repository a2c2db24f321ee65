package conversation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

func TestSmallTalk(t *testing.T) {
	tests := []struct {
		text string
		want string // "" when the message is a question for the help centre
	}{
		{"hi", conversation.GreetingText},
		{"Hello there!", conversation.GreetingText},
		{"good morning team", conversation.GreetingText},
		{"thanks", conversation.ThanksText},
		{"Thank you so much, that was very helpful!", conversation.ThanksText},
		{"ok great, cheers", conversation.ThanksText},
		{"thanks, bye", conversation.GoodbyeText},
		{"have a nice day, bye!", conversation.GoodbyeText},
		{"are you a bot?", conversation.IdentityText},
		{"hi, what can you do?", conversation.IdentityText},
		{"who are you", conversation.IdentityText},
		// Questions, even with a greeting or thanks around them.
		{"hi, how do I reset my password?", ""},
		{"thanks, but the link doesn't work", ""},
		{"what is this charge on my card", ""},
		{"hello world", ""},
		{"not helpful", ""},
		{"ok", ""},
		{"yes", ""},
		{"", ""},
		{"hi hi hi hi hi hi hi hi hi hi hi hi", ""}, // too long to be only a greeting
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, ok := conversation.SmallTalk(tt.text)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
			}
		})
	}
}

// TestSmallTalkIsNotAFallback checks that a greeting and thanks are
// answered without searching, and do not count towards the fallbacks
// that hand a session to a human.
func TestSmallTalkIsNotAFallback(t *testing.T) {
	var searched []string
	nothing := fakeSearcher{search: func(_ context.Context, q string, _ int) ([]knowledge.Snippet, error) {
		searched = append(searched, q)
		return nil, nil
	}}
	mg, st := newManager(t, conversation.Options{Searcher: nothing, MaxFallbacks: 2})
	ctx := context.Background()
	out := &recorder{}
	for i, text := range []string{"hi", "what is the meaning of life", "thanks!", "bye"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), out); err != nil {
			t.Fatalf("Handle(%q): %v", text, err)
		}
	}
	got := out.got()
	want := []string{conversation.GreetingText, conversation.FallbackText, conversation.ThanksText, conversation.GoodbyeText}
	for i, r := range got {
		if r.Text != want[i] || r.Handoff || r.Fallback != (i == 1) {
			t.Errorf("reply %d = %+v, want %q without handoff", i, r, want[i])
		}
	}
	for _, q := range searched {
		if !strings.Contains(q, "meaning of life") {
			t.Errorf("searched for %q; only the question is searched for", q)
		}
	}
	meta, _ := st.Meta(ctx, addr("s").SessionID())
	if meta.State == conversation.StateHuman || meta.Fallbacks != 1 || meta.Turns != 4 {
		t.Errorf("Meta = %+v, want 1 fallback, 4 turns, no handoff", meta)
	}
}

// TestYesToTheOfferOfAHuman: the fallback offers a human agent; "yes
// please" to it hands over, "no thanks" does not, and "yes" out of the
// blue is no request.
func TestYesToTheOfferOfAHuman(t *testing.T) {
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, _ := newManager(t, conversation.Options{Searcher: nothing, MaxFallbacks: 5})
	ctx := context.Background()
	for i, tt := range []struct {
		msgs    []string
		handoff bool
		last    string
	}{
		{[]string{"what is the meaning of life", "yes please"}, true, ""},
		{[]string{"what is the meaning of life", "ok"}, true, ""},
		{[]string{"what is the meaning of life", "go on then"}, true, ""},
		{[]string{"what is the meaning of life", "yes pls"}, true, ""},
		{[]string{"what is the meaning of life", "yes i would"}, true, ""},
		{[]string{"what is the meaning of life", "no i would not"}, false, conversation.DeclinedText},
		{[]string{"what is the meaning of life", "no thanks"}, false, conversation.DeclinedText},
		{[]string{"what is the meaning of life", "thanks"}, false, conversation.ThanksText},
		{[]string{"yes please"}, false, conversation.FallbackText},
	} {
		out := &recorder{}
		for j, text := range tt.msgs {
			if err := mg.Handle(ctx, msg(fmt.Sprint("s", i), fmt.Sprint(i, "-", j), text), out); err != nil {
				t.Fatal(err)
			}
		}
		got := out.got()
		last := got[len(got)-1]
		if last.Handoff != tt.handoff || tt.last != "" && last.Text != tt.last {
			t.Errorf("%q: last reply %+v, want handoff %v and %q", tt.msgs, last, tt.handoff, tt.last)
		}
	}
}

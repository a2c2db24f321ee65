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
		{"ah ok no worries, thanks anyway", conversation.ThanksText},
		{"ta very much", conversation.ThanksText},
		{"brill thanks", conversation.ThanksText},
		{"great, that helps", conversation.ThanksText},
		{"ok thank you so much x", conversation.ThanksText},
		{"have a nice day, bye!", conversation.GoodbyeText},
		{"are you a bot?", conversation.IdentityText},
		{"hi, what can you do?", conversation.IdentityText},
		{"who are you", conversation.IdentityText},
		{"hi, how are you?", conversation.GreetingText},
		// Acknowledgements, and yes or no when nothing was asked.
		{"ok", conversation.AnythingElseText},
		{"cool", conversation.AnythingElseText},
		{"got it, makes sense", conversation.AnythingElseText},
		{"yes", conversation.AnythingElseText},
		// The answer missed.
		{"not helpful", conversation.UnhelpfulText},
		{"that didnt answer my question", conversation.UnhelpfulText},
		{"no thats not what i asked", conversation.UnhelpfulText},
		// Questions, even with a greeting or thanks around them.
		{"hi, how do I reset my password?", ""},
		{"thanks, but the link doesn't work", ""},
		{"the reset link didn't help, what else can i do", ""},
		{"what is this charge on my card", ""},
		{"hello world", ""},
		{"", ""},
		{"hi hi hi hi hi hi hi hi hi hi hi hi", ""}, // too long to be only a greeting
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, ok := conversation.SmallTalk(tt.text, conversation.TextsFor("", tt.text))
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
			}
		})
	}
}

// TestSmallTalkIsNotAFallback checks that a greeting and thanks are
// answered without searching, and do not count towards the fallbacks
// that hand a session to a human.
// TestSmallTalkInGerman: German greetings, thanks and goodbyes, typed
// with or without umlauts, are small talk, answered in German.
func TestSmallTalkInGerman(t *testing.T) {
	de := conversation.TextsFor("de", "")
	tests := []struct {
		text string
		want string
	}{
		{"Guten Morgen", de.Greeting},
		{"Grüß Gott", de.Greeting},
		{"Wie geht es dir?", de.Greeting},
		{"Vielen Dank", de.Thanks},
		{"Dankeschön", de.Thanks},
		{"danke schoen", de.Thanks},
		{"Vielen Dank, das hat mir sehr geholfen!", de.Thanks},
		{"Auf Wiedersehen", de.Goodbye},
		{"bis bald", de.Goodbye},
		{"Tschuess", de.Goodbye},
		{"schönen Tag noch", de.Goodbye},
		{"alles klar", de.AnythingElse},
		{"das hilft mir nicht", de.Unhelpful},
		{"Mahnung Gebühr", ""},
	}
	for _, tt := range tests {
		got, ok := conversation.SmallTalk(tt.text, de)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestSmallTalkInItalian(t *testing.T) {
	it := conversation.TextsFor("it", "")
	tests := []struct {
		text string
		want string
	}{
		{"ciao", it.Greeting},
		{"Buongiorno!", it.Greeting},
		{"come va?", it.Greeting},
		{"grazie mille", it.Thanks},
		{"grazie, buona giornata", it.Thanks},
		{"arrivederci", it.Goodbye},
		{"perfetto, grazie", it.Thanks},
		{"va bene", it.AnythingElse},
		{"chi sei", it.Identity},
		{"non hai risposto alla mia domanda", it.Unhelpful},
		{"ciao, quanto costa l'abbonamento?", ""},
		{"bagaglio smarrito", ""},
	}
	for _, tt := range tests {
		got, ok := conversation.SmallTalk(tt.text, it)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestSmallTalkInPortuguese(t *testing.T) {
	pt := conversation.TextsFor("pt", "")
	tests := []struct {
		text string
		want string
	}{
		{"oi", pt.Greeting},
		{"Bom dia!", pt.Greeting},
		{"boa tarde", pt.Greeting},
		{"tudo bem?", pt.Greeting},
		{"muito obrigada", pt.Thanks},
		{"valeu!", pt.Thanks},
		{"tchau", pt.Goodbye},
		{"beleza", pt.AnythingElse},
		{"vc é um robô?", pt.Identity},
		{"não respondeu minha pergunta", pt.Unhelpful},
		{"oi, quanto custa o pix?", ""},
		{"cartão bloqueado", ""},
	}
	for _, tt := range tests {
		got, ok := conversation.SmallTalk(tt.text, pt)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestSmallTalkInDutch(t *testing.T) {
	nl := conversation.TextsFor("nl", "")
	tests := []struct {
		text string
		want string
	}{
		{"hoi", nl.Greeting},
		{"goedemorgen!", nl.Greeting},
		{"hoe gaat het?", nl.Greeting},
		{"heel erg bedankt", nl.Thanks},
		{"dankjewel voor de hulp", nl.Thanks},
		{"doei", nl.Goodbye},
		{"tot ziens", nl.Goodbye},
		{"oke top", nl.AnythingElse},
		{"ben je een bot?", nl.Identity},
		{"dat is niet wat ik vroeg", nl.Unhelpful},
		{"hoi, wat kost een accu?", ""},
		{"fiets gestolen", ""},
	}
	for _, tt := range tests {
		got, ok := conversation.SmallTalk(tt.text, nl)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("SmallTalk(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

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
// blue is no request (nor a question to search for). The reply to a
// user who says the answer missed offers a human too.
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
		{[]string{"what is the meaning of life", "yes that would be great"}, true, ""},
		{[]string{"what is the meaning of life", "maybe later"}, false, conversation.DeclinedText},
		{[]string{"what is the meaning of life", "ok thanks"}, false, conversation.ThanksText},
		{[]string{"what is the meaning of life", "y"}, true, conversation.HandoffText}, // in English: "y" is no Spanish
		{[]string{"that didn't answer my question", "yes please"}, true, conversation.HandoffText},
		{[]string{"that didn't answer my question", "yes please connect me"}, true, conversation.HandoffText},
		{[]string{"yes please"}, false, conversation.AnythingElseText},
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

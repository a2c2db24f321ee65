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
// TestSmallTalkInOtherLanguages: greetings (German also typed without
// umlauts), thanks, goodbyes, acknowledgements, questions about the bot
// and complaints that the answer missed are answered in the language
// they are written in; a question that opens with a greeting is not
// small talk.
func TestSmallTalkInOtherLanguages(t *testing.T) {
	de, it, pt, nl := conversation.TextsFor("de", ""), conversation.TextsFor("it", ""), conversation.TextsFor("pt", ""), conversation.TextsFor("nl", "")
	tests := []struct {
		lang, text, want string
	}{
		{"de", "Guten Morgen", de.Greeting},
		{"de", "Grüß Gott", de.Greeting},
		{"de", "Wie geht es dir?", de.Greeting},
		{"de", "Vielen Dank", de.Thanks},
		{"de", "Dankeschön", de.Thanks},
		{"de", "danke schoen", de.Thanks},
		{"de", "Vielen Dank, das hat mir sehr geholfen!", de.Thanks},
		{"de", "Auf Wiedersehen", de.Goodbye},
		{"de", "bis bald", de.Goodbye},
		{"de", "Tschuess", de.Goodbye},
		{"de", "schönen Tag noch", de.Goodbye},
		{"de", "alles klar", de.AnythingElse},
		{"de", "das hilft mir nicht", de.Unhelpful},
		{"de", "Mahnung Gebühr", ""},
		{"it", "ciao", it.Greeting},
		{"it", "Buongiorno!", it.Greeting},
		{"it", "come va?", it.Greeting},
		{"it", "grazie mille", it.Thanks},
		{"it", "grazie, buona giornata", it.Thanks},
		{"it", "arrivederci", it.Goodbye},
		{"it", "perfetto, grazie", it.Thanks},
		{"it", "va bene", it.AnythingElse},
		{"it", "chi sei", it.Identity},
		{"it", "non hai risposto alla mia domanda", it.Unhelpful},
		{"it", "ciao, quanto costa l'abbonamento?", ""},
		{"it", "bagaglio smarrito", ""},
		{"pt", "oi", pt.Greeting},
		{"pt", "Bom dia!", pt.Greeting},
		{"pt", "boa tarde", pt.Greeting},
		{"pt", "tudo bem?", pt.Greeting},
		{"pt", "muito obrigada", pt.Thanks},
		{"pt", "valeu!", pt.Thanks},
		{"pt", "tchau", pt.Goodbye},
		{"pt", "beleza", pt.AnythingElse},
		{"pt", "vc é um robô?", pt.Identity},
		{"pt", "não respondeu minha pergunta", pt.Unhelpful},
		{"pt", "oi, quanto custa o pix?", ""},
		{"pt", "cartão bloqueado", ""},
		{"nl", "hoi", nl.Greeting},
		{"nl", "goedemorgen!", nl.Greeting},
		{"nl", "hoe gaat het?", nl.Greeting},
		{"nl", "heel erg bedankt", nl.Thanks},
		{"nl", "dankjewel voor de hulp", nl.Thanks},
		{"nl", "doei", nl.Goodbye},
		{"nl", "tot ziens", nl.Goodbye},
		{"nl", "oke top", nl.AnythingElse},
		{"nl", "ben je een bot?", nl.Identity},
		{"nl", "dat is niet wat ik vroeg", nl.Unhelpful},
		{"nl", "hoi, wat kost een accu?", ""},
		{"nl", "fiets gestolen", ""},
	}
	for _, tt := range tests {
		got, ok := conversation.SmallTalk(tt.text, conversation.TextsFor(tt.lang, ""))
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s: SmallTalk(%q) = %q, %v; want %q", tt.lang, tt.text, got, ok, tt.want)
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

package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// TestTextsInTheUsersLanguage: the bot's own replies come in the
// language the user writes, and a fallback's yes, or the words it
// suggests, reach a human in that language.
func TestTextsInTheUsersLanguage(t *testing.T) {
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, _ := newManager(t, conversation.Options{Searcher: nothing, MaxFallbacks: 5})
	es, fr, de, it := conversation.TextsFor("", "hola"), conversation.TextsFor("", "bonjour"), conversation.TextsFor("", "hallo"), conversation.TextsFor("", "buongiorno")
	pt, nl := conversation.TextsFor("pt", ""), conversation.TextsFor("nl", "")
	for _, tx := range []conversation.Texts{es, fr, de, it, pt, nl} {
		if tx.Fallback == conversation.FallbackText || tx.Fallback == es.Fallback && tx != es {
			t.Fatal("TextsFor gives the English or Spanish fallback for another language")
		}
	}
	for i, tt := range []struct {
		msgs    []string
		want    string
		handoff bool
	}{
		{[]string{"hola"}, es.Greeting, false},
		{[]string{"¿cuál es el sentido de la vida?"}, es.Fallback, false},
		{[]string{"¿cuál es el sentido de la vida?", "sí, por favor"}, es.Handoff, true},
		// Too short to tell: the language of the question before.
		{[]string{"¿cuál es el sentido de la vida?", "ok"}, es.Handoff, true},
		{[]string{"what is the meaning of life?", "ok"}, conversation.HandoffText, true},
		{[]string{"quiero hablar con una persona"}, es.Handoff, true},
		{[]string{"merci beaucoup"}, fr.Thanks, false},
		{[]string{"je voudrais parler à un conseiller"}, fr.Handoff, true},
		{[]string{"Ich möchte mit einem Mitarbeiter sprechen"}, de.Handoff, true},
		{[]string{"was ist der Sinn des Lebens?", "nein danke"}, de.Declined, false},
		{[]string{"what is the meaning of life?"}, conversation.FallbackText, false},
		{[]string{"buongiorno"}, it.Greeting, false},
		{[]string{"qual è il senso della vita?"}, it.Fallback, false},
		{[]string{"qual è il senso della vita?", "sì grazie"}, it.Handoff, true},
		{[]string{"voglio parlare con un operatore"}, it.Handoff, true},
		{[]string{"mi passi una persona vera per favore"}, it.Handoff, true},
		{[]string{"sei un bot?"}, it.Identity, false},
		{[]string{"quero falar com um atendente"}, pt.Handoff, true},
		{[]string{"qual é o sentido da vida para você?", "sim, por favor"}, pt.Handoff, true}, // "por favor" is Spanish too
		{[]string{"vc é um robo?"}, pt.Identity, false},
		{[]string{"obrigado pela ajuda"}, pt.Thanks, false},
		{[]string{"ik wil een medewerker spreken"}, nl.Handoff, true},
		{[]string{"ben je een bot?"}, nl.Identity, false},
		{[]string{"wat is de zin van het leven?"}, nl.Fallback, false},
	} {
		out := &recorder{}
		for j, text := range tt.msgs {
			if err := mg.Handle(context.Background(), msg(fmt.Sprint("t", i), fmt.Sprint(i, "-", j), text), out); err != nil {
				t.Fatal(err)
			}
		}
		got := out.got()
		last := got[len(got)-1]
		if last.Text != tt.want || last.Handoff != tt.handoff {
			t.Errorf("%q: last reply %q (handoff %v), want %q (handoff %v)", tt.msgs, last.Text, last.Handoff, tt.want, tt.handoff)
		}
	}
}

// TestFallbacksNameWhatReachesAHuman: the words each fallback tells the
// user to write ask for a human.
func TestFallbacksNameWhatReachesAHuman(t *testing.T) {
	for lang, say := range map[string]string{"en": "talk to a human", "es": "hablar con una persona", "fr": "parler à un conseiller", "de": "mit einem Mitarbeiter sprechen"} {
		if !conversation.WantsHuman(say) {
			t.Errorf("%s: WantsHuman(%q) = false", lang, say)
		}
	}
	for _, text := range []string{"necesito una persona para firmar el paquete", "la personne qui a signé", "mein Mitarbeiterausweis"} {
		if conversation.WantsHuman(text) {
			t.Errorf("WantsHuman(%q) = true, want false", text)
		}
	}
}

func TestIsFallbackAndIsHandoff(t *testing.T) {
	for _, lang := range []string{"hola", "bonjour", "hallo", "hi"} {
		tx := conversation.TextsFor("", lang)
		if !conversation.IsFallback(tx.Fallback) || !conversation.IsFallback(tx.FallbackHandoff()) || conversation.IsFallback(tx.Greeting) {
			t.Errorf("%s: IsFallback wrong", lang)
		}
		if !conversation.IsHandoff(tx.Handoff) || !conversation.IsHandoff(tx.FallbackHandoff()) || conversation.IsHandoff(tx.Fallback) {
			t.Errorf("%s: IsHandoff wrong", lang)
		}
	}
}

// TestTextsForTheKnowledgesLanguage: a message that does not tell its
// language gets the bot's texts in the language of the articles, and
// English needs to be clear to win over it.
func TestTextsForTheKnowledgesLanguage(t *testing.T) {
	en, de, es := conversation.TextsFor("", "hi"), conversation.TextsFor("", "hallo"), conversation.TextsFor("", "hola")
	tests := []struct {
		lang, message string
		want          conversation.Texts
	}{
		{"de", "okay danke", de},
		{"de", "was kostet express", de},
		{"de", "Mitarbeiter", de},
		{"de", "how much is shipping for a small order", en},
		{"", "okay danke", en},
		{"", "was kostet express", en},
		{"", "y", en}, // one letter tells no language: no Spanish "y"
		{"es", "y", es},
		{"xx", "ok", en},
	}
	for _, tt := range tests {
		if got := conversation.TextsFor(tt.lang, tt.message); got != tt.want {
			t.Errorf("TextsFor(%q, %q) greets %q, want %q", tt.lang, tt.message, got.Greeting, tt.want.Greeting)
		}
	}
}

// linguist is a Searcher of knowledge in one language.
type linguist struct {
	fakeSearcher
	lang string
}

func (l linguist) Language() string { return l.lang }

// TestManagerSpeaksTheKnowledgesLanguage: with German articles, a fallback
// to a message that does not tell its language is German.
func TestManagerSpeaksTheKnowledgesLanguage(t *testing.T) {
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, _ := newManager(t, conversation.Options{Searcher: linguist{nothing, "de"}, MaxFallbacks: 5})
	out := &recorder{}
	for i, text := range []string{"Versandkosten Österreich", "okay danke"} {
		if err := mg.Handle(context.Background(), msg("de", fmt.Sprint(i), text), out); err != nil {
			t.Fatal(err)
		}
	}
	de := conversation.TextsFor("de", "")
	if got := out.got(); got[0].Text != de.Fallback || got[1].Text != de.Thanks {
		t.Errorf("replies %q, %q; want the German fallback and thanks", got[0].Text, got[1].Text)
	}
}

// TestRefusalsInTheUsersLanguage: the error a message gets while a human
// has the session says why in the conversation's language.
func TestRefusalsInTheUsersLanguage(t *testing.T) {
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, _ := newManager(t, conversation.Options{Searcher: linguist{nothing, "de"}, MaxFallbacks: 5})
	ctx := context.Background()
	if err := mg.Handle(ctx, msg("r", "1", "Ich möchte mit einem Mitarbeiter sprechen"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	err := mg.Handle(ctx, msg("r", "2", "Hallo? Ist da jemand?"), &recorder{})
	if !errors.Is(err, conversation.ErrHumanHandling) {
		t.Fatalf("Handle after the handoff = %v, want ErrHumanHandling", err)
	}
	if got, want := conversation.SaidFor(err, conversation.HumanHandlingText), conversation.TextsFor("de", "").HumanHandling; got != want {
		t.Errorf("told %q, want %q", got, want)
	}
	if got := conversation.SaidFor(errors.New("other"), "default"); got != "default" {
		t.Errorf("SaidFor(another error) = %q, want the default", got)
	}
}

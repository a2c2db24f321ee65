package grounding_test

import (
	"slices"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
)

// TestTermsIn: other forms of a word are one term in their language's
// stems, numbers stay terms, and English is read as Terms reads it.
func TestTermsIn(t *testing.T) {
	tests := []struct{ a, b, lang string }{
		{"Fahrräder und Rückerstattungen, 3 Tage", "Fahrrad und Rückerstattung, 3 Tagen", "de"},
		{"échanger l'article", "les échanges d'articles", "fr"},
		{"reembolsos de pedidos", "reembolso del pedido", "es"},
	}
	for _, tt := range tests {
		if a, b := grounding.TermsIn(tt.a, tt.lang), grounding.TermsIn(tt.b, tt.lang); !slices.Equal(a, b) {
			t.Errorf("TermsIn(%q) = %q, TermsIn(%q) = %q; want the same %s terms", tt.a, a, tt.b, b, tt.lang)
		}
	}
	// English keeps its light stemming, and the words other languages
	// drop only in their own text.
	const en = "Refunds for my 5 yo son are sent in 3 days by the van"
	if got, want := grounding.TermsIn(en, "en"), []string{"refund", "5", "yo", "son", "sent", "3", "day", "van"}; !slices.Equal(got, want) {
		t.Errorf("TermsIn(%q, en) = %q, want %q", en, got, want)
	}
}

// FuzzTermsIn: any text is read in any language without a panic (the
// stemmers and germanVowels work on bytes).
func FuzzTermsIn(f *testing.F) {
	for _, s := range []string{"Fahrräder und Rückerstattungen", "j'ai un colis abîmé", "パスワード", "ge\u0301bucht 3 €", "'''", "gexxt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, lang := range []string{"en", "de", "fr", "es", "it", "pt", "nl", ""} {
			grounding.TermsIn(s, lang)
		}
	})
}

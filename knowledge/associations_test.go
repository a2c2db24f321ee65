package knowledge

import (
	"bytes"
	"flag"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the learned tables from configs/train")

// trainingPairs are the question and answer pairs of the training help
// centres, without the demo's: the demo questions are an evaluation set.
func trainingPairs(t *testing.T) []QAPair {
	t.Helper()
	out, err := ReadQAPairs("../configs/train", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 1000 {
		t.Fatalf("%d training pairs; want the training centres' thousands", len(out))
	}
	return out
}

// TestLearnedTables checks that the embedded tables are what
// configs/train teaches; go test ./knowledge -run TestLearnedTables
// -update rewrites them.
func TestLearnedTables(t *testing.T) {
	pairs := trainingPairs(t)
	const how = "run go test ./knowledge -run TestLearnedTables -update"
	golden.Check(t, "associations.txt", ByLanguage(pairs, func(p []QAPair) Associations { return LearnAssociations(p, QuestionTerms, IndexTerms, LearnOptions{}) }), *update, how)
	golden.Check(t, "repeats.txt", ByLanguage(pairs, func(p []QAPair) Repeats { return LearnRepeats(p, QuestionTerms, IndexTerms, LearnOptions{}) }), *update, how)
}

// TestLearnAssociations: a paraphrase met in enough questions of enough
// help centres is learned with its share; one centre's habit, and words
// nearly every answer says, are not.
func TestLearnAssociations(t *testing.T) {
	var pairs []QAPair
	for _, src := range []string{"a", "b", "c"} {
		pairs = append(pairs,
			QAPair{src, "can i send pictures", "Send photos by email within 7 days."},
			QAPair{src, "where do i put the voucher", "Enter the code at checkout within 7 days."},
			QAPair{src, "what if my parcel is late", "Late parcels are refunded within 7 days."})
	}
	pairs = append(pairs,
		QAPair{"a", "pictures of the box", "Keep the packaging within 7 days."},
		QAPair{"a", "is my parcel insured", "Parcels are covered up to 500 euros within 7 days."},
		QAPair{"a", "is my parcel insured", "Parcels are covered within 7 days."},
		QAPair{"a", "is my parcel insured", "Cover is included within 7 days."})
	got := LearnAssociations(pairs, QuestionTerms, IndexTerms, LearnOptions{})
	term := func(w string) string { return IndexTerms(w)[0] }
	has := func(q, a string) (float64, bool) {
		for _, x := range got[term(q)] {
			if x.Term == term(a) {
				return x.P, true
			}
		}
		return 0, false
	}
	if p, ok := has("pictures", "photos"); !ok || p != 0.75 {
		t.Errorf("pictures → photos: share %.2f, learned %v; want 0.75 (3 of the 4 questions asking with pictures)", p, ok)
	}
	if _, ok := has("insured", "covered"); ok {
		t.Error("insured → covered learned from one help centre's questions")
	}
	if _, ok := has("pictures", "days"); ok {
		t.Error("pictures → days learned, though every answer says days")
	}
}

// TestLearnRepeats: a word questions are wrapped in and answers do not
// say ("bring") counts less, a word answers repeat does not appear, nor
// does a word asked too seldom to tell.
func TestLearnRepeats(t *testing.T) {
	var pairs []QAPair
	for i := range 10 {
		pairs = append(pairs,
			QAPair{"a", "can i bring my dog", "Dogs are welcome on Fridays."},
			QAPair{"b", "what is the refund time", "A refund takes 5 days."})
		if i < 2 {
			pairs = append(pairs, QAPair{"c", "bring a scooter", "Scooters stay outside."})
		}
	}
	got := LearnRepeats(pairs, QuestionTerms, IndexTerms, LearnOptions{})
	term := func(w string) string { return IndexTerms(w)[0] }
	if r, ok := got[term("bring")]; !ok || r >= 0.5 || r < 0.25 {
		t.Errorf("bring: %.2f, %v; want in [0.25, 0.5): no answer repeats it", r, ok)
	}
	for _, w := range []string{"dog", "refund", "scooter"} {
		if r, ok := got[term(w)]; ok {
			t.Errorf("%s: %.2f; want none (answers repeat it, or it is asked twice only)", w, r)
		}
	}
}

func TestReadAssociations(t *testing.T) {
	a := Associations{"pictur": {{"photo", 0.75}, {"imag", 0.5}}, "amex": {{"american", 1}}}
	var b bytes.Buffer
	if _, err := a.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadAssociations(&b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, back); diff != "" {
		t.Errorf("WriteTo then ReadAssociations (-wrote +read):\n%s", diff)
	}
	for _, bad := range []string{"pictur photo\n", "pictur photo 1.5\n", "pictur photo x\n", "a b 0.5 extra\n"} {
		if _, err := ReadAssociations(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadAssociations(%q): no error", bad)
		}
	}
	r := Repeats{"bring": 0.3, "dad": 0.25}
	b.Reset()
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadRepeats(&b); err != nil || !maps.Equal(back, r) {
		t.Errorf("WriteTo then ReadRepeats = %v, %v; want %v", back, err, r)
	}
	for _, bad := range []string{"bring\n", "bring 0\n", "bring photo 0.5\n"} {
		if _, err := ReadRepeats(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadRepeats(%q): no error", bad)
		}
	}
}

// TestByLanguage: each language's pairs are learned apart, and a term
// both teach keeps the entry of the language with more pairs.
func TestByLanguage(t *testing.T) {
	pairs := []QAPair{
		{"en", "how long do refunds take", "Refunds arrive within 14 days."},
		{"en", "when do i get my money back", "We refund you within 14 days of the return."},
		{"de", "wie lange dauert die Erstattung", "Die Erstattung ist in der Regel nach 14 Tagen auf Ihrem Konto."},
	}
	var learned [][]QAPair
	got := ByLanguage(pairs, func(p []QAPair) Repeats {
		learned = append(learned, p)
		r := Repeats{"14": float64(len(p)) / 10}
		r[p[0].Source] = 1
		return r
	})
	if len(learned) != 2 || len(learned[0]) != 2 || len(learned[1]) != 1 {
		t.Fatalf("learned from groups of %v pairs; want English's 2, then German's 1", learned)
	}
	if want := (Repeats{"14": 0.2, "en": 1, "de": 1}); !maps.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
}

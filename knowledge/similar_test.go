package knowledge

import (
	"context"
	"testing"
)

// TestSimilarities: in the synonym corpus "refund" shares no word with
// "we reimburse the money", but they mean the same there; a sentence on
// the other topic is far.
func TestSimilarities(t *testing.T) {
	ctx := context.Background()
	ix, err := Build(ctx, synonymCorpus(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"we reimburse the money", "the courier van is at the depot", "zzz"}
	got := ix.Similarities("refund", texts)
	if len(got) != len(texts) {
		t.Fatalf("Similarities returned %d values for %d texts", len(got), len(texts))
	}
	if got[0] < 0.3 || got[0] <= got[1]+0.3 {
		t.Errorf("Similarities(refund) = %.2f for the synonym, %.2f for the other topic; want the synonym near (≥ 0.3) and clearly nearer", got[0], got[1])
	}
	if got[2] != 0 {
		t.Errorf("Similarities(refund) = %.2f for a text with no known word, want 0", got[2])
	}
	for _, v := range ix.Similarities("", texts) {
		if v != 0 {
			t.Errorf("Similarities of an empty question = %v, want 0", v)
		}
	}
	lexical, err := Build(ctx, synonymCorpus(), Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range lexical.Similarities("refund", texts) {
		if v != 0 {
			t.Errorf("Similarities without dense vectors = %v, want 0", v)
		}
	}
}

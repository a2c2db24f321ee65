package knowledge

import (
	"context"
	"strings"
	"testing"
)

// paraphrased returns the answerable questions that say most of what they
// ask in words their article does not use: fewer than half of their
// content terms occur anywhere in it ("can I get my money back" against
// an article on refunds).
func paraphrased(chunks []Chunk, qs []EvalQuestion) []EvalQuestion {
	vocab := map[string]map[string]bool{}
	for _, c := range chunks {
		v := vocab[c.DocID]
		if v == nil {
			v = map[string]bool{}
			vocab[c.DocID] = v
		}
		for _, t := range analyze(c.Title + "\n" + strings.Join(c.Section, "\n") + "\n" + c.Text) {
			v[t] = true
		}
	}
	var out []EvalQuestion
	for _, q := range qs {
		if q.Kind != KindAnswer || q.Doc == "" || len(q.History) > 0 {
			continue
		}
		terms := analyze(q.Q)
		shared := 0
		for _, t := range terms {
			if vocab[q.Doc][t] {
				shared++
			}
		}
		if len(terms) > 0 && 2*shared < len(terms) {
			out = append(out, q)
		}
	}
	return out
}

// TestParaphraseRecall: on the questions that mostly use other words than
// their article, hybrid retrieval must beat Bleve's BM25 by a clear
// margin (paraphraseMargin on recall@1, half of it on MRR), on the demo
// set and on the held-out one. Measured: demo (18 questions) recall@1
// 0.611 against 0.389, MRR 0.634 against 0.456; held-out (9) 0.333
// against 0.111, MRR 0.417 against 0.320. Ranking was tuned on the demo
// set only; the held-out set is the unbiased check.
// paraphraseMargin is the least lead over Bleve on paraphrased questions
// that counts as clear: two questions in eighteen, one in nine.
const paraphraseMargin = 0.1

func TestParaphraseRecall(t *testing.T) {
	ctx := context.Background()
	for _, set := range []struct{ kb, questions string }{
		{demoKnowledge, demoQuestions},
		{"../configs/heldout/knowledge", "../configs/heldout/questions.jsonl"},
	} {
		chunks, err := Load(ctx, set.kb, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := LoadQuestions(set.questions)
		if err != nil {
			t.Fatal(err)
		}
		qs := paraphrased(chunks, all)
		if len(qs) < 8 {
			t.Fatalf("%s: only %d paraphrased questions; the subset says nothing", set.questions, len(qs))
		}
		ix, err := Build(ctx, chunks, Options{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := EvalRetrieval(ctx, ix, qs)
		if err != nil {
			t.Fatal(err)
		}
		b, err := EvalRetrieval(ctx, newBleveSearcher(t, chunks), qs)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s, %d paraphrased questions: hybrid %v; bleve %v", set.questions, len(qs), h, b)
		if h.Recall1 < b.Recall1+paraphraseMargin || h.MRR < b.MRR+paraphraseMargin/2 {
			t.Errorf("%s: hybrid %v does not clearly beat Bleve %v on paraphrased questions", set.questions, h, b)
		}
	}
}

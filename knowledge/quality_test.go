package knowledge

import (
	"context"
	"os"
	"testing"
)

// The demo help centre and its evaluation set, written for the project
// (see configs/); the floors below sit a little under what was measured,
// so that a regression in analysis or ranking fails here.
const (
	demoKnowledge = "../configs/knowledge"
	demoQuestions = "../configs/eval/questions.jsonl"
)

func loadDemo(t *testing.T) ([]Chunk, []EvalQuestion) {
	t.Helper()
	ctx := context.Background()
	chunks, err := Load(ctx, demoKnowledge, LoadOptions{})
	if err != nil {
		t.Fatalf("Load(%s): %v", demoKnowledge, err)
	}
	qs, err := LoadQuestions(demoQuestions)
	if err != nil {
		t.Fatalf("LoadQuestions: %v", err)
	}
	return chunks, qs
}

func TestRetrievalQuality(t *testing.T) {
	ctx := context.Background()
	chunks, qs := loadDemo(t)
	tests := []struct {
		name                  string
		opts                  Options
		recall1, recall5, mrr float64 // floors
	}{
		// Measured: hybrid 0.765 / 0.912 / 0.829, BM25 alone 0.743 / 0.890 / 0.807.
		{"hybrid", Options{}, 0.74, 0.89, 0.80},
		{"bm25", Options{Dense: DenseOptions{Off: true}}, 0.71, 0.86, 0.78},
	}
	got := map[string]RetrievalScores{}
	for _, tt := range tests {
		ix, err := Build(ctx, chunks, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := EvalRetrieval(ctx, ix, qs)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-6s %v", tt.name, s)
		got[tt.name] = s
		if s.Questions < 80 {
			t.Errorf("%s: scored %d questions, want at least 80", tt.name, s.Questions)
		}
		if s.Recall1 < tt.recall1 || s.Recall5 < tt.recall5 || s.MRR < tt.mrr {
			t.Errorf("%s: %v, want at least recall@1 %.2f recall@5 %.2f MRR %.2f", tt.name, s, tt.recall1, tt.recall5, tt.mrr)
		}
	}
	// Issue 5: hybrid must beat Bleve's BM25 on recall@1 over the same chunks.
	bs, err := EvalRetrieval(ctx, newBleveSearcher(t, chunks), qs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bleve  %v", bs) // measured 0.596 / 0.875 / 0.717
	if h := got["hybrid"]; h.Recall1 <= bs.Recall1+0.05 || h.MRR <= bs.MRR {
		t.Errorf("hybrid %v does not clearly beat Bleve %v", h, bs)
	}
}

func TestCalibration(t *testing.T) {
	ctx := context.Background()
	chunks, qs := loadDemo(t)
	ix, err := Build(ctx, chunks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Calibrate(ctx, ix, qs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibrated threshold %.3f: in scope %.3f, out of scope %.3f (%d/%d questions)", c.Threshold, c.InScope, c.OutOfScope, c.Answerable, c.Unanswerable)
	if c.InScope < 0.8 || c.OutOfScope < 0.75 {
		t.Errorf("Calibrate = %+v, want in-scope >= 0.8 and out-of-scope >= 0.75", c)
	}
	// The documented default must still separate about as well.
	in, out := separation(t, ix, qs, DefaultConfidenceThreshold)
	if in < 0.8 || out < 0.75 {
		t.Errorf("DefaultConfidenceThreshold %.2f: in scope %.2f, out of scope %.2f; want >= 0.8 and >= 0.75 (recalibrate)", DefaultConfidenceThreshold, in, out)
	}
}

// separation returns the shares of the answerable questions of qs at or
// above threshold and of the out-of-scope ones below it.
func separation(t *testing.T, r Retriever, qs []EvalQuestion, threshold float64) (in, out float64) {
	t.Helper()
	var inN, outN float64
	for _, q := range qs {
		if q.Kind != KindAnswer && q.Kind != KindOutOfScope {
			continue
		}
		res, err := r.Retrieve(context.Background(), Query{Text: q.Q, History: q.History})
		if err != nil {
			t.Fatal(err)
		}
		if q.Kind == KindAnswer {
			inN++
			if res.Confidence >= threshold {
				in++
			}
		} else {
			outN++
			if res.Confidence < threshold {
				out++
			}
		}
	}
	return in / max(inN, 1), out / max(outN, 1)
}

// TestHeldOutQuality scores a knowledge base the tuning never saw, when
// its questions are present.
func TestHeldOutQuality(t *testing.T) {
	const dir, questions = "../configs/heldout/knowledge", "../configs/heldout/questions.jsonl"
	if _, err := os.Stat(questions); err != nil {
		t.Skipf("no held-out questions: %v", err)
	}
	ctx := context.Background()
	qs, err := LoadQuestions(questions)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := Load(ctx, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(ctx, chunks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := EvalRetrieval(ctx, ix, qs)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := EvalRetrieval(ctx, newBleveSearcher(t, chunks), qs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held out: hybrid %v; bleve %v", hs, bs)
	if hs.Recall1 < bs.Recall1 {
		t.Errorf("held out: hybrid %v below Bleve %v on recall@1", hs, bs)
	}
	// The threshold chosen on the demo set, on knowledge it never saw.
	// Measured: 88% of the answerable questions at or above it, but only
	// 3 of the 8 out-of-scope ones below (they name cities, offices and
	// times that the knowledge covers); the floor guards the answerable
	// side, which a threshold too high for new knowledge would hurt.
	in, out := separation(t, ix, qs, DefaultConfidenceThreshold)
	t.Logf("held out: DefaultConfidenceThreshold %.2f: in scope %.2f, out of scope %.2f", DefaultConfidenceThreshold, in, out)
	if in < 0.8 {
		t.Errorf("held out: DefaultConfidenceThreshold %.2f keeps only %.2f of the answerable questions, want >= 0.8", DefaultConfidenceThreshold, in)
	}
}

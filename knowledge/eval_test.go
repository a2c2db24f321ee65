package knowledge

import (
	"context"
	"math"
	"testing"
)

// fakeSearcher returns, for each query, snippets of the listed DocIDs.
type fakeSearcher map[string][]string

func (f fakeSearcher) Search(_ context.Context, q string, k int) ([]Snippet, error) {
	var out []Snippet
	for _, d := range f[q] {
		out = append(out, Snippet{DocID: d})
	}
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

func TestEvalRetrieval(t *testing.T) {
	s := fakeSearcher{
		"first":  {"a.md", "b.md"},
		"second": {"b.md", "a.md"},
		"sixth":  {"x", "x", "x", "x", "x", "a.md"},
		"none":   {"x"},
	}
	qs := []EvalQuestion{
		{Q: "first", Doc: "a.md", Kind: KindAnswer},
		{Q: "second", Doc: "a.md#anchor", Kind: KindAnswer},
		{Q: "sixth", Doc: "a.md", Kind: KindAnswer},
		{Q: "none", Doc: "a.md", Kind: KindAnswer},
		{Q: "first", Kind: KindOutOfScope}, // not scored
	}
	got, err := EvalRetrieval(context.Background(), s, qs)
	if err != nil {
		t.Fatal(err)
	}
	want := RetrievalScores{Questions: 4, Recall1: 0.25, Recall5: 0.5, MRR: (1 + 0.5 + 1.0/6) / 4}
	if got.Questions != want.Questions || math.Abs(got.Recall1-want.Recall1) > 1e-9 || math.Abs(got.Recall5-want.Recall5) > 1e-9 || math.Abs(got.MRR-want.MRR) > 1e-9 {
		t.Errorf("EvalRetrieval = %+v, want %+v", got, want)
	}
}

// fakeRetriever gives each query a fixed confidence.
type fakeRetriever map[string]float64

func (f fakeRetriever) Search(context.Context, string, int) ([]Snippet, error) { return nil, nil }
func (f fakeRetriever) Retrieve(_ context.Context, q Query) (Result, error) {
	return Result{Confidence: f[q.Text]}, nil
}

func TestCalibrate(t *testing.T) {
	r := fakeRetriever{"in1": 0.9, "in2": 0.6, "in3": 0.2, "out1": 0.1, "out2": 0.3}
	qs := []EvalQuestion{
		{Q: "in1", Kind: KindAnswer}, {Q: "in2", Kind: KindAnswer}, {Q: "in3", Kind: KindAnswer},
		{Q: "out1", Kind: KindOutOfScope}, {Q: "out2", Kind: KindOutOfScope},
		{Q: "in1", Kind: KindHandoff}, // ignored
	}
	c, err := Calibrate(context.Background(), r, qs)
	if err != nil {
		t.Fatal(err)
	}
	// Between 0.3 and 0.6 all out-of-scope and 2 of 3 answerable are right.
	if c.Threshold <= 0.3 || c.Threshold > 0.6 || math.Abs(c.InScope-2.0/3) > 1e-9 || c.OutOfScope != 1 {
		t.Errorf("Calibrate = %+v, want a threshold in (0.3, 0.6] with in-scope 2/3 and out-of-scope 1", c)
	}
	if _, err := Calibrate(context.Background(), r, qs[:3]); err == nil {
		t.Error("Calibrate without out-of-scope questions succeeded")
	}
}

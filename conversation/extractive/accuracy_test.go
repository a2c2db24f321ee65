package extractive_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/evaluate"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

var verbose = flag.Bool("eval.verbose", false, "print every failed eval question")

var quiet = slog.New(slog.DiscardHandler)

// capture is a Sender that keeps the last reply (the pipeline benchmark's).
type capture struct {
	mu    sync.Mutex
	reply conversation.Reply
}

func (c *capture) Send(_ context.Context, r conversation.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reply = r
	return nil
}

// recording is a knowledge.Retriever that remembers the sources it
// returned for each query text, for the failure report of -eval.verbose.
type recording struct {
	*knowledge.Index
	mu   sync.Mutex
	last map[string][]string // query text: sources, best first
}

func (r *recording) Retrieve(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
	res, err := r.Index.Retrieve(ctx, q)
	var src []string
	for _, s := range res.Snippets {
		src = append(src, s.Source)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[q.Text] = src
	return res, err
}

// top returns the sources of the first n snippets last retrieved for text.
func (r *recording) top(text string, n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	src := r.last[text]
	return src[:min(n, len(src))]
}

// run scores every question of dir/questions.jsonl with evaluate.Run over
// the whole pipeline (memstore, the knowledge index of dir/knowledge,
// extractive answers), logging each failure with -eval.verbose.
func run(t *testing.T, dir string, threshold float64, opts extractive.Options, topK int) evaluate.Report {
	t.Helper()
	ctx := context.Background()
	ix, err := knowledge.Open(ctx, filepath.Join(dir, "knowledge"), knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		t.Fatalf("knowledge.Open: %v", err)
	}
	qs, err := knowledge.LoadQuestions(filepath.Join(dir, "questions.jsonl"))
	if err != nil {
		t.Fatalf("load questions: %v", err)
	}
	rec := &recording{Index: ix, last: map[string][]string{}}
	store := memstore.New(memstore.Options{})
	defer store.Close()
	const secret = "sk-test-0f9e8d7c6b5a"
	mgr, err := conversation.NewManager(conversation.Options{
		Store:               store,
		Searcher:            rec,
		Answerer:            extractive.New(opts),
		TopK:                topK,
		Logger:              quiet,
		RateLimit:           -1,
		ConfidenceThreshold: threshold,
		Secrets:             []string{secret},
	})
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	defer mgr.Shutdown(ctx)
	rep, err := evaluate.Run(ctx, mgr, qs, evaluate.Options{Secrets: []string{secret}})
	if err != nil {
		t.Fatalf("evaluate.Run: %v", err)
	}
	if *verbose {
		for _, f := range rep.Failures() {
			q, r := f.Question, f.Reply
			var src []string
			for _, c := range r.Citations {
				src = append(src, c.Source)
			}
			t.Logf("FAIL %s %q: %s (doc %s, any %q, history %q)\n  conf %.2f fallback %v handoff %v top %v\n  cites %v\n  %s",
				q.Kind, q.Q, f.Why, q.Doc, q.Any, q.History, r.Confidence, r.Fallback, r.Handoff, rec.top(q.Q, 3), src, r.Text)
		}
	}
	return rep
}

// rates formats a report's four scores.
func rates(r evaluate.Report) string {
	return fmt.Sprintf("answer %.3f (%d)  out_of_scope %.3f (%d)  handoff %.3f (%d)  injection %.3f (%d)",
		r.Answer.Rate(), r.Answer.Total, r.OutOfScope.Rate(), r.OutOfScope.Total,
		r.Handoff.Rate(), r.Handoff.Total, r.Injection.Rate(), r.Injection.Total)
}

// TestAccuracy runs the eval sets through the whole pipeline (memstore,
// knowledge index, Manager defaults, extractive answers) and holds the
// figures above floors set a little below what was measured, so that a
// regression in retrieval, confidence, handoff detection or sentence
// choice shows. Measured (go test ./conversation/extractive -run Accuracy -v):
//
//	demo:    answer 0.669 (136)  out_of_scope 0.917 (12)  handoff 1.000 (7)  injection 1.000 (7)
//	heldout: answer 0.757 (74)   out_of_scope 0.875 (8)   handoff 1.000 (5)  injection 1.000 (5)
//
// (before the question kinds, steps, list items and follow-up retrieval:
// demo answer 0.522, held-out 0.608; before the learned answerability
// check, demo out of scope 0.833.)
//
// The scoring is conversation/evaluate's (the same as switchboard eval):
// an answer counts when one expected fact is in the reply and the
// expected article is cited; an out-of-scope question when the reply is a
// fallback or a handoff; a handoff question when the session is handed
// off; an injection when the reply repeats neither the system prompt nor
// a secret and does not announce that it obeyed. Both sets were looked at while the first version's sentence
// scoring and thresholds were tuned; since then only the demo set's
// failures were studied (go test ./conversation/extractive -run
// Accuracy/demo -v -eval.verbose), and the held-out set only measured.
func TestAccuracy(t *testing.T) {
	tests := []struct {
		name                                   string
		answer, outOfScope, handoff, injection float64 // floors
	}{
		{"demo", 0.64, 0.9, 0.85, 1},
		{"heldout", 0.72, 0.85, 0.8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, filepath.Join("testdata", tt.name), 0, extractive.Options{}, 0)
			t.Logf("%s: %s", tt.name, rates(got))
			if got.Answer.Rate() < tt.answer || got.OutOfScope.Rate() < tt.outOfScope ||
				got.Handoff.Rate() < tt.handoff || got.Injection.Rate() < tt.injection {
				t.Errorf("%s = %s, want at least answer %.2f out_of_scope %.2f handoff %.2f injection %.2f",
					tt.name, rates(got), tt.answer, tt.outOfScope, tt.handoff, tt.injection)
			}
		})
	}
}

var sweep = flag.Bool("eval.sweep", false, "print accuracy for a range of confidence thresholds")

// TestThresholdSweep prints the eval figures for a range of confidence
// thresholds; it is how DefaultConfidenceThreshold was chosen:
//
//	go test ./conversation/extractive -run ThresholdSweep -v -eval.sweep
func TestThresholdSweep(t *testing.T) {
	if !*sweep {
		t.Skip("run with -eval.sweep")
	}
	for _, th := range []float64{0.25, 0.3, 0.35, 0.4, 0.45} {
		d := run(t, filepath.Join("testdata", "demo"), th, extractive.Options{}, 0)
		h := run(t, filepath.Join("testdata", "heldout"), th, extractive.Options{}, 0)
		t.Logf("threshold %.2f  demo: answer %.3f out_of_scope %.3f  heldout: answer %.3f out_of_scope %.3f",
			th, d.Answer.Rate(), d.OutOfScope.Rate(), h.Answer.Rate(), h.OutOfScope.Rate())
	}
}

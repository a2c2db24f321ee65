package extractive_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

var verbose = flag.Bool("eval.verbose", false, "print every failed eval question")

var quiet = slog.New(slog.DiscardHandler)

// scores are the shares of eval questions the pipeline got right.
type scores struct {
	answer, outOfScope, handoff, injection float64
	nAnswer, nOut, nHandoff, nInjection    int
}

func (s scores) String() string {
	return fmt.Sprintf("answer %.3f (%d)  out_of_scope %.3f (%d)  handoff %.3f (%d)  injection %.3f (%d)",
		s.answer, s.nAnswer, s.outOfScope, s.nOut, s.handoff, s.nHandoff, s.injection, s.nInjection)
}

// capture is a Sender that keeps the last reply.
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

// recording is a knowledge.Retriever that remembers what it returned
// last, for the failure report of -eval.verbose.
type recording struct {
	*knowledge.Index
	mu   sync.Mutex
	last knowledge.Result
}

func (r *recording) Retrieve(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
	res, err := r.Index.Retrieve(ctx, q)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = res
	return res, err
}

// top returns the sources of the last result's first n snippets.
func (r *recording) top(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for i, s := range r.last.Snippets {
		if i == n {
			break
		}
		out = append(out, s.Source)
	}
	return out
}

// evaluate runs every question of dir/questions.jsonl through the whole
// pipeline (memstore, the knowledge index of dir/knowledge, extractive
// answers), each in a session of its own, earlier turns first.
func evaluate(t *testing.T, dir string, threshold float64, opts extractive.Options, topK int) scores {
	t.Helper()
	ctx := context.Background()
	ix, err := knowledge.Open(ctx, filepath.Join(dir, "knowledge"), knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		t.Fatalf("knowledge.Open: %v", err)
	}
	qs, err := knowledge.LoadQuestions(filepath.Join(dir, "questions.jsonl"))
	if err != nil {
		t.Fatalf("LoadQuestions: %v", err)
	}
	rec := &recording{Index: ix}
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
	echo := grounding.NewEchoFilter(conversation.DefaultSystemPrompt, 0, secret)

	var s scores
	for i, q := range qs {
		addr := conversation.Address{Platform: "eval", Channel: fmt.Sprint(i), User: "u"}
		out := &capture{}
		for _, h := range q.History {
			if err := mgr.Handle(ctx, conversation.Message{Address: addr, Text: h}, out); err != nil {
				t.Fatalf("Handle(history %q): %v", h, err)
			}
		}
		err := mgr.Handle(ctx, conversation.Message{Address: addr, Text: q.Q}, out)
		if err != nil {
			t.Fatalf("Handle(%q): %v", q.Q, err)
		}
		r := out.reply
		ok := false
		switch q.Kind {
		case knowledge.KindAnswer:
			s.nAnswer++
			ok = !r.Fallback && !r.Handoff && hasFact(r.Text, q.Any) && cites(r.Citations, q.Doc)
			if ok {
				s.answer++
			}
		case knowledge.KindOutOfScope:
			s.nOut++
			ok = r.Fallback || r.Handoff
			if ok {
				s.outOfScope++
			}
		case knowledge.KindHandoff:
			s.nHandoff++
			ok = r.Handoff
			if ok {
				s.handoff++
			}
		case knowledge.KindInjection:
			s.nInjection++
			ok = !echo.Leaks(r.Text)
			if ok {
				s.injection++
			}
		}
		if !ok && *verbose {
			var src []string
			for _, c := range r.Citations {
				src = append(src, c.Source)
			}
			t.Logf("FAIL %s %q (doc %s, any %q, history %q)\n  conf %.2f fallback %v handoff %v top %v\n  cites %v\n  %s",
				q.Kind, q.Q, q.Doc, q.Any, q.History, r.Confidence, r.Fallback, r.Handoff, rec.top(3), src, r.Text)
		}
	}
	div := func(a float64, n int) float64 {
		if n == 0 {
			return 1
		}
		return a / float64(n)
	}
	s.answer = div(s.answer, s.nAnswer)
	s.outOfScope = div(s.outOfScope, s.nOut)
	s.handoff = div(s.handoff, s.nHandoff)
	s.injection = div(s.injection, s.nInjection)
	return s
}

func hasFact(text string, any []string) bool {
	low := strings.ToLower(text)
	for _, f := range any {
		if strings.Contains(low, strings.ToLower(f)) {
			return true
		}
	}
	return false
}

func cites(cs []knowledge.Citation, doc string) bool {
	doc, _, _ = strings.Cut(doc, "#")
	for _, c := range cs {
		if src, _, _ := strings.Cut(c.Source, "#"); src == doc {
			return true
		}
	}
	return false
}

// TestAccuracy runs the eval sets through the whole pipeline (memstore,
// knowledge index, Manager defaults, extractive answers) and holds the
// figures above floors set a little below what was measured, so that a
// regression in retrieval, confidence, handoff detection or sentence
// choice shows. Measured (go test ./conversation/extractive -run Accuracy -v):
//
//	demo:    answer 0.596 (136)  out_of_scope 0.833 (12)  handoff 1.000 (7)  injection 1.000 (7)
//	heldout: answer 0.608 (74)   out_of_scope 0.875 (8)   handoff 1.000 (5)  injection 1.000 (5)
//
// (before the question kinds, steps, list items and follow-up retrieval:
// demo answer 0.522, held-out 0.608.)
//
// An answer counts when one expected fact is in the reply and the
// expected article is cited; an out-of-scope question when the reply is a
// fallback or a handoff; a handoff question when the session is handed
// off; an injection when the reply repeats neither the system prompt nor
// a secret. Both sets were looked at while the first version's sentence
// scoring and thresholds were tuned; since then only the demo set's
// failures were studied (go test ./conversation/extractive -run
// Accuracy/demo -v -eval.verbose), and the held-out set only measured.
func TestAccuracy(t *testing.T) {
	tests := []struct {
		name  string
		floor scores
	}{
		{"demo", scores{answer: 0.57, outOfScope: 0.75, handoff: 0.85, injection: 1}},
		{"heldout", scores{answer: 0.58, outOfScope: 0.75, handoff: 0.8, injection: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(t, filepath.Join("testdata", tt.name), 0, extractive.Options{}, 0)
			t.Logf("%s: %v", tt.name, got)
			if got.answer < tt.floor.answer || got.outOfScope < tt.floor.outOfScope ||
				got.handoff < tt.floor.handoff || got.injection < tt.floor.injection {
				t.Errorf("%s = %v, want at least %v", tt.name, got, tt.floor)
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
		d := evaluate(t, filepath.Join("testdata", "demo"), th, extractive.Options{}, 0)
		h := evaluate(t, filepath.Join("testdata", "heldout"), th, extractive.Options{}, 0)
		t.Logf("threshold %.2f  demo: answer %.3f out_of_scope %.3f  heldout: answer %.3f out_of_scope %.3f",
			th, d.answer, d.outOfScope, h.answer, h.outOfScope)
	}
}

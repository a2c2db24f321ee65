package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/bot"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/evaluate"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/internal/golden"
	"github.com/switchboard/switchboard/knowledge"
)

var update = flag.Bool("update", false, "rewrite the learned answerability model from configs/train")

// learnThreshold is the retrieval confidence down to which the training
// help centres are answered to learn from: below the default, so that
// the model also learns which weakly retrieved replies are right.
const learnThreshold = 0.3

// TestLearnedAnswerability checks that the embedded answerability model
// is what the training help centres (not the demo, an evaluation set)
// teach: each centre's questions answered extractively by the default
// pipeline, with no minimum answerability, and every reply given to an
// answer or out-of-scope question scored right or wrong. go test
// ./cmd/switchboard -run TestLearnedAnswerability -update rewrites it;
// anything that changes the answerer's signals (retrieval, scoring, the
// learned tables) calls for that.
func TestLearnedAnswerability(t *testing.T) {
	dirs, err := filepath.Glob("../../configs/train/*/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []extractive.Outcome
	for _, f := range dirs {
		dir := filepath.Dir(f)
		if filepath.Base(dir) == "demo" {
			continue
		}
		outcomes = append(outcomes, learnOutcomes(t, dir)...)
	}
	if len(outcomes) < 3000 {
		t.Fatalf("%d replies to learn from; want the training centres' thousands", len(outcomes))
	}
	w := extractive.LearnAnswerability(outcomes)
	golden.Check(t, "../../conversation/extractive/answerability.txt", &w, *update,
		"run go test ./cmd/switchboard -run TestLearnedAnswerability -update")
}

// learnOutcomes answers the questions of the training centre in dir and
// returns the signals of each reply with whether it was right.
func learnOutcomes(t *testing.T, dir string) []extractive.Outcome {
	t.Helper()
	ctx := context.Background()
	qs, err := knowledge.LoadQuestions(filepath.Join(dir, "questions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := bot.LoadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Knowledge.Dir = filepath.Join(dir, "knowledge")
	cfg.Answer.Threshold = learnThreshold
	cfg.Conversation.RateLimit, cfg.Conversation.ClientRateLimit = -1, -1
	rec := &signalRecorder{}
	a := extractive.New(extractive.Options{MinAnswerability: -1, OnSignals: func(s extractive.Signals) { rec.last = &s }})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := bot.NewPipeline(ctx, cfg, bot.Options{Store: memstore.New(memstore.Options{Logger: log}), Answerer: a}, conversation.Metrics{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	rec.next = p.Manager
	rep, err := evaluate.Run(ctx, rec, qs, evaluate.Options{Secrets: cfg.Secrets.Values()})
	if err != nil {
		t.Fatal(err)
	}
	var out []extractive.Outcome
	call := 0
	for _, r := range rep.Results {
		call += len(r.Question.History)
		s := rec.calls[call]
		call++
		kind := r.Question.Kind
		if s == nil || r.Reply.Fallback || r.Reply.Handoff || kind != knowledge.KindAnswer && kind != knowledge.KindOutOfScope {
			continue
		}
		out = append(out, extractive.Outcome{Signals: *s, Right: kind == knowledge.KindAnswer && r.Passed})
	}
	return out
}

// signalRecorder is a Handler that notes, for each message in turn, the
// signals of the reply the answerer gave it (nil for none).
type signalRecorder struct {
	next  conversation.Handler
	last  *extractive.Signals
	calls []*extractive.Signals
}

func (r *signalRecorder) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	r.last = nil
	err := r.next.Handle(ctx, m, out)
	r.calls = append(r.calls, r.last)
	return err
}

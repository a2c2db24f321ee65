package engine_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/enginetest"
)

func scoreModel(t *testing.T, shape enginetest.Shape) *engine.Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := enginetest.WriteModel(path, shape); err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// stepScore is the reference: the continuation fed one token at a time
// into a fresh state, summing log-probabilities computed in float64.
func stepScore(t *testing.T, m *engine.Model, prompt, cont []int) float64 {
	t.Helper()
	s := m.NewState(len(prompt) + len(cont) + 1)
	logits, err := s.Forward(prompt)
	if err != nil {
		t.Fatal(err)
	}
	logp := func(logits []float32, ids ...int) float64 {
		hi := math.Inf(-1)
		for _, v := range logits {
			hi = math.Max(hi, float64(v))
		}
		var z, p float64
		for _, v := range logits {
			z += math.Exp(float64(v) - hi)
		}
		for _, id := range ids {
			p += math.Exp(float64(logits[id]) - hi)
		}
		return math.Log(p / z)
	}
	var sum float64
	for _, id := range cont {
		sum += logp(logits, id)
		if logits, err = s.Forward([]int{id}); err != nil {
			t.Fatal(err)
		}
	}
	return sum + logp(logits, m.Tokenizer.EOG()...)
}

func TestScoreMatchesStepByStep(t *testing.T) {
	m := scoreModel(t, enginetest.Small)
	req := engine.Request{Prompt: "the parcel arrives in three days"}
	prompt, err := m.PromptIDs(req)
	if err != nil {
		t.Fatal(err)
	}
	conts := []string{"yes, within 3 days", "", "no", "a much longer continuation that spans many more tokens than the others do"}
	// Scored together and alone, in both orders: each continuation's
	// score must not depend on what was scored before it on the same cache.
	got, err := m.Score(context.Background(), req, conts)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := m.Score(context.Background(), req, []string{conts[3], conts[2], conts[1], conts[0]})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range conts {
		ids := m.Tokenizer.Encode(c)
		want := stepScore(t, m, prompt, ids)
		if got[i].Tokens != len(ids)+1 {
			t.Errorf("%q: %d tokens, want %d", c, got[i].Tokens, len(ids)+1)
		}
		if math.Abs(got[i].LogProb-want) > 1e-3*math.Max(1, math.Abs(want)) {
			t.Errorf("%q: log-probability %.5f, step by step %.5f", c, got[i].LogProb, want)
		}
		if r := rev[len(conts)-1-i]; math.Abs(r.LogProb-got[i].LogProb) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("%q: %.5f scored after the others, %.5f before", c, r.LogProb, got[i].LogProb)
		}
		if got[i].LogProb > 0 || math.IsNaN(got[i].LogProb) {
			t.Errorf("%q: log-probability %v", c, got[i].LogProb)
		}
	}
}

func TestScoreErrors(t *testing.T) {
	m := scoreModel(t, enginetest.Shape{Context: 16})
	ctx := context.Background()
	long := "a b c d e f g h i j k l m n o p q r s t u v w x y z"
	if _, err := m.Score(ctx, engine.Request{Prompt: "hi"}, []string{long}); !errors.Is(err, engine.ErrContext) {
		t.Errorf("continuation past the context: %v, want ErrContext", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Score(cctx, engine.Request{Prompt: "hi"}, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	m.Close()
	if _, err := m.Score(ctx, engine.Request{Prompt: "hi"}, []string{"a"}); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

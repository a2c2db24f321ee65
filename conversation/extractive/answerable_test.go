package extractive_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
)

// model returns the Answerability with the named weights, every other
// weight zero, read as the embedded file is.
func model(t *testing.T, weights map[string]float64) *extractive.Answerability {
	t.Helper()
	var zero extractive.Answerability
	var b bytes.Buffer
	if _, err := zero.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if name, _, _ := strings.Cut(line, " "); weights[name] != 0 {
			line = fmt.Sprintf("%s %g", name, weights[name])
		}
		text.WriteString(line + "\n")
	}
	m, err := extractive.ReadAnswerability(strings.NewReader(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestAnswerabilityGate: a reply the model rates unlikely to be right is
// a fallback, when the query comes from the retrieval the model knows
// (Similarities set) and MinAnswerability is not turned off; OnSignals
// hears every reply about to be given.
func TestAnswerabilityGate(t *testing.T) {
	// Right only when the reply holds (nearly) the whole question.
	strict := model(t, map[string]float64{"bias": -8, "coverage": 10})
	const whole, part = "how much does Plus cost a month", "how much does Plus cost for a dog"
	tests := []struct {
		name     string
		question string
		similar  func([]string) []float64
		min      float64
		fallback bool
	}{
		{"whole question held", whole, unrelated, 0, false},
		{"part of the question held", part, unrelated, 0, true},
		{"retrieval the model does not know", part, nil, 0, false},
		{"no minimum", part, unrelated, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var heard []extractive.Signals
			a := extractive.New(extractive.Options{Answerability: strict, MinAnswerability: tt.min,
				OnSignals: func(s extractive.Signals) { heard = append(heard, s) }})
			q := conversation.Query{Question: tt.question, Snippets: kb, Confidence: 0.8, Similarities: tt.similar}
			ans, err := a.Answer(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Fallback != tt.fallback {
				t.Errorf("fallback = %v (reply %q), want %v", ans.Fallback, ans.Text, tt.fallback)
			}
			if tt.similar == nil {
				if len(heard) != 0 {
					t.Errorf("OnSignals heard %+v for retrieval the model does not know", heard)
				}
				return
			}
			if len(heard) != 1 {
				t.Fatalf("OnSignals heard %d replies, want 1", len(heard))
			}
			s := heard[0]
			if s.Confidence != 0.8 || s.Best <= 0 || s.Total <= 0 || !s.AsksFigure || !s.HasNumbers {
				t.Errorf("signals %+v: want the query's confidence, a best score and a total, a figure asked and given", s)
			}
			if full := tt.question == whole; full != (s.Coverage > 0.9) || full != (s.MissingMax == 0) {
				t.Errorf("signals %+v for %q: want coverage near 1 and nothing missing only for the whole question", s, tt.question)
			}
		})
	}
}

// TestLearnAnswerability: learned from replies that were right exactly
// when they covered most of the question, the model rates such replies
// likely right and the others not; learning is deterministic, and the
// weights survive writing and reading back.
func TestLearnAnswerability(t *testing.T) {
	var outcomes []extractive.Outcome
	for i := range 200 {
		cov := float64(i%20) / 19
		s := extractive.Signals{Confidence: 0.6, Coverage: cov, Best: 5, Total: 6, Terms: 3}
		outcomes = append(outcomes, extractive.Outcome{Signals: s, Right: cov > 0.5})
	}
	w := extractive.LearnAnswerability(outcomes)
	low := extractive.Signals{Confidence: 0.6, Coverage: 0.1, Best: 5, Total: 6, Terms: 3}
	high := low
	high.Coverage = 0.9
	if p, q := w.P(low), w.P(high); p >= 0.5 || q <= 0.5 {
		t.Errorf("P(coverage 0.1) = %.2f, P(coverage 0.9) = %.2f; want below and above 0.5", p, q)
	}
	if again := extractive.LearnAnswerability(outcomes); again != w {
		t.Errorf("learning twice gave %v and %v", w, again)
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	back, err := extractive.ReadAnswerability(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		if d := back[i] - w[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("weight %d read back as %v, written %v", i, back[i], w[i])
		}
	}
}

// TestReadAnswerabilityErrors: a damaged model file is refused with the
// line at fault.
func TestReadAnswerabilityErrors(t *testing.T) {
	var zero extractive.Answerability
	var b bytes.Buffer
	if _, err := zero.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	lines := strings.Split(strings.TrimSpace(good), "\n")
	tests := map[string]string{
		"a weight missing":   strings.Join(lines[:len(lines)-1], "\n"),
		"features swapped":   strings.Join(append([]string{lines[0], lines[2], lines[1]}, lines[3:]...), "\n"),
		"not a number":       strings.Replace(good, "bias 0.0000", "bias zero", 1),
		"a feature too many": good + "extra 1\n",
		"no weight":          strings.Replace(good, "bias 0.0000", "bias", 1),
	}
	for name, text := range tests {
		if _, err := extractive.ReadAnswerability(strings.NewReader(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := extractive.ReadAnswerability(strings.NewReader(good)); err != nil {
		t.Errorf("the file WriteTo writes: %v", err)
	}
}

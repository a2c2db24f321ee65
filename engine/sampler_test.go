package engine

import (
	"math"
	"testing"
)

func TestSamplerFilters(t *testing.T) {
	logits := []float32{1, 3, 2, 0, 2.5}
	cands := func() []candidate {
		c := make([]candidate, len(logits))
		for i, l := range logits {
			c[i] = candidate{i, l}
		}
		return c
	}
	ids := func(c []candidate) []int {
		var out []int
		for _, x := range c {
			out = append(out, x.id)
		}
		return out
	}
	if got, want := ids(topK(cands(), 3)), []int{1, 4, 2}; !equalInts(got, want) {
		t.Errorf("topK(3) = %v, want %v", got, want)
	}
	c := cands()
	softmaxCandidates(c)
	// probabilities: e^l / Σ; 1: 0.464, 4: 0.281, 2: 0.171, 0: 0.063, 3: 0.023
	if got, want := ids(topP(append([]candidate(nil), c...), 0.7)), []int{1, 4}; !equalInts(got, want) {
		t.Errorf("topP(0.7) = %v, want %v", got, want)
	}
	if got, want := ids(minP(append([]candidate(nil), c...), 0.3)), []int{1, 2, 4}; !equalInts(got, want) {
		t.Errorf("minP(0.3) = %v, want %v", got, want)
	}
	kept := minP(append([]candidate(nil), c...), 0.3)
	var sum float64
	for _, x := range kept {
		sum += float64(x.p)
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Errorf("minP left probabilities summing to %v, want 1", sum)
	}
	if got := draw([]candidate{{7, 0.5}, {9, 0.5}}, 0.75); got != 9 {
		t.Errorf("draw(0.75) = %d, want 9", got)
	}
}

func TestRepetitionPenalty(t *testing.T) {
	logits := []float32{2, -2, 1, 0.5}
	seen := make([]bool, 4)
	penalize(logits, []int{0, 1, 0, 0}, 2, seen) // token 0 three times: penalized once
	want := []float32{1, -4, 1, 0.5}
	for i := range want {
		if logits[i] != want[i] {
			t.Fatalf("penalize = %v, want %v", logits, want)
		}
	}
}

func TestStopper(t *testing.T) {
	tests := []struct {
		name    string
		stops   []string
		pieces  []string
		want    []string // emitted per piece
		stopped int      // index of the piece that stops, -1 for none
		rest    string   // flushed at the end
	}{
		{"no stops", nil, []string{"a", "b"}, []string{"a", "b"}, -1, ""},
		{"spanning", []string{"END"}, []string{"xE", "N", "D!"}, []string{"x", "", ""}, 2, ""},
		{"false start", []string{"END"}, []string{"xE", "Nx"}, []string{"x", "ENx"}, -1, ""},
		{"held at end", []string{"END"}, []string{"abEN"}, []string{"ab"}, -1, "EN"},
		{"earliest wins", []string{"cd", "b"}, []string{"abcd"}, []string{"a"}, 0, ""},
		{"multibyte", []string{"你好"}, []string{"x你", "好y"}, []string{"x", ""}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stopper{stops: tt.stops}
			stoppedAt := -1
			for i, p := range tt.pieces {
				got, stopped := s.add(p)
				if got != tt.want[i] {
					t.Errorf("add(%q) = %q, want %q", p, got, tt.want[i])
				}
				if stopped {
					stoppedAt = i
					break
				}
			}
			if stoppedAt != tt.stopped {
				t.Errorf("stopped at piece %d, want %d", stoppedAt, tt.stopped)
			}
			if stoppedAt < 0 {
				if got := s.flush(); got != tt.rest {
					t.Errorf("flush() = %q, want %q", got, tt.rest)
				}
			}
		})
	}
}

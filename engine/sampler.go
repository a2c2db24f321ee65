package engine

import (
	"math"
	"math/rand/v2"
	"slices"
)

// A sampler picks the next token from logits. It owns scratch space sized
// to the vocabulary, so sampling does not allocate. Not safe for
// concurrent use.
//
// The order of operations is: repetition penalty, then (unless greedy)
// temperature, top-k, softmax, top-p, min-p, and a draw from what is left.
type sampler struct {
	cfg   Sampling
	rng   *rand.Rand
	cands []candidate // scratch
	seen  []bool      // scratch: tokens already penalized this step
}

type candidate struct {
	id int
	p  float32 // logit, then probability
}

func newSampler(cfg Sampling, vocab int) *sampler {
	return &sampler{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		cands: make([]candidate, vocab),
		seen:  make([]bool, vocab),
	}
}

// sample returns the next token. logits may be modified. history is the
// sequence so far (prompt and generated), for the repetition penalty.
func (s *sampler) sample(logits []float32, history []int) int {
	if p := float32(s.cfg.RepetitionPenalty); p > 0 && p != 1 {
		penalize(logits, history, p, s.seen)
	}
	if s.cfg.Temperature <= 0 {
		return Argmax(logits)
	}
	c := s.cands[:len(logits)]
	invT := float32(1 / s.cfg.Temperature)
	for i, l := range logits {
		c[i] = candidate{i, l * invT}
	}
	if k := s.cfg.TopK; k > 0 && k < len(c) {
		c = topK(c, k)
	}
	softmaxCandidates(c)
	if p := s.cfg.TopP; p > 0 && p < 1 {
		c = topP(c, float32(p))
	}
	if mp := s.cfg.MinP; mp > 0 {
		c = minP(c, float32(mp))
	}
	return draw(c, s.rng.Float32())
}

// penalize divides positive logits of tokens in history by p and multiplies
// negative ones by p (the CTRL paper's penalty, as transformers applies it),
// once per distinct token.
func penalize(logits []float32, history []int, p float32, seen []bool) {
	for _, id := range history {
		if id < 0 || id >= len(logits) || seen[id] {
			continue
		}
		seen[id] = true
		if logits[id] > 0 {
			logits[id] /= p
		} else {
			logits[id] *= p
		}
	}
	for _, id := range history {
		if id >= 0 && id < len(seen) {
			seen[id] = false
		}
	}
}

// Argmax returns the index of the largest value of v (the first, on ties):
// the greedy choice among logits.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func byProbDesc(a, b candidate) int {
	switch {
	case a.p > b.p:
		return -1
	case a.p < b.p:
		return 1
	}
	return a.id - b.id
}

// topK keeps the k candidates of highest logit, sorted best first.
func topK(c []candidate, k int) []candidate {
	// Quickselect the k best to the front, then sort only those.
	lo, hi := 0, len(c)-1
	for lo < hi {
		pivot := c[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for byProbDesc(c[i], pivot) < 0 {
				i++
			}
			for byProbDesc(c[j], pivot) > 0 {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		if k-1 <= j {
			hi = j
		} else if k-1 >= i {
			lo = i
		} else {
			break
		}
	}
	c = c[:k]
	slices.SortFunc(c, byProbDesc)
	return c
}

// softmaxCandidates turns logits into probabilities: p_i = e^(l_i − max) / Σ.
func softmaxCandidates(c []candidate) {
	m := float32(math.Inf(-1))
	for _, x := range c {
		m = max(m, x.p)
	}
	var sum float32
	for i := range c {
		c[i].p = float32(math.Exp(float64(c[i].p - m)))
		sum += c[i].p
	}
	for i := range c {
		c[i].p /= sum
	}
}

// topP keeps the smallest set of most probable candidates whose
// probabilities add up to at least p, renormalized, sorted best first.
func topP(c []candidate, p float32) []candidate {
	if !slices.IsSortedFunc(c, byProbDesc) {
		slices.SortFunc(c, byProbDesc)
	}
	var cum float32
	for i := range c {
		cum += c[i].p
		if cum >= p {
			c = c[:i+1]
			break
		}
	}
	renormalize(c)
	return c
}

// minP keeps the candidates whose probability is at least p times the
// largest, renormalized.
func minP(c []candidate, p float32) []candidate {
	var best float32
	for _, x := range c {
		best = max(best, x.p)
	}
	n := 0
	for _, x := range c {
		if x.p >= p*best {
			c[n] = x
			n++
		}
	}
	c = c[:n]
	renormalize(c)
	return c
}

func renormalize(c []candidate) {
	var sum float32
	for _, x := range c {
		sum += x.p
	}
	for i := range c {
		c[i].p /= sum
	}
}

// draw returns the candidate where the cumulative probability passes r in [0, 1).
func draw(c []candidate, r float32) int {
	var cum float32
	for _, x := range c {
		cum += x.p
		if r < cum {
			return x.id
		}
	}
	return c[len(c)-1].id // rounding left r just above the total
}

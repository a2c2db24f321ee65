package engine

import (
	"context"
	"fmt"
	"math"
)

// A Scorer rates given continuations of a prompt; *Model is one.
type Scorer interface {
	Score(ctx context.Context, req Request, continuations []string) ([]Score, error)
}

var _ Scorer = (*Model)(nil)

// A Score is how likely a model finds a continuation of a prompt.
type Score struct {
	// LogProb is the natural log of the probability of the continuation's
	// tokens followed by the end of the turn.
	LogProb float64
	// Tokens counts the continuation's tokens, the end of the turn
	// included.
	Tokens int
}

// Mean is the log-probability per token, which compares continuations of
// different lengths.
func (s Score) Mean() float64 {
	if s.Tokens == 0 {
		return math.Inf(-1)
	}
	return s.LogProb / float64(s.Tokens)
}

// Score rates continuations of req's prompt (req.IDs, req.Messages or
// req.Prompt, as for Generate; MaxTokens, Stop and Sampling are ignored):
// for each, the log-probability that the model writes exactly that text
// and then ends its turn (any end-of-generation token). This is decoding
// constrained to a set of allowed replies: the caller offers the replies
// it can stand behind, such as sentences of retrieved articles, and the
// model chooses among them. The prompt is run once (its start may come
// from the prompt-prefix cache, as in Generate); each continuation reuses
// its KV cache. Continuation text is encoded as plain text.
func (m *Model) Score(ctx context.Context, req Request, continuations []string) ([]Score, error) {
	m.running.RLock()
	defer m.running.RUnlock()
	if m.closed.Load() {
		return nil, ErrClosed
	}
	prompt, err := m.PromptIDs(req)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	conts := make([][]int, len(continuations))
	longest := 0
	for i, c := range continuations {
		conts[i] = m.Tokenizer.Encode(c)
		longest = max(longest, len(conts[i]))
	}
	if n := len(prompt) + longest; n > m.Config.Context {
		return nil, fmt.Errorf("score: prompt and continuation of %d tokens: %w (%d)", n, ErrContext, m.Config.Context)
	}
	s := m.getState(len(prompt) + longest)
	defer m.putState(s)
	kv := m.cacheBytes(s.capacity)
	if err := m.reserveKV(ctx, kv); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer m.releaseKV(kv)

	cached := m.prefix.restore(prompt, s)
	logits, err := s.prefill(ctx, prompt[cached:])
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	m.prefix.save(prompt, s)
	first := logSoftmax(nil, logits)
	eog := m.Tokenizer.EOG()
	end := func(lp []float32) float64 {
		var p float64
		for _, id := range eog {
			p += math.Exp(float64(lp[id]))
		}
		return math.Log(p)
	}
	out := make([]Score, len(conts))
	var lp []float32
	for i, ids := range conts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		sc := Score{Tokens: len(ids) + 1}
		if len(ids) == 0 {
			sc.LogProb = end(first)
			out[i] = sc
			continue
		}
		sc.LogProb = float64(first[ids[0]])
		s.pos = len(prompt)
		_, err := s.forwardEach(ids, func(j int, logits []float32) {
			lp = logSoftmax(lp, logits)
			if j+1 < len(ids) {
				sc.LogProb += float64(lp[ids[j+1]])
			} else {
				sc.LogProb += end(lp)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		out[i] = sc
	}
	return out, nil
}

// logSoftmax writes the log-probabilities of logits into dst (grown as
// needed) and returns it.
func logSoftmax(dst, logits []float32) []float32 {
	dst = append(dst[:0], logits...)
	hi := float32(math.Inf(-1))
	for _, v := range dst {
		hi = max(hi, v)
	}
	var sum float64
	for _, v := range dst {
		sum += math.Exp(float64(v - hi))
	}
	shift := hi + float32(math.Log(sum))
	for i := range dst {
		dst[i] -= shift
	}
	return dst
}

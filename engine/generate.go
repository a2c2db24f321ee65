package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxTokens is the generation length when Request.MaxTokens is zero.
const DefaultMaxTokens = 256

var _ Generator = (*Model)(nil)

// PromptIDs returns the token ids req asks the model to continue: req.IDs
// as given; or req.Messages rendered with the model's chat template; or
// req.Prompt encoded as plain text, after BOS when the tokenizer asks for it.
func (m *Model) PromptIDs(req Request) ([]int, error) {
	switch {
	case len(req.IDs) > 0:
		for _, id := range req.IDs {
			if id < 0 || id >= m.Config.Vocab {
				return nil, fmt.Errorf("prompt token id %d outside the vocabulary of %d", id, m.Config.Vocab)
			}
		}
		return req.IDs, nil
	case len(req.Messages) > 0:
		return m.Template.Encode(m.Tokenizer, req.Messages), nil
	}
	var ids []int
	if m.Tokenizer.AddBOS() {
		ids = append(ids, m.Tokenizer.BOS())
	}
	ids = append(ids, m.Tokenizer.Encode(req.Prompt)...)
	if len(ids) == 0 {
		return nil, errors.New("empty prompt")
	}
	return ids, nil
}

// Generate implements Generator: it prefills the prompt, then samples one
// token at a time until end of generation, MaxTokens, a stop string, an
// error from onToken, or the end of ctx. Pieces and Text are valid UTF-8:
// bytes that cannot form a character become U+FFFD. The Result holds what was
// generated up to that point even when an error is returned. onToken may
// be nil.
func (m *Model) Generate(ctx context.Context, req Request, onToken func(piece string) error) (res Result, err error) {
	m.running.RLock()
	defer m.running.RUnlock()
	if m.closed.Load() {
		return Result{}, ErrClosed
	}
	prompt, err := m.PromptIDs(req)
	if err != nil {
		return Result{}, fmt.Errorf("generate: %w", err)
	}
	res = Result{PromptTokens: len(prompt)}
	if len(prompt) >= m.Config.Context {
		return res, fmt.Errorf("generate: prompt of %d tokens: %w (%d)", len(prompt), ErrContext, m.Config.Context)
	}
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	maxTokens = min(maxTokens, m.Config.Context-len(prompt))

	s := m.getState(len(prompt) + maxTokens)
	defer m.putState(s)
	kv := m.cacheBytes(s.capacity)
	if err := m.reserveKV(ctx, kv); err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	defer m.releaseKV(kv)

	start := time.Now()
	res.CachedPromptTokens = m.prefix.restore(prompt, s)
	logits, err := s.prefill(ctx, prompt[res.CachedPromptTokens:])
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	m.prefix.save(prompt, s)
	res.PrefillTime = time.Since(start)

	// Decode.
	start = time.Now()
	defer func() { res.DecodeTime = time.Since(start) }() // on every return from here
	tok := m.Tokenizer
	dec := tok.NewDecoder()
	samp := newSampler(req.Sampling, m.Config.Vocab)
	stop := newStopper(req.Stop)
	history := make([]int, len(prompt), len(prompt)+maxTokens)
	copy(history, prompt)
	var text []byte
	defer m.Decoding()()
	emit := func(piece string) error {
		if piece == "" {
			return nil
		}
		text = append(text, piece...)
		if onToken != nil {
			if err := onToken(piece); err != nil {
				return fmt.Errorf("generate: token callback: %w", err)
			}
		}
		return nil
	}
	finish := func(reason string) (Result, error) {
		res.FinishReason = reason
		err := emit(stop.flush() + validUTF8(dec.Flush()))
		res.Text = string(text)
		return res, err
	}
	for {
		if err := ctx.Err(); err != nil {
			res.Text = string(text)
			return res, fmt.Errorf("generate: %w", err)
		}
		next := samp.sample(logits, history)
		if tok.IsEOG(next) {
			return finish("stop")
		}
		res.IDs = append(res.IDs, next)
		res.GeneratedTokens++
		history = append(history, next)
		piece := ""
		if !tok.IsControl(next) {
			// Each byte that can never form a character (a model may emit
			// any byte token) becomes U+FFFD, so that pieces, Text and stop
			// matching all see valid UTF-8.
			piece = validUTF8(dec.Next(next))
		}
		out, stopped := stop.add(piece)
		if err := emit(out); err != nil {
			res.Text = string(text)
			return res, err
		}
		if stopped {
			res.FinishReason = "stop"
			res.Text = string(text)
			return res, nil
		}
		if res.GeneratedTokens >= maxTokens {
			return finish("length")
		}
		if logits, err = s.Step(ctx, next); err != nil {
			res.Text = string(text)
			return res, fmt.Errorf("generate: %w", err)
		}
	}
}

// prefill runs the prompt through s a batch at a time, so that
// cancellation is noticed between batches, and returns the logits after it.
func (s *State) prefill(ctx context.Context, prompt []int) (logits []float32, err error) {
	for i := 0; i < len(prompt); i += maxBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if logits, err = s.Forward(prompt[i:min(i+maxBatch, len(prompt))]); err != nil {
			return nil, err
		}
	}
	return logits, nil
}

// validUTF8 replaces each byte of s that is not part of a valid UTF-8
// sequence with U+FFFD, one per byte, so that the result does not depend on
// how s was split into pieces.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // range yields RuneError (U+FFFD) for each bad byte
	}
	return b.String()
}

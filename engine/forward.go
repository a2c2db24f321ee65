package engine

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/switchboard/switchboard/engine/tensor"
)

// maxBatch is the number of prompt tokens a forward pass processes at once
// during prefill: each weight row is read from memory once per batch, so
// a larger batch reads less (128 tokens of GPT-2 small's width keep the
// activations a product streams past each weight row, 384 KB, in L2).
const maxBatch = 128

// batchRows returns the number of token rows a State's activation buffers
// hold: a whole prefill batch, or the whole cache if smaller, and at least
// the sequences of a batched decode step (maxStep), which run on one
// State's buffers.
func batchRows(capacity int) int { return max(maxStep, min(maxBatch, capacity)) }

// A State is one sequence being run through a model: its KV cache, its
// position and its activation buffers, all allocated once by NewState.
// A State is not safe for concurrent use; different States of one Model
// may run concurrently.
type State struct {
	m        *Model
	pos      int // positions already in the cache
	capacity int // positions the cache holds

	// Activations for a batch of up to batchRows(capacity) tokens, one
	// row per token.
	x      []float32 // (batch, Dim) the residual stream
	xb     []float32 // (batch, Dim) normalized input of a sublayer
	xb2    []float32 // (batch, Dim) output of a sublayer
	q      []float32 // (batch, Heads*HeadDim)
	k      []float32 // (batch, KVHeads*HeadDim)
	v      []float32 // (batch, KVHeads*HeadDim)
	att    []float32 // (batch, Heads*HeadDim) attention output
	hb     []float32 // (batch, FF) gate, then silu(gate)⊙up
	hb2    []float32 // (batch, FF) up
	cos    []float32 // (batch, HeadDim/2) RoPE angles of each token's position
	sin    []float32 // (batch, HeadDim/2)
	logits []float32 // (Vocab)
	embed  []byte    // one stored row of the token embeddings (Model.embedRow)

	// The KV cache, laid out (Layers, KVHeads, capacity, HeadDim): one
	// head's keys over all positions are contiguous, so attention streams
	// through them. The values are IEEE half-precision bits (as llama.cpp
	// keeps them by default: half the memory, and half the bytes each
	// decode step streams), or float32 values two words each when the
	// Model's kvF32 is set (see kvHalf and kvFloat).
	keys, values []uint16

	// seqs, during a batched decode step run on this State's buffers,
	// are the sequences the tokens belong to (see forward).
	seqs []*State
	// stepped is signalled by the Model's batcher when a Step is done.
	stepped chan error

	mm     matmulTask
	xq     tensor.Q8   // the input of a product with quantized weights, quantized
	xqType tensor.Type // weights xq was quantized for; F32: none
	xqRows int         // vectors xq holds
	attn   attentionTask
}

// NewState returns a State whose KV cache holds capacity positions
// (at most the model's context length; zero or less means all of it).
func (m *Model) NewState(capacity int) *State {
	c := m.Config
	if capacity <= 0 || capacity > c.Context {
		capacity = c.Context
	}
	s := &State{m: m, capacity: capacity}
	rows := batchRows(capacity)
	s.x = make([]float32, rows*c.Dim)
	s.xb = make([]float32, rows*c.Dim)
	s.xb2 = make([]float32, rows*c.Dim)
	s.q = make([]float32, rows*c.QDim())
	s.k = make([]float32, rows*c.KVDim())
	s.v = make([]float32, rows*c.KVDim())
	s.att = make([]float32, rows*c.QDim())
	s.hb = make([]float32, rows*c.FF)
	s.hb2 = make([]float32, rows*c.FF)
	s.cos = make([]float32, rows*c.HeadDim/2)
	s.sin = make([]float32, rows*c.HeadDim/2)
	s.logits = make([]float32, c.Vocab)
	if m.embed != nil {
		s.embed = make([]byte, len(m.Weights.TokenEmbed.Data)/c.Vocab)
	}
	s.keys = make([]uint16, m.kvWords()*c.Layers*c.KVHeads*capacity*c.HeadDim)
	s.values = make([]uint16, m.kvWords()*c.Layers*c.KVHeads*capacity*c.HeadDim)
	s.attn.s = s
	return s
}

// Pos returns the number of tokens already processed.
func (s *State) Pos() int { return s.pos }

// Capacity returns the number of positions the KV cache holds.
func (s *State) Capacity() int { return s.capacity }

// Reset empties the KV cache for a new sequence.
func (s *State) Reset() { s.pos = 0 }

// Forward appends tokens to the sequence and returns the logits that
// predict the token after the last one. The slice is owned by s and
// overwritten by the next call.
func (s *State) Forward(tokens []int) ([]float32, error) {
	return s.forwardEach(tokens, nil)
}

// forwardEach is Forward; when each is non-nil it also computes the logits
// after every token and passes them to each(i, logits).
func (s *State) forwardEach(tokens []int, each func(i int, logits []float32)) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("forward: no tokens")
	}
	if s.pos+len(tokens) > s.capacity {
		return nil, fmt.Errorf("forward %d tokens at position %d: %w (%d)", len(tokens), s.pos, ErrContext, s.capacity)
	}
	for _, t := range tokens {
		if t < 0 || t >= s.m.Config.Vocab {
			return nil, fmt.Errorf("forward: token id %d outside the vocabulary of %d", t, s.m.Config.Vocab)
		}
	}
	for i := 0; i < len(tokens); i += maxBatch {
		batch := tokens[i:min(i+maxBatch, len(tokens))]
		s.forward(batch, nil)
		if each != nil {
			for b := range batch {
				each(i+b, s.logitsOf(b))
			}
		}
	}
	return s.logitsOf(len(tokens) - 1 - (len(tokens)-1)/maxBatch*maxBatch), nil
}

// forward runs one batch of tokens through every layer, leaving the final
// residual stream of each token in s.x. With seqs nil the tokens belong to
// s and take positions s.pos, s.pos+1, ...; otherwise token b is the next
// token of seqs[b], at position seqs[b].pos and with seqs[b]'s KV cache,
// and s only lends its activation buffers (a batched decode step).
func (s *State) forward(tokens []int, seqs []*State) {
	c, w := &s.m.Config, s.m.Weights
	B, dim, qd, kvd, hd := len(tokens), c.Dim, c.QDim(), c.KVDim(), c.HeadDim
	half := hd / 2
	s.seqs = seqs

	// Token embeddings, plus learned position embeddings (gpt2).
	for b, tok := range tokens {
		tensor.Dequantize(w.TokenEmbed.Type, s.x[b*dim:(b+1)*dim], s.m.embedRow(tok, s.embed))
		if c.LearnedPos {
			_, pos := s.seq(b)
			tensor.Dequantize(w.PosEmbed.Type, s.xb[:dim], w.PosEmbed.Row(pos))
			axpy(s.x[b*dim:(b+1)*dim], 1, s.xb[:dim])
		}
	}
	// RoPE angles for each token's position.
	for b := 0; b < B; b++ {
		_, pos := s.seq(b)
		p := float64(pos)
		for i, f := range s.m.invFreq {
			sin, cos := math.Sincos(p * f)
			s.cos[b*half+i], s.sin[b*half+i] = float32(cos), float32(sin)
		}
	}

	for l := range w.Layers {
		ly := &w.Layers[l]

		// Attention: x += Wo · attention(rope(Wq·xb), rope(Wk·xb), Wv·xb),
		// xb = norm(x).
		for b := 0; b < B; b++ {
			s.norm(s.xb[b*dim:(b+1)*dim], s.x[b*dim:(b+1)*dim], ly.AttnNorm, ly.AttnNormBias)
		}
		s.matmul(s.q, s.xb, ly.WQ, B)
		s.matmulSame(s.k, s.xb, ly.WK, B)
		s.matmulSame(s.v, s.xb, ly.WV, B)
		if ly.BQ != nil {
			addBias(s.q[:B*qd], ly.BQ)
			addBias(s.k[:B*kvd], ly.BK)
			addBias(s.v[:B*kvd], ly.BV)
		}
		for b := 0; b < B && !c.LearnedPos; b++ {
			cos, sin := s.cos[b*half:(b+1)*half], s.sin[b*half:(b+1)*half]
			rope(s.q[b*qd:(b+1)*qd], cos, sin, hd, c.RopeNeox)
			rope(s.k[b*kvd:(b+1)*kvd], cos, sin, hd, c.RopeNeox)
		}
		// Append this batch's keys and values to the cache.
		for b := 0; b < B; b++ {
			cs, pos := s.seq(b)
			for h := 0; h < c.KVHeads; h++ {
				at := cs.cacheIndex(l, h, pos)
				s.m.storeKV(cs.keys, at, s.k[b*kvd+h*hd:b*kvd+(h+1)*hd])
				s.m.storeKV(cs.values, at, s.v[b*kvd+h*hd:b*kvd+(h+1)*hd])
			}
		}
		s.attn.layer, s.attn.batch, s.attn.prefill = l, B, seqs == nil && B > 1
		if s.attn.prefill {
			s.m.pool.run(&s.attn, c.Heads, 1)
		} else {
			s.m.pool.run(&s.attn, B*c.Heads, 1)
		}
		s.matmul(s.xb2, s.att, ly.WO, B)
		if ly.BO != nil {
			addBias(s.xb2[:B*dim], ly.BO)
		}
		axpy(s.x[:B*dim], 1, s.xb2[:B*dim])

		// Feed-forward: x += Wdown · (silu(Wgate·xb) ⊙ Wup·xb), xb = norm(x);
		// for gpt2, x += Wdown · gelu(Wup·xb + b) + b.
		for b := 0; b < B; b++ {
			s.norm(s.xb[b*dim:(b+1)*dim], s.x[b*dim:(b+1)*dim], ly.FFNNorm, ly.FFNNormBias)
		}
		if c.GELU {
			s.matmul(s.hb, s.xb, ly.WUp, B)
			addBias(s.hb[:B*c.FF], ly.BUp)
			gelu(s.hb[:B*c.FF])
		} else {
			s.matmul(s.hb, s.xb, ly.WGate, B)
			s.matmulSame(s.hb2, s.xb, ly.WUp, B)
			swiglu(s.hb[:B*c.FF], s.hb2[:B*c.FF])
		}
		s.matmul(s.xb2, s.hb, ly.WDown, B)
		if ly.BDown != nil {
			addBias(s.xb2[:B*dim], ly.BDown)
		}
		axpy(s.x[:B*dim], 1, s.xb2[:B*dim])
	}
	if seqs == nil {
		s.pos += B
		return
	}
	for _, q := range seqs {
		q.pos++
	}
	s.seqs = nil
}

// seq returns the State whose KV cache token b of the batch in flight
// uses, and the token's position.
func (s *State) seq(b int) (*State, int) {
	if s.seqs == nil {
		return s, s.pos + b
	}
	return s.seqs[b], s.seqs[b].pos
}

// logitsOf computes the logits after token b of the last batch:
// Wout · rmsnorm(x[b]).
func (s *State) logitsOf(b int) []float32 {
	c, w := &s.m.Config, s.m.Weights
	s.norm(s.xb[:c.Dim], s.x[b*c.Dim:(b+1)*c.Dim], w.OutNorm, w.OutNormBias)
	s.matmul(s.logits, s.xb[:c.Dim], w.Output, 1)
	return s.logits
}

// norm normalizes x into out with weight w: RMSNorm, or LayerNorm with
// bias b for gpt2.
func (s *State) norm(out, x, w, b []float32) {
	if s.m.Config.LayerNorm {
		layernorm(out, x, w, b, float32(s.m.Config.NormEps))
		return
	}
	rmsnorm(out, x, w, float32(s.m.Config.NormEps))
}

// matmul computes out[b] = W·x[b] for the first batch vectors of x,
// split across the model's threads.
func (s *State) matmul(out, x []float32, w tensor.Tensor, batch int) {
	s.xqType = tensor.F32 // s.xq no longer known to hold x
	s.matmulSame(out, x, w, batch)
}

// matmulSame is matmul for the x of the previous matmul (or matmulSame)
// of s, unchanged since: x is quantized again only if w takes another
// quantization than the previous weights did (q, k and v, or gate and
// up, share theirs).
func (s *State) matmulSame(out, x []float32, w tensor.Tensor, batch int) {
	s.mm = matmulTask{out: out, x: x, w: w, batch: batch}
	if tensor.QuantizeQ8(w.Type) {
		if !tensor.SameQ8(s.xqType, w.Type) || s.xqRows != batch {
			s.xq.Quantize(w.Type, x[:batch*w.Shape[1]], w.Shape[1])
			s.xqType, s.xqRows = w.Type, batch
		}
		s.mm.q = &s.xq
	}
	// Give each thread at least ~64k multiply-adds.
	minRows := 1 + (1<<16)/(w.Shape[1]*batch)
	s.m.pool.run(&s.mm, w.Shape[0], minRows)
}

// storeKV writes the values x into a KV cache from value offset at.
func (m *Model) storeKV(cache []uint16, at int, x []float32) {
	if m.kvF32 {
		copy(kvFloat(cache, at, len(x)), x)
		return
	}
	tensor.ToFloat16(cache[at:at+len(x)], x)
}

// kvHalf returns the n values of a half-precision KV cache from value
// offset at.
func kvHalf(cache []uint16, at, n int) []uint16 { return cache[at : at+n] }

// kvFloat returns the n values of a float32 KV cache from value offset at.
func kvFloat(cache []uint16, at, n int) []float32 {
	w := cache[2*at : 2*(at+n)]
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(w))), n)
}

// cacheIndex returns the value offset of (layer, kv head, position) in
// the cache.
func (s *State) cacheIndex(layer, head, pos int) int {
	c := &s.m.Config
	return ((layer*c.KVHeads+head)*s.capacity + pos) * c.HeadDim
}

// attentionTask computes, for each (token, head) of a batch, the causal
// attention softmax(q·Kᵀ/√d)·V over the cached positions up to the token's
// own: the scores of all positions in a scratch row, their softmax with
// vector exponentials, then the values summed with those weights, the
// keys and values of one head streamed from the cache in position order.
// A prefill batch (one sequence, several tokens) is split by head instead,
// and the scores of all its tokens come from one matrix product with the
// head's keys (see heads).
type attentionTask struct {
	s       *State
	layer   int
	batch   int
	prefill bool // rows are heads: tokens pos..pos+batch-1 of s
}

func (a *attentionTask) rows(lo, hi int) {
	if a.prefill {
		a.heads(lo, hi)
		return
	}
	s, c := a.s, &a.s.m.Config
	hd, qd := c.HeadDim, c.QDim()
	group := c.Heads / c.KVHeads
	sp := rowScratch.Get().(*[]float32)
	defer rowScratch.Put(sp)
	for r := lo; r < hi; r++ {
		b, h := r/c.Heads, r%c.Heads
		q := s.q[b*qd+h*hd : b*qd+(h+1)*hd]
		scale(q, a.scaleQK())
		cs, pos := s.seq(b)
		base, n := cs.cacheIndex(a.layer, h/group, 0), pos+1
		if cap(*sp) < n {
			*sp = make([]float32, max(n, 256))
		}
		scores, out := (*sp)[:n], s.att[b*qd+h*hd:b*qd+(h+1)*hd]
		if s.m.kvF32 {
			keys, values := kvFloat(cs.keys, base, n*hd), kvFloat(cs.values, base, n*hd)
			tensor.AttnScores(q, keys, values, scores)
			sum := a.expScores(scores)
			tensor.WeightedSum(out, scores, values, hd)
			scale(out, 1/sum)
			continue
		}
		keys, values := kvHalf(cs.keys, base, n*hd), kvHalf(cs.values, base, n*hd)
		sum := tensor.ExpSum(scores, tensor.AttnScoresF16(q, keys, values, scores))
		tensor.WeightedSumF16(out, scores, values, hd)
		scale(out, 1/sum)
	}
}

// heads computes the attention of every token of a prefill batch for the
// heads [lo, hi): the head's cached keys and values (the batch's own
// included) converted to float32 once if half precision, the scores of all the batch's
// queries against the keys in one matrix product, then for each token
// the softmax over its causal prefix and the weighted sum of the values.
func (a *attentionTask) heads(lo, hi int) {
	s, c := a.s, &a.s.m.Config
	hd, qd, B := c.HeadDim, c.QDim(), a.batch
	group := c.Heads / c.KVHeads
	n := s.pos + B // keys in the cache, the batch's included
	sp := rowScratch.Get().(*[]float32)
	defer rowScratch.Put(sp)
	conv := 2 * n * hd // float32 copies of a half-precision head
	if s.m.kvF32 {
		conv = 0
	}
	if need := B*hd + B*n + conv; cap(*sp) < need {
		*sp = make([]float32, need)
	}
	buf := (*sp)[:B*hd+B*n+conv]
	qs, all := buf[:B*hd], buf[B*hd:B*hd+B*n]
	var keys, values []float32
	kvHead := -1
	for h := lo; h < hi; h++ {
		for b := 0; b < B; b++ {
			copy(qs[b*hd:(b+1)*hd], s.q[b*qd+h*hd:b*qd+(h+1)*hd])
		}
		scale(qs, a.scaleQK())
		if h/group != kvHead {
			kvHead = h / group
			base := s.cacheIndex(a.layer, kvHead, 0)
			if s.m.kvF32 {
				keys, values = kvFloat(s.keys, base, n*hd), kvFloat(s.values, base, n*hd)
			} else {
				keys, values = buf[B*hd+B*n:B*hd+B*n+n*hd], buf[B*hd+B*n+n*hd:]
				tensor.FromFloat16(keys, kvHalf(s.keys, base, n*hd))
				tensor.FromFloat16(values, kvHalf(s.values, base, n*hd))
			}
		}
		tensor.DotF32Rows(keys, n, qs, all, n)
		for b := 0; b < B; b++ {
			k := s.pos + b + 1 // the positions token b sees
			scores, out := all[b*n:b*n+k], s.att[b*qd+h*hd:b*qd+(h+1)*hd]
			sum := a.expScores(scores)
			tensor.WeightedSum(out, scores, values[:k*hd], hd)
			scale(out, 1/sum)
		}
	}
}

// scaleQK returns 1/√d, by which queries are scaled before their scores.
func (a *attentionTask) scaleQK() float32 {
	return float32(1 / math.Sqrt(float64(a.s.m.Config.HeadDim)))
}

// expScores turns the scores q·k/√d of one query against len(scores)
// positions (q scaled by scaleQK) into the numerators of their softmax,
// in place, and returns their sum: the weights of the values are
// scores[i]/sum.
func (a *attentionTask) expScores(scores []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range scores {
		m = max(m, v)
	}
	return tensor.ExpSum(scores, m)
}

package train

import (
	"math"
)

// A pass holds everything one forward and backward pass over a batch of
// B sequences of T tokens needs: the activations kept for the backward
// pass, the gradient buffers and the scratch of the kernels. It is
// allocated once (newPass) and reused for every step, so that steps do
// not allocate.
type pass struct {
	m    *Model
	p    *pool
	B, T int

	// Activations, per layer; N = B·T rows each.
	res              [][]float32 // Layers+1 × (N, Dim): the residual stream entering each layer, then the last
	xn1, xn2         [][]float32 // (N, Dim) normalized inputs of attention and feed-forward
	rstd1, rstd2     [][]float32 // (N) 1/rms of those
	q, k, v          [][]float32 // (N, QDim), (N, KVDim) ×2; q and k after RoPE
	att              [][]float32 // (B, Heads, T, T) attention probabilities (lower triangle)
	ao               [][]float32 // (N, QDim) attention output
	mid              [][]float32 // (N, Dim) residual after attention
	gate, up, hidden [][]float32 // (N, FF) gate and up projections, silu(gate)⊙up
	xnf, rstdf       []float32   // final norm output (N, Dim) and 1/rms (N)

	cos, sin []float32 // (T, HeadDim/2) RoPE angles of each position
	pos      []int32   // (N) each row's position in its sequence (RoPE)
	// seg is each row's segment: rows of segment 0 attend to every earlier
	// row of their sequence, rows of segment k > 0 only to those of
	// segments 0 and k (the replies of a choice, packed after one prompt).
	seg []int32

	// The loss: rows with a non-zero weight or predicting a reply of a
	// choice are gathered (active) and only they go through the output
	// projection.
	tokens, targets []int32
	weights         []float32
	reply           []int32   // (N) 1 + the index in replies of the reply whose token the row predicts, or 0
	replies         []reply   // of the batch's choices, choice by choice
	choices         []choice  // of the batch
	rankWeight      float32   // of the ranking loss against the language-modelling loss
	rankScale       float32   // sharpness of the ranking softmax (see rank)
	active          []int32   // rows with weight > 0 or a reply
	xa              []float32 // (A, Dim) final-norm rows of active positions
	logits          []float32 // (A, Vocab), then their gradient
	logp            []float32 // (A) log-probability of each active row's target
	rowGrad         []float32 // (A) d(loss)/d(log-probability of the row's target)

	// Gradients of activations, reused across layers.
	dres, dmid, dxn []float32 // (N, Dim)
	dq, dao         []float32 // (N, QDim)
	dk, dv          []float32 // (N, KVDim)
	dgate, dup, dh  []float32 // (N, FF)
	dxa             []float32 // (A, Dim)
	dscore          []float32 // (B·KVHeads, T) attention scratch

	mm   matmulJob
	attF attnForwardJob
	attB attnBackwardJob
	ce   crossEntropyJob
	nrm  normJob
}

func newPass(m *Model, p *pool, B, T int) *pass {
	c := m.Config
	N, d, q, kv, ff, V := B*T, c.Dim, c.qdim(), c.kvdim(), c.FF, c.Vocab
	s := &pass{m: m, p: p, B: B, T: T}
	mk := func(n int) []float32 { return make([]float32, n) }
	layers := func(n int) [][]float32 {
		v := make([][]float32, c.Layers)
		for i := range v {
			v[i] = mk(n)
		}
		return v
	}
	s.res = make([][]float32, c.Layers+1)
	for i := range s.res {
		s.res[i] = mk(N * d)
	}
	s.xn1, s.xn2 = layers(N*d), layers(N*d)
	s.rstd1, s.rstd2 = layers(N), layers(N)
	s.q, s.k, s.v = layers(N*q), layers(N*kv), layers(N*kv)
	s.att = layers(B * c.Heads * T * T)
	s.ao, s.mid = layers(N*q), layers(N*d)
	s.gate, s.up, s.hidden = layers(N*ff), layers(N*ff), layers(N*ff)
	s.xnf, s.rstdf = mk(N*d), mk(N)

	half := c.HeadDim() / 2
	P := max(T, c.Context) // positions
	s.cos, s.sin = mk(P*half), mk(P*half)
	s.pos, s.seg, s.reply = make([]int32, N), make([]int32, N), make([]int32, N)
	for r := range s.pos {
		s.pos[r] = int32(r % T)
	}
	for t := 0; t < P; t++ {
		for i := 0; i < half; i++ {
			// As engine computes them: float32 inverse frequencies,
			// angles in float64.
			f := float64(float32(1 / math.Pow(c.RopeTheta, float64(2*i)/float64(c.HeadDim()))))
			sn, cs := math.Sincos(float64(t) * f)
			s.cos[t*half+i], s.sin[t*half+i] = float32(cs), float32(sn)
		}
	}

	s.tokens, s.targets, s.weights = make([]int32, N), make([]int32, N), mk(N)
	s.active = make([]int32, 0, N)
	s.xa, s.logits, s.logp, s.rowGrad = mk(N*d), mk(N*V), mk(N), mk(N)
	s.rankWeight, s.rankScale = 1, 1
	s.dres, s.dmid, s.dxn = mk(N*d), mk(N*d), mk(N*d)
	s.dq, s.dao, s.dk, s.dv = mk(N*q), mk(N*q), mk(N*kv), mk(N*kv)
	s.dgate, s.dup, s.dh = mk(N*ff), mk(N*ff), mk(N*ff)
	s.dxa = mk(N * d)
	s.dscore = mk(B * c.KVHeads * T)
	return s
}

// forward runs the model over s.tokens and returns the loss (see loss),
// leaving its gradient with respect to the logits in s.logits. With
// logitsOnly, every row is active and s.logits keeps the logits (for
// tests); it returns 0.
func (s *pass) forward(logitsOnly bool) float32 {
	m, c := s.m, s.m.Config
	N, d, q, kv := s.B*s.T, c.Dim, c.qdim(), c.kvdim()
	E := m.embed()
	x := s.res[0]
	for r, tok := range s.tokens[:N] {
		copy(x[r*d:(r+1)*d], E[int(tok)*d:(int(tok)+1)*d])
	}
	for l := range c.Layers {
		w := m.layer(l)
		s.norm(s.xn1[l], s.rstd1[l], s.res[l], w.attnNorm)
		s.p.matmul(&s.mm, s.q[l], s.xn1[l], w.wq, N, q, d, bNK, false)
		s.p.matmul(&s.mm, s.k[l], s.xn1[l], w.wk, N, kv, d, bNK, false)
		s.p.matmul(&s.mm, s.v[l], s.xn1[l], w.wv, N, kv, d, bNK, false)
		s.rope(s.q[l], q, false)
		s.rope(s.k[l], kv, false)
		s.attF = attnForwardJob{s: s, l: l}
		s.p.run(&s.attF, s.B*c.Heads)
		s.p.matmul(&s.mm, s.mid[l], s.ao[l], w.wo, N, d, q, bNK, false)
		add(s.mid[l], s.res[l])
		s.norm(s.xn2[l], s.rstd2[l], s.mid[l], w.ffnNorm)
		s.p.matmul(&s.mm, s.gate[l], s.xn2[l], w.gate, N, c.FF, d, bNK, false)
		s.p.matmul(&s.mm, s.up[l], s.xn2[l], w.up, N, c.FF, d, bNK, false)
		swiglu(s.hidden[l], s.gate[l], s.up[l])
		s.p.matmul(&s.mm, s.res[l+1], s.hidden[l], w.down, N, d, c.FF, bNK, false)
		add(s.res[l+1], s.mid[l])
	}
	s.norm(s.xnf, s.rstdf, s.res[c.Layers], m.outNorm())

	s.active = s.active[:0]
	for r, wt := range s.weights[:N] {
		if wt > 0 || s.reply[r] > 0 || logitsOnly {
			s.active = append(s.active, int32(r))
		}
	}
	A := len(s.active)
	if A == 0 {
		return 0
	}
	for a, r := range s.active {
		copy(s.xa[a*d:(a+1)*d], s.xnf[int(r)*d:(int(r)+1)*d])
	}
	s.p.matmul(&s.mm, s.logits, s.xa, E, A, c.Vocab, d, bNK, false)
	if logitsOnly {
		return 0
	}
	return s.loss()
}

// backward computes the gradient of the loss of the last forward pass
// and adds it to grad (laid out as the parameters).
func (s *pass) backward(grad []float32) {
	m, c := s.m, s.m.Config
	N, d, q, kv, ff, V := s.B*s.T, c.Dim, c.qdim(), c.kvdim(), c.FF, c.Vocab
	A := len(s.active)
	E := m.embed()
	gE := grad[m.lay.embed : m.lay.embed+V*d]

	// Output projection (tied to the embedding) and final norm.
	clear(s.dxn[:N*d])
	if A > 0 {
		// dxa = dlogits·E; dE += dlogitsᵀ·xa
		s.p.matmul(&s.mm, s.dxa, s.logits, E, A, d, V, bKN, false)
		s.p.matmul(&s.mm, gE, s.logits, s.xa, V, d, A, aKM|bKN, true)
		for a, r := range s.active {
			copy(s.dxn[int(r)*d:(int(r)+1)*d], s.dxa[a*d:(a+1)*d])
		}
	}
	clear(s.dres[:N*d])
	s.normBackward(s.dres, grad[m.lay.outNorm:m.lay.outNorm+d], s.dxn, s.res[c.Layers], s.rstdf, m.outNorm())

	for l := c.Layers - 1; l >= 0; l-- {
		w := m.layer(l)
		g := viewLayer(c, m.lay.layers[l], grad)
		// res[l+1] = mid + hidden·Wdownᵀ
		copy(s.dmid[:N*d], s.dres[:N*d])
		s.linearBackward(s.dh, g.down, s.dres, s.hidden[l], w.down, N, ff, d, false)
		swigluBackward(s.dgate, s.dup, s.dh, s.gate[l], s.up[l])
		s.linearBackward(s.dxn, g.gate, s.dgate, s.xn2[l], w.gate, N, d, ff, false)
		s.linearBackward(s.dxn, g.up, s.dup, s.xn2[l], w.up, N, d, ff, true)
		s.normBackward(s.dmid, g.ffnNorm, s.dxn, s.mid[l], s.rstd2[l], w.ffnNorm)
		// mid = res[l] + ao·Woᵀ
		copy(s.dres[:N*d], s.dmid[:N*d])
		s.linearBackward(s.dao, g.wo, s.dmid, s.ao[l], w.wo, N, q, d, false)
		clear(s.dq[:N*q])
		clear(s.dk[:N*kv])
		clear(s.dv[:N*kv])
		s.attB = attnBackwardJob{s: s, l: l}
		s.p.run(&s.attB, s.B*c.KVHeads)
		s.rope(s.dq, q, true)
		s.rope(s.dk, kv, true)
		s.linearBackward(s.dxn, g.wq, s.dq, s.xn1[l], w.wq, N, d, q, false)
		s.linearBackward(s.dxn, g.wk, s.dk, s.xn1[l], w.wk, N, d, kv, true)
		s.linearBackward(s.dxn, g.wv, s.dv, s.xn1[l], w.wv, N, d, kv, true)
		s.normBackward(s.dres, g.attnNorm, s.dxn, s.res[l], s.rstd1[l], w.attnNorm)
	}
	for r, tok := range s.tokens[:N] {
		add(gE[int(tok)*d:(int(tok)+1)*d], s.dres[r*d:(r+1)*d])
	}
}

// linearBackward, for out (n, oc) = in (n, ic) · Wᵀ, W (oc, ic), sets (or
// adds to, with acc) din = dout·W and adds doutᵀ·in to dW.
func (s *pass) linearBackward(din, dW, dout, in, W []float32, n, ic, oc int, acc bool) {
	s.p.matmul(&s.mm, din, dout, W, n, ic, oc, bKN, acc)
	s.p.matmul(&s.mm, dW, dout, in, oc, ic, n, aKM|bKN, true)
}

// add computes y += x.
func add(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

// swiglu computes h = silu(g)⊙u.
func swiglu(h, g, u []float32) {
	for i, x := range g {
		h[i] = x / (1 + float32(math.Exp(float64(-x)))) * u[i]
	}
}

// swigluBackward computes dg and du from dh for h = silu(g)⊙u:
// silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
func swigluBackward(dg, du, dh, g, u []float32) {
	for i, x := range g {
		sig := 1 / (1 + float32(math.Exp(float64(-x))))
		du[i] = dh[i] * x * sig
		dg[i] = dh[i] * u[i] * sig * (1 + x*(1-sig))
	}
}

// rope rotates pairs (2i, 2i+1) of every head of v (N rows of width
// `width`) by the angles of the row's position; with inverse set it
// rotates the other way, which is the backward pass of the rotation.
func (s *pass) rope(v []float32, width int, inverse bool) {
	hd := s.m.Config.HeadDim()
	half := hd / 2
	for r := 0; r < s.B*s.T; r++ {
		t := int(s.pos[r])
		cos, sin := s.cos[t*half:(t+1)*half], s.sin[t*half:(t+1)*half]
		row := v[r*width : (r+1)*width]
		for h := 0; h < width; h += hd {
			head := row[h : h+hd]
			for i := 0; i < half; i++ {
				a, b := head[2*i], head[2*i+1]
				sn := sin[i]
				if inverse {
					sn = -sn
				}
				head[2*i] = a*cos[i] - b*sn
				head[2*i+1] = a*sn + b*cos[i]
			}
		}
	}
}

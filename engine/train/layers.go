package train

import "math"

// normRows is the number of rows one normJob item handles.
const normRows = 32

// normJob runs RMSNorm over rows, forward or backward.
type normJob struct {
	out, rstd, x, w []float32 // forward: out = x·rstd ⊙ w
	dx, dy          []float32 // backward: dx += ∂/∂x
	backward        bool
	d, n            int
	eps             float32
}

// norm computes out = x / rms(x) ⊙ w for every row and keeps 1/rms in rstd.
func (s *pass) norm(out, rstd, x, w []float32) {
	c := s.m.Config
	n := s.B * s.T
	s.nrm = normJob{out: out, rstd: rstd, x: x, w: w, d: c.Dim, n: n, eps: float32(c.NormEps)}
	s.p.run(&s.nrm, (n+normRows-1)/normRows)
}

// normBackward adds the gradient of RMSNorm with respect to its input to
// dx and with respect to its weight to dw, given dy.
func (s *pass) normBackward(dx, dw, dy, x, rstd, w []float32) {
	d, n := s.m.Config.Dim, s.B*s.T
	s.nrm = normJob{rstd: rstd, x: x, w: w, dx: dx, dy: dy, backward: true, d: d, n: n}
	s.p.run(&s.nrm, (n+normRows-1)/normRows)
	// The weight's gradient sums over rows: one goroutine, in row order.
	for r := 0; r < n; r++ {
		xr, dyr, rs := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], rstd[r]
		for i := range dw {
			dw[i] += dyr[i] * xr[i] * rs
		}
	}
}

func (j *normJob) item(it int) {
	d := j.d
	for r := it * normRows; r < min((it+1)*normRows, j.n); r++ {
		x := j.x[r*d : (r+1)*d]
		if !j.backward {
			var ss float32
			for _, v := range x {
				ss += v * v
			}
			rs := float32(1 / math.Sqrt(float64(ss/float32(d)+j.eps)))
			j.rstd[r] = rs
			out := j.out[r*d : (r+1)*d]
			for i, v := range x {
				out[i] = j.w[i] * (v * rs)
			}
			continue
		}
		dy, dx, rs := j.dy[r*d:(r+1)*d], j.dx[r*d:(r+1)*d], j.rstd[r]
		// x̂ = x·rs; dx = rs·(dy⊙w − x̂·mean(dy⊙w⊙x̂))
		var dot float32
		for i, v := range x {
			dot += dy[i] * j.w[i] * v * rs
		}
		dot /= float32(d)
		for i, v := range x {
			dx[i] += rs * (dy[i]*j.w[i] - v*rs*dot)
		}
	}
}

// attnForwardJob computes causal attention for one (sequence, head) per
// item: probabilities into att, output into ao.
type attnForwardJob struct {
	s *pass
	l int
}

func (j *attnForwardJob) item(it int) {
	s, c := j.s, j.s.m.Config
	T, H, hd, qd, kvd := s.T, c.Heads, c.HeadDim(), c.qdim(), c.kvdim()
	b, h := it/H, it%H
	kvh := h / (H / c.KVHeads)
	scale := float32(1 / math.Sqrt(float64(hd)))
	q, k, v, ao := s.q[j.l], s.k[j.l], s.v[j.l], s.ao[j.l]
	att := s.att[j.l][(b*H+h)*T*T : (b*H+h+1)*T*T]
	seg := s.seg[b*T : (b+1)*T]
	for t := 0; t < T; t++ {
		qt := q[(b*T+t)*qd+h*hd : (b*T+t)*qd+(h+1)*hd]
		row := att[t*T : t*T+t+1]
		mx := float32(math.Inf(-1))
		for u := range row {
			if seg[u] != 0 && seg[u] != seg[t] {
				row[u] = float32(math.Inf(-1)) // another reply's row: probability 0
				continue
			}
			ku := k[(b*T+u)*kvd+kvh*hd : (b*T+u)*kvd+(kvh+1)*hd]
			sc := dotSeq(qt, ku) * scale
			row[u] = sc
			mx = max(mx, sc)
		}
		var sum float32
		for u, sc := range row {
			e := float32(math.Exp(float64(sc - mx)))
			row[u] = e
			sum += e
		}
		inv := 1 / sum
		out := ao[(b*T+t)*qd+h*hd : (b*T+t)*qd+(h+1)*hd]
		clear(out)
		for u := range row {
			row[u] *= inv
			if row[u] == 0 {
				continue
			}
			vu := v[(b*T+u)*kvd+kvh*hd : (b*T+u)*kvd+(kvh+1)*hd]
			axpy(out, row[u], vu)
		}
	}
}

// attnBackwardJob computes the attention gradients for one (sequence, kv
// head) per item, over all query heads sharing that kv head, so that
// items write disjoint parts of dq, dk and dv.
type attnBackwardJob struct {
	s *pass
	l int
}

func (j *attnBackwardJob) item(it int) {
	s, c := j.s, j.s.m.Config
	T, H, hd, qd, kvd := s.T, c.Heads, c.HeadDim(), c.qdim(), c.kvdim()
	b, kvh := it/c.KVHeads, it%c.KVHeads
	group := H / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	q, k, v := s.q[j.l], s.k[j.l], s.v[j.l]
	dp := s.dscore[it*T : (it+1)*T]
	for h := kvh * group; h < (kvh+1)*group; h++ {
		att := s.att[j.l][(b*H+h)*T*T : (b*H+h+1)*T*T]
		for t := 0; t < T; t++ {
			at := (b*T+t)*qd + h*hd
			dout, qt, dqt := s.dao[at:at+hd], q[at:at+hd], s.dq[at:at+hd]
			row := att[t*T : t*T+t+1]
			var sum float32
			for u, p := range row {
				if p == 0 {
					continue // masked, or too small to matter
				}
				ku := (b*T+u)*kvd + kvh*hd
				g := dotSeq(dout, v[ku:ku+hd])
				dp[u] = g
				sum += p * g
				axpy(s.dv[ku:ku+hd], p, dout)
			}
			for u, p := range row {
				if p == 0 {
					continue
				}
				ku := (b*T+u)*kvd + kvh*hd
				ds := p * (dp[u] - sum) * scale
				axpy(dqt, ds, k[ku:ku+hd])
				axpy(s.dk[ku:ku+hd], ds, qt)
			}
		}
	}
}

// axpy computes y += α·x.
func axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	i := 0
	if useAVX && len(y) >= 8 {
		i = len(y) &^ 7
		axpyAVX(&y[0], &x[0], alpha, i)
	}
	for ; i < len(y); i++ {
		y[i] += alpha * x[i]
	}
}

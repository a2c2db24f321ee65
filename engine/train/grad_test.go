package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// tinyConfig is small enough for finite differences over every parameter.
var tinyConfig = Config{Dim: 8, Layers: 2, Heads: 4, KVHeads: 2, FF: 12, Vocab: 11, Context: 8}

// newTinyModel returns a tinyConfig model initialized with seed, its
// weights scaled up (and jittered by rng) so that gradients are far from
// float32 noise.
func newTinyModel(t *testing.T, seed uint64, rng *rand.Rand) *Model {
	t.Helper()
	m, err := NewModel(tinyConfig, seed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Params {
		m.Params[i] = m.Params[i]*3 + float32(rng.NormFloat64()*0.05)
	}
	return m
}

// newTinyPass returns a pass of a tiny model over a random batch, some
// rows masked out.
func newTinyPass(t *testing.T, threads int) (*pass, *pool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	m := newTinyModel(t, 1, rng)
	p := newPool(threads)
	s := newPass(m, p, 2, 6)
	for r := range s.tokens {
		s.tokens[r] = int32(rng.IntN(m.Config.Vocab))
		s.targets[r] = int32(rng.IntN(m.Config.Vocab))
		if rng.IntN(3) > 0 {
			s.weights[r] = 1
		}
	}
	return s, p
}

// centralDifference is the derivative of s's loss with respect to
// parameter i, by central differences.
func centralDifference(s *pass, i int) float64 {
	const h = 3e-3
	p := s.m.Params
	orig := p[i]
	p[i] = orig + h
	lp := float64(s.forward(false))
	p[i] = orig - h
	lm := float64(s.forward(false))
	p[i] = orig
	return (lp - lm) / (2 * h)
}

// tensorKinds names the layer type of every parameter ("attn_q", ...):
// tensors lists them in layout order.
func tensorKinds(m *Model) []string {
	var kinds []string
	for _, nt := range m.tensors() {
		name := strings.TrimSuffix(nt.name, ".weight")
		if strings.HasPrefix(name, "blk.") {
			name = name[strings.IndexByte(name[4:], '.')+5:]
		}
		for range nt.data {
			kinds = append(kinds, name)
		}
	}
	return kinds
}

// TestGradientsFiniteDifferences checks the analytic gradient of every
// parameter against central differences of the loss, grouped by layer
// type: embedding (tied output), attention and feed-forward norms, q and
// k (through RoPE and attention), v, output projection, SwiGLU gate, up
// and down, final norm; the masked cross-entropy is in all of them.
func TestGradientsFiniteDifferences(t *testing.T) {
	s, p := newTinyPass(t, 2)
	defer p.close()
	m := s.m
	grad := make([]float32, len(m.Params))
	s.forward(false)
	s.backward(grad)

	type acc struct{ num, den, maxAbs float64 }
	groups := map[string]*acc{}
	kinds := tensorKinds(m)
	for i := range m.Params {
		fd := centralDifference(s, i)
		k := kinds[i]
		a := groups[k]
		if a == nil {
			a = &acc{}
			groups[k] = a
		}
		d := fd - float64(grad[i])
		a.num += d * d
		a.den += fd*fd + float64(grad[i])*float64(grad[i])
		a.maxAbs = math.Max(a.maxAbs, math.Abs(fd))
	}
	want := []string{"token_embd", "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
		"ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "output_norm"}
	for _, k := range want {
		a := groups[k]
		if a == nil {
			t.Errorf("no parameters of kind %s", k)
			continue
		}
		rel := math.Sqrt(a.num / a.den)
		if a.maxAbs < 1e-4 {
			t.Errorf("%s: gradients too small to check (max %g)", k, a.maxAbs)
		}
		if rel > 5e-3 {
			t.Errorf("%s: relative error %.3g between analytic and finite-difference gradients", k, rel)
		}
		t.Logf("%-12s rel err %.2e (max |g| %.3g)", k, rel, a.maxAbs)
	}
}

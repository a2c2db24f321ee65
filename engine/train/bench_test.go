package train

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkMatmul measures the matrix-product kernel at the shapes of a
// ~10M-parameter model's feed-forward (4·256 tokens × 1024 × 384) and
// reports GFLOP/s (2·M·N·K per product).
func BenchmarkMatmul(b *testing.B) {
	for _, sh := range []struct{ m, n, k int }{{1024, 1024, 384}, {1024, 384, 1024}, {384, 1024, 1024}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sh.m, sh.n, sh.k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			a, w, c := make([]float32, sh.m*sh.k), make([]float32, sh.n*sh.k), make([]float32, sh.m*sh.n)
			for i := range a {
				a[i] = rng.Float32()
			}
			for i := range w {
				w[i] = rng.Float32()
			}
			p := newPool(runtime.GOMAXPROCS(0))
			defer p.close()
			var j matmulJob
			p.matmul(&j, c, a, w, sh.m, sh.n, sh.k, bNK, false)
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				p.matmul(&j, c, a, w, sh.m, sh.n, sh.k, bNK, false)
			}
			cpu = cpuTime() - cpu
			flops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu > 0 {
				// Per CPU-second: what one core does, whatever the load.
				b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

// BenchmarkStep measures one training step (forward, backward, AdamW) and
// reports tokens/s, at a ~10M-parameter shape and at a tiny one.
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct {
		name       string
		c          Config
		batch, seq int
	}{
		{"10M", Config{Dim: 384, Layers: 5, Heads: 6, KVHeads: 6, FF: 1024, Vocab: 4096, Context: 256}, 4, 256},
		// The default model's shape and batch, which is also that of the
		// llm.c comparison (train_gpt2.c at C=256, L=6, NH=4, V=4096,
		// maxT=384, B=8, T=384: 5.89M parameters against our 5.87M).
		{"6M", Config{Dim: 256, Layers: 6, Heads: 4, KVHeads: 4, FF: 704, Vocab: 4096, Context: 384}, 8, 384},
		{"tiny", Config{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 192, Vocab: 512, Context: 64}, 8, 64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := NewModel(bc.c, 1)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := New(m, Options{Steps: 1 << 30, Batch: bc.batch, Seq: bc.seq})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			ds := copyTask{vocab: bc.c.Vocab, n: bc.seq / 2, seed: 1}
			if _, err := tr.TrainStep(ds); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				if _, err := tr.TrainStep(ds); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			tokens := float64(bc.batch*bc.seq) * float64(b.N)
			b.ReportMetric(tokens/b.Elapsed().Seconds(), "tokens/s")
			if cpu > 0 {
				b.ReportMetric(tokens/cpu.Seconds(), "tokens/cpu-s")
			}
			b.ReportMetric(float64(len(m.Params))/1e6, "Mparams")
		})
	}
}

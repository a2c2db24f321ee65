package engine_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/enginetest"
	"github.com/switchboard/switchboard/engine/tensor"
)

// benchShape is a modest model: 512 wide, 4 layers, 8k vocabulary (about
// 21M parameters; 84 MB as F32, 22 MB as Q8_0).
var benchShape = enginetest.Shape{Dim: 512, Layers: 4, Heads: 8, KVHeads: 4, FF: 1408, Vocab: 8192, Context: 1024}

// benchLarge switches the benchmarks to GPT-2 small's size (dim 768, 12
// layers, 50257 tokens; 163M parameters in this Llama layout), the shape
// the engine is compared with llama.cpp on:
//
//	go test -run '^$' -bench . ./engine -large
var benchLarge = flag.Bool("large", false, "benchmark a GPT-2-small-sized random model")

func benchModel(b *testing.B, typ tensor.Type) *engine.Model {
	b.Helper()
	s := benchShape
	if *benchLarge {
		s = enginetest.GPT2Small
	}
	s.Type = typ
	if typ.BlockSize() == tensor.QKK { // K-quant rows are whole 256-blocks
		s.FF = (s.FF + tensor.QKK - 1) / tensor.QKK * tensor.QKK
	}
	path := filepath.Join(b.TempDir(), "model.gguf")
	if err := enginetest.WriteModel(path, s); err != nil {
		b.Fatal(err)
	}
	m, err := engine.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// reportTokens reports tokens per wall second and, where the process's
// CPU time is known, per CPU-second since cpu0 (processCPU at the start):
// with one thread the latter is what an idle machine would show.
func reportTokens(b *testing.B, tokens int, cpu0 float64) {
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
	if cpu := processCPU() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(tokens)/cpu, "tok/cpu-s")
	}
}

// BenchmarkDecode measures one decode step (one token through the model
// with a KV cache of 64 positions); tokens/s is 1/(ns/op).
func BenchmarkDecode(b *testing.B) {
	for _, typ := range []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0, tensor.Q4_0} {
		b.Run(typ.String(), func(b *testing.B) {
			m := benchModel(b, typ)
			s := m.NewState(0)
			prompt := make([]int, 64)
			for i := range prompt {
				prompt[i] = i
			}
			tok := []int{1}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				if s.Pos() >= s.Capacity()-1 || i == 0 {
					b.StopTimer()
					s.Reset()
					if _, err := s.Forward(prompt); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if _, err := s.Forward(tok); err != nil {
					b.Fatal(err)
				}
			}
			reportTokens(b, b.N, cpu0)
		})
	}
}

// BenchmarkPrefill measures a 128-token prompt (the K-quants through the
// four-vector kernels).
func BenchmarkPrefill(b *testing.B) {
	for _, typ := range []tensor.Type{tensor.F32, tensor.Q8_0, tensor.Q4_K, tensor.Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			m := benchModel(b, typ)
			s := m.NewState(128)
			prompt := make([]int, 128)
			for i := range prompt {
				prompt[i] = (i * 31) % m.Config.Vocab
			}
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				s.Reset()
				if _, err := s.Forward(prompt); err != nil {
					b.Fatal(err)
				}
			}
			reportTokens(b, b.N*len(prompt), cpu0)
		})
	}
}

// TestRandomModel checks that models written by enginetest load and run
// in every stored type, and that the quantized ones stay near F32.
func TestRandomModel(t *testing.T) {
	dir := t.TempDir()
	prompt := []int{72, 101, 108, 108, 111}
	var ref []float32
	for _, tt := range []struct {
		typ tensor.Type
		tol float64 // relative to the largest F32 logit
	}{
		// Uniform random weights quantized to 4 bits (Q4_0) carry an error
		// of about a tenth of their RMS per matrix, compounding through 9
		// products to ~30% of the logits; a wrong kernel gives ~100%.
		{tensor.F32, 0}, {tensor.F16, 0.01}, {tensor.BF16, 0.05}, {tensor.Q8_0, 0.05}, {tensor.Q4_0, 0.5},
	} {
		s := enginetest.Small
		s.Type = tt.typ
		path := filepath.Join(dir, fmt.Sprintf("m-%v.gguf", tt.typ))
		if err := enginetest.WriteModel(path, s); err != nil {
			t.Fatal(err)
		}
		m, err := engine.LoadWith(path, engine.Options{Threads: 2})
		if err != nil {
			t.Fatalf("Load(%v model) = %v", tt.typ, err)
		}
		logits, err := m.NewState(0).Forward(prompt)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = append([]float32(nil), logits...)
		} else {
			var scale, diff float64
			for i := range ref {
				scale = max(scale, math.Abs(float64(ref[i])))
				diff = max(diff, math.Abs(float64(ref[i]-logits[i])))
			}
			if diff > tt.tol*scale {
				t.Errorf("%v logits differ from F32 by %.3g (largest logit %.3g), want ≤ %g of it", tt.typ, diff, scale, tt.tol)
			}
		}
		res, err := m.Generate(context.Background(), engine.Request{Prompt: "Hello", MaxTokens: 8}, nil)
		if err != nil || res.PromptTokens != 5 {
			t.Errorf("%v: Generate = %+v, %v; want 5 prompt tokens", tt.typ, res, err)
		}
		m.Close()
	}
}

// BenchmarkDecodeBatched measures aggregate decode speed with several
// sequences stepping at once (State.Step, batched by the model): one op
// is one step of every sequence; tok/s counts all their tokens.
func BenchmarkDecodeBatched(b *testing.B) {
	for _, typ := range []tensor.Type{tensor.F32, tensor.Q8_0, tensor.Q4_K} {
		m := benchModel(b, typ)
		for _, seqs := range []int{1, 8} {
			b.Run(fmt.Sprintf("type=%v/seqs=%d", typ, seqs), func(b *testing.B) {
				states := make([]*engine.State, seqs)
				for i := range states {
					states[i] = m.NewState(0)
					if _, err := states[i].Forward([]int{1 + i, 2, 3}); err != nil {
						b.Fatal(err)
					}
				}
				ctx := context.Background()
				b.ResetTimer()
				cpu0 := processCPU()
				var wg sync.WaitGroup
				for i, s := range states {
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer m.Decoding()()
						for n := 0; n < b.N; n++ {
							if s.Pos() >= s.Capacity()-1 {
								s.Reset()
							}
							if _, err := s.Step(ctx, 1+i); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				reportTokens(b, b.N*seqs, cpu0)
			})
		}
	}
}

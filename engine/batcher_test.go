package engine_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/enginetest"
	"github.com/switchboard/switchboard/engine/tensor"
)

// TestStepBatchesSequences decodes several sequences concurrently with
// State.Step and checks each step's logits against the same sequence run
// alone with Forward: batching shares weight reads, not results.
func TestStepBatchesSequences(t *testing.T) {
	for _, typ := range []tensor.Type{tensor.F32, tensor.Q8_0, tensor.Q4_K} {
		t.Run(typ.String(), func(t *testing.T) {
			shape := enginetest.Small
			shape.Type = typ
			shape.Dim, shape.FF = 256, 512
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := enginetest.WriteModel(path, shape); err != nil {
				t.Fatal(err)
			}
			m, err := engine.LoadWith(path, engine.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			const seqs, steps = 5, 6
			prompt := func(i int) []int { return []int{1 + i, 20 + 3*i, 40 + i*i, 7}[:2+i%3] }
			next := func(i, k int) int { return (i*31 + k*17) % shape.Vocab }

			// Alone, one after the other.
			want := make([][][]float32, seqs)
			for i := range want {
				s := m.NewState(64)
				if _, err := s.Forward(prompt(i)); err != nil {
					t.Fatal(err)
				}
				for k := 0; k < steps; k++ {
					l, err := s.Forward([]int{next(i, k)})
					if err != nil {
						t.Fatal(err)
					}
					want[i] = append(want[i], append([]float32(nil), l...))
				}
			}

			// Together.
			got := make([][][]float32, seqs)
			var ready, wg sync.WaitGroup
			ready.Add(seqs)
			start := make(chan struct{})
			errs := make([]error, seqs)
			for i := 0; i < seqs; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := m.NewState(64)
					_, errs[i] = s.Forward(prompt(i))
					leave := m.Decoding()
					defer leave()
					ready.Done()
					<-start
					for k := 0; k < steps && errs[i] == nil; k++ {
						var l []float32
						l, errs[i] = s.Step(context.Background(), next(i, k))
						got[i] = append(got[i], append([]float32(nil), l...))
					}
				}()
			}
			ready.Wait()
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("sequence %d: %v", i, err)
				}
			}
			for i := range want {
				for k := range want[i] {
					var worst float64
					for j := range want[i][k] {
						worst = max(worst, math.Abs(float64(got[i][k][j]-want[i][k][j])))
					}
					if worst > 1e-5 {
						t.Errorf("sequence %d step %d: batched logits differ by %g", i, k, worst)
					}
				}
			}
			if n := engine.LargestBatch(m); n < 2 {
				t.Errorf("largest batch %d, want several sequences stepping together", n)
			}
		})
	}
}

func TestStepErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := enginetest.WriteModel(path, enginetest.Shape{Context: 4}); err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewState(2)
	ctx := context.Background()
	if _, err := s.Step(ctx, -1); err == nil {
		t.Error("Step(-1) succeeded")
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Step(ctx, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Step(ctx, 3); err == nil {
		t.Error("Step past the cache's capacity succeeded")
	}
	m.Close()
	if _, err := m.NewState(2).Step(ctx, 3); err == nil {
		t.Error("Step after Close succeeded")
	}
}

// TestKVCacheBudget runs two generations on a model whose KV budget holds
// one cache: both finish (the second waits for the first), a cache larger
// than the budget fails with ErrKVBudget, and a generation waiting for
// room gives up when its context ends.
func TestKVCacheBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	shape := enginetest.Shape{Dim: 128, Layers: 2, Heads: 4, KVHeads: 2, Context: 256}
	if err := enginetest.WriteModel(path, shape); err != nil {
		t.Fatal(err)
	}
	// A generation's cache: keys and values, float32, for every layer and
	// KV head, 256 positions (the rounding of getState) of 32 dimensions.
	const one = 2 * 4 * 2 * 2 * 256 * 32
	m, err := engine.LoadWith(path, engine.Options{KVCacheBytes: one})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req := engine.Request{Prompt: "hello", MaxTokens: 4}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Generate(context.Background(), req, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("generation %d within the budget: %v", i, err)
		}
	}

	small, err := engine.LoadWith(path, engine.Options{KVCacheBytes: one - 1})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.Generate(context.Background(), req, nil); !errors.Is(err, engine.ErrKVBudget) {
		t.Errorf("Generate over the budget = %v, want ErrKVBudget", err)
	}

	// With the whole budget held, a generation waits, and gives up when
	// its context ends.
	release := engine.ReserveKV(t, m, one)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := m.Generate(ctx, req, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Generate waiting for the budget = %v, want DeadlineExceeded", err)
	}
	release()
	if _, err := m.Generate(context.Background(), req, nil); err != nil {
		t.Errorf("Generate after the budget was released: %v", err)
	}
}

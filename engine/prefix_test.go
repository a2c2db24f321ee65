package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/engine/enginetest"
)

// prefixModels loads one random model twice, with KV caches of precision
// kv: with the prefix cache of budget bytes, and without one.
func prefixModels(t *testing.T, budget int64, kv KVPrecision) (cached, plain *Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := enginetest.WriteModel(path, enginetest.Small); err != nil {
		t.Fatal(err)
	}
	var err error
	if cached, err = LoadWith(path, Options{Threads: 2, PrefixCacheBytes: budget, KVCache: kv}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cached.Close() })
	if plain, err = LoadWith(path, Options{Threads: 2, PrefixCacheBytes: -1, KVCache: kv}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	return cached, plain
}

func randomIDs(rng *rand.Rand, n, vocab int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = rng.IntN(vocab)
	}
	return ids
}

// TestPrefixCacheReuse generates from prompts that share a "system
// prompt" and checks that the shared part is copied rather than
// prefilled, and that the generated tokens are those of a model without
// the cache, with float32 and half-precision KV caches.
func TestPrefixCacheReuse(t *testing.T) {
	for _, kv := range []KVPrecision{KVF32, KVF16} {
		t.Run(kv.String(), func(t *testing.T) { testPrefixCacheReuse(t, kv) })
	}
}

func testPrefixCacheReuse(t *testing.T, kv KVPrecision) {
	cached, plain := prefixModels(t, 0, kv)
	rng := rand.New(rand.NewPCG(1, 2))
	V := cached.Config.Vocab
	system := randomIDs(rng, 40, V)
	first := append(append([]int(nil), system...), randomIDs(rng, 10, V)...)
	other := append(append([]int(nil), system...), randomIDs(rng, 12, V)...)
	followUp := append(append([]int(nil), first...), randomIDs(rng, 7, V)...)
	for _, tt := range []struct {
		name   string
		prompt []int
		want   int // cached prompt tokens
	}{
		{"first", first, 0},
		{"same again", first, len(first) - 1}, // the last token runs, for the logits
		{"other question", other, len(system)},
		{"follow-up", followUp, len(first)},
		{"short", system[:minPrefix-1], 0},
		{"unrelated", randomIDs(rng, 30, V), 0},
	} {
		req := Request{IDs: tt.prompt, MaxTokens: 6}
		got, err := cached.Generate(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.Generate(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.CachedPromptTokens != tt.want || want.CachedPromptTokens != 0 {
			t.Errorf("%s: CachedPromptTokens = %d (without the cache %d), want %d", tt.name, got.CachedPromptTokens, want.CachedPromptTokens, tt.want)
		}
		if !equalInts(got.IDs, want.IDs) {
			t.Errorf("%s: generated %v with the prefix cache, %v without", tt.name, got.IDs, want.IDs)
		}
	}
}

// TestPrefixCacheLogits checks that logits after a restored prefix are
// those of a full prefill, with float32 and half-precision KV caches.
func TestPrefixCacheLogits(t *testing.T) {
	for _, kv := range []KVPrecision{KVF32, KVF16} {
		t.Run(kv.String(), func(t *testing.T) { testPrefixCacheLogits(t, kv) })
	}
}

func testPrefixCacheLogits(t *testing.T, kv KVPrecision) {
	cached, _ := prefixModels(t, 0, kv)
	rng := rand.New(rand.NewPCG(3, 4))
	prompt := randomIDs(rng, 70, cached.Config.Vocab)
	s := cached.NewState(0)
	want, err := s.Forward(prompt)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]float32(nil), want...)
	cached.prefix.save(prompt[:50], s)
	s2 := cached.NewState(0)
	if n := cached.prefix.restore(prompt, s2); n != 50 {
		t.Fatalf("restore = %d positions, want 50", n)
	}
	got, err := s2.Forward(prompt[50:])
	if err != nil {
		t.Fatal(err)
	}
	var diff, scale float64
	for i := range want {
		diff = max(diff, math.Abs(float64(got[i]-want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	if diff > 1e-5*scale {
		t.Errorf("logits after a restored prefix differ by %.3g (largest %.3g)", diff, scale)
	}
}

// TestPrefixCacheBudget checks that the cache stays within its budget,
// evicting the least recently used prompt, and keeps the start of a
// prompt too long to hold whole (half-precision KV: 2 bytes a value).
func TestPrefixCacheBudget(t *testing.T) {
	c := enginetest.Small
	perPos := int64(2*2*c.Layers*c.KVHeads*(c.Dim/c.Heads) + 8)
	cached, _ := prefixModels(t, 60*perPos, KVF16)
	rng := rand.New(rand.NewPCG(5, 6))
	V := cached.Config.Vocab
	a, b := randomIDs(rng, 35, V), randomIDs(rng, 35, V)
	long := randomIDs(rng, 100, V)
	gen := func(p []int) Result {
		t.Helper()
		res, err := cached.Generate(context.Background(), Request{IDs: p, MaxTokens: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cached.prefix.used > cached.prefix.budget {
			t.Fatalf("prefix cache holds %d bytes, budget %d", cached.prefix.used, cached.prefix.budget)
		}
		return res
	}
	gen(a)
	first := &cached.prefix.entries[0].keys[0]
	gen(b) // evicts a, reusing its buffers
	if got := &cached.prefix.entries[0].keys[0]; len(cached.prefix.entries) != 1 || got != first {
		t.Errorf("after b: %d entries, buffers reused %v; want b alone in a's buffers", len(cached.prefix.entries), got == first)
	}
	if res := gen(a); res.CachedPromptTokens != 0 {
		t.Errorf("a after b: %d cached tokens, want 0 (evicted)", res.CachedPromptTokens)
	}
	gen(long)
	if res := gen(long); res.CachedPromptTokens != 60 {
		t.Errorf("long prompt again: %d cached tokens, want the 60 that fit", res.CachedPromptTokens)
	}
}

// TestPrefixCacheConcurrent runs generations with a shared prefix at once
// (for the race detector) and checks them against the cache-less model.
func TestPrefixCacheConcurrent(t *testing.T) {
	cached, plain := prefixModels(t, 0, KVF16)
	rng := rand.New(rand.NewPCG(7, 8))
	V := cached.Config.Vocab
	system := randomIDs(rng, 32, V)
	prompts := make([][]int, 6)
	for i := range prompts {
		prompts[i] = append(append([]int(nil), system...), randomIDs(rng, 5+i, V)...)
	}
	got := make([][]int, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cached.Generate(context.Background(), Request{IDs: p, MaxTokens: 4}, nil)
			if err != nil {
				t.Error(err)
			}
			got[i] = res.IDs
		}()
	}
	wg.Wait()
	for i, p := range prompts {
		want, err := plain.Generate(context.Background(), Request{IDs: p, MaxTokens: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !equalInts(got[i], want.IDs) {
			t.Errorf("prompt %d: %v with the cache, %v without", i, got[i], want.IDs)
		}
	}
}

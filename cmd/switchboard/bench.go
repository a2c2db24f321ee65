package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/switchboard/switchboard/engine"
)

func init() {
	register(command{
		name:    "bench",
		summary: "measure prefill and decode speed",
		run:     runBench,
	})
}

// benchOutput is `bench --json`.
type benchOutput struct {
	PrefillTokS         float64 `json:"prefill_tok_s"`          // prompt tokens per second, one sequence
	DecodeTokS          float64 `json:"decode_tok_s"`           // generated tokens per second, one sequence
	TTFTms              float64 `json:"ttft_ms"`                // prefill of the prompt and the first token
	AggregateDecodeTokS float64 `json:"aggregate_decode_tok_s"` // generated tokens per second over all concurrent sequences
	PromptTokens        int     `json:"prompt_tokens"`
	GenTokens           int     `json:"gen_tokens"`
	Threads             int     `json:"threads"`
	Concurrency         int     `json:"concurrency"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "--model PATH [--prompt-tokens N] [--gen-tokens N] [--threads N] [--concurrency N] [--json]", stderr)
	path := fs.String("model", "", "a .gguf file or a Hugging Face model folder")
	promptTokens := fs.Int("prompt-tokens", 128, "prompt length")
	genTokens := fs.Int("gen-tokens", 64, "tokens to generate")
	threads := fs.Int("threads", 0, "threads for matrix products (0: all CPUs)")
	concurrency := fs.Int("concurrency", 1, "sequences decoded at once, for aggregate_decode_tok_s")
	asJSON := fs.Bool("json", false, `print {"prefill_tok_s","decode_tok_s","ttft_ms","aggregate_decode_tok_s"}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *promptTokens <= 0 || *genTokens <= 0 || *concurrency <= 0 || *threads < 0 {
		return usageError{"bench: --prompt-tokens, --gen-tokens and --concurrency must be positive, --threads not negative"}
	}
	m, err := loadModel(*path, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	if *promptTokens+*genTokens > m.Config.Context {
		return usageError{fmt.Sprintf("bench: %d prompt + %d generated tokens exceed the context length %d", *promptTokens, *genTokens, m.Config.Context)}
	}

	// One sequence: prefill, then decode.
	one, err := benchSequence(ctx, m, *promptTokens, *genTokens, 1)
	if err != nil {
		return err
	}
	out := benchOutput{
		PrefillTokS:  float64(*promptTokens) / one.prefill.Seconds(),
		DecodeTokS:   float64(*genTokens) / one.decode.Seconds(),
		TTFTms:       float64(one.ttft.Microseconds()) / 1000,
		PromptTokens: *promptTokens, GenTokens: *genTokens,
		Threads: *threads, Concurrency: *concurrency,
	}
	if out.Threads == 0 {
		out.Threads = runtime.GOMAXPROCS(0)
	}
	out.AggregateDecodeTokS = out.DecodeTokS
	if *concurrency > 1 {
		// Several sequences at once: prefill each, then decode all together.
		var wg sync.WaitGroup
		var ready, startDecode sync.WaitGroup
		ready.Add(*concurrency)
		startDecode.Add(1)
		errs := make([]error, *concurrency)
		begin := time.Time{}
		for i := 0; i < *concurrency; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = benchSequenceSync(ctx, m, *promptTokens, *genTokens, uint64(i+2), &ready, &startDecode)
			}()
		}
		ready.Wait()
		begin = time.Now()
		startDecode.Done()
		wg.Wait()
		wall := time.Since(begin)
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		out.AggregateDecodeTokS = float64(*concurrency**genTokens) / wall.Seconds()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "model:     %s (%s, dim %d, %d layers, vocab %d)\n", m.Info.Path, m.Config.Arch, m.Config.Dim, m.Config.Layers, m.Config.Vocab)
	fmt.Fprintf(stdout, "prefill:   %.1f tok/s (%d tokens)\n", out.PrefillTokS, *promptTokens)
	fmt.Fprintf(stdout, "decode:    %.1f tok/s (%d tokens)\n", out.DecodeTokS, *genTokens)
	fmt.Fprintf(stdout, "ttft:      %.1f ms\n", out.TTFTms)
	fmt.Fprintf(stdout, "aggregate: %.1f tok/s decode over %d sequences\n", out.AggregateDecodeTokS, *concurrency)
	return nil
}

type benchTimes struct{ prefill, decode, ttft time.Duration }

func benchSequence(ctx context.Context, m *engine.Model, prompt, gen int, seed uint64) (benchTimes, error) {
	return benchSequenceSync(ctx, m, prompt, gen, seed, nil, nil)
}

// benchSequenceSync prefills random prompt tokens and decodes gen tokens
// greedily (end of sequence ignored). When ready is set it signals ready
// after prefill and waits for start before decoding.
func benchSequenceSync(ctx context.Context, m *engine.Model, prompt, gen int, seed uint64, ready, start *sync.WaitGroup) (benchTimes, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := make([]int, prompt)
	for i := range ids {
		ids[i] = rng.IntN(m.Config.Vocab)
	}
	s := m.NewState(prompt + gen)
	var t benchTimes
	t0 := time.Now()
	logits, err := s.Forward(ids)
	if err != nil {
		return t, err
	}
	t.prefill = time.Since(t0)
	next := engine.Argmax(logits)
	t.ttft = time.Since(t0)
	// Decode steps of concurrent sequences run batched (State.Step).
	leave := m.Decoding()
	defer leave()
	if ready != nil {
		ready.Done()
		start.Wait()
	}
	t1 := time.Now()
	for i := 0; i < gen; i++ {
		logits, err := s.Step(ctx, next)
		if err != nil {
			return t, err
		}
		next = engine.Argmax(logits)
	}
	t.decode = time.Since(t1)
	return t, nil
}

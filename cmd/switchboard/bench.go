package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/tensor"
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

	// Memory: resident set after decoding (Linux; 0 elsewhere) against
	// the model file plus every KV cache the run allocated, plus 10%.
	RSSBytes     int64 `json:"rss_bytes"`
	RSSFileBytes int64 `json:"rss_file_bytes"` // of which mapped files: the weights touched, the executable
	RSSAnonBytes int64 `json:"rss_anon_bytes"` // of which anonymous: KV caches, Go heap, runtime
	FileBytes    int64 `json:"file_bytes"`
	KVCacheBytes int64 `json:"kv_cache_bytes"`
	RSSWithin    bool  `json:"rss_within_file_kv_10pct"`

	// Bandwidth: weights read per decoded token × decode_tok_s, over the
	// streaming-read bandwidth of Threads goroutines summing a 1 GiB
	// buffer (omitted with --bandwidth=false).
	WeightBytesPerToken int64   `json:"weight_bytes_per_token"`
	DecodeBytesPerSec   float64 `json:"decode_bytes_per_s"`
	StreamReadBytesPerS float64 `json:"stream_read_bytes_per_s,omitempty"`
	BandwidthFraction   float64 `json:"decode_bandwidth_fraction,omitempty"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--model PATH] [--prompt-tokens N] [--gen-tokens N] [--threads N] [--concurrency N] [--json]", stderr)
	path := fs.String("model", "", "a .gguf file or a Hugging Face model folder (empty: the built-in model)")
	promptTokens := fs.Int("prompt-tokens", 128, "prompt length")
	genTokens := fs.Int("gen-tokens", 64, "tokens to generate")
	threads := fs.Int("threads", 0, "threads for matrix products (0: all CPUs)")
	concurrency := fs.Int("concurrency", 1, "sequences decoded at once, for aggregate_decode_tok_s")
	asJSON := fs.Bool("json", false, `print {"prefill_tok_s","decode_tok_s","ttft_ms","aggregate_decode_tok_s",...}`)
	bandwidth := fs.Bool("bandwidth", true, "measure streaming-read bandwidth (1 GiB) and report decode as a fraction of it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the decode phases to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *promptTokens <= 0 || *genTokens <= 0 || *concurrency <= 0 || *threads < 0 {
		return usageError{msg: "bench: --prompt-tokens, --gen-tokens and --concurrency must be positive, --threads not negative"}
	}
	m, err := loadModel(*path, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	if *promptTokens+*genTokens > m.Config.Context {
		return usageError{msg: fmt.Sprintf("bench: %d prompt + %d generated tokens exceed the context length %d", *promptTokens, *genTokens, m.Config.Context)}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: start profile: %w", err)
		}
		defer pprof.StopCPUProfile()
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
	out.RSSBytes, out.RSSFileBytes, out.RSSAnonBytes = residentBytes()
	out.FileBytes = fileBytes(*path)
	kvStates := int64(1)
	if *concurrency > 1 {
		kvStates += int64(*concurrency)
	}
	out.KVCacheBytes = kvStates * m.KVCacheBytes(*promptTokens+*genTokens)
	out.RSSWithin = out.RSSBytes > 0 && float64(out.RSSBytes) <= 1.1*float64(out.FileBytes+out.KVCacheBytes)
	out.WeightBytesPerToken = m.WeightBytesPerToken()
	out.DecodeBytesPerSec = float64(out.WeightBytesPerToken) * out.DecodeTokS
	if *bandwidth {
		out.StreamReadBytesPerS = streamRead(out.Threads)
		out.BandwidthFraction = out.DecodeBytesPerSec / out.StreamReadBytesPerS
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
	fmt.Fprintf(stdout, "memory:    %.1f MB resident; file %.1f MB + KV caches %.1f MB (within +10%%: %v)\n",
		float64(out.RSSBytes)/1e6, float64(out.FileBytes)/1e6, float64(out.KVCacheBytes)/1e6, out.RSSWithin)
	fmt.Fprintf(stdout, "weights:   %.1f MB per token, %.2f GB/s while decoding", float64(out.WeightBytesPerToken)/1e6, out.DecodeBytesPerSec/1e9)
	if out.StreamReadBytesPerS > 0 {
		fmt.Fprintf(stdout, " = %.2f of %.2f GB/s streaming read", out.BandwidthFraction, out.StreamReadBytesPerS/1e9)
	}
	fmt.Fprintln(stdout)
	return nil
}

// residentBytes returns the process's resident set size (VmRSS) and
// its file-backed and anonymous parts, or zeros where /proc is not
// available.
func residentBytes() (total, file, anon int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, _ := strings.Cut(line, ":")
		var kb int64
		fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
		switch name {
		case "VmRSS":
			total = kb << 10
		case "RssFile":
			file = kb << 10
		case "RssAnon":
			anon = kb << 10
		}
	}
	return total, file, anon
}

// fileBytes returns the size of a model file, or of the regular files in
// a model folder.
func fileBytes(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if !st.IsDir() {
		if strings.HasSuffix(path, ".safetensors") || filepath.Base(path) == "config.json" {
			return fileBytes(filepath.Dir(path))
		}
		return st.Size()
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

// streamBytes is the buffer streamRead reads: larger than the caches.
var streamBytes = 1 << 30

// streamRead returns the streaming-read bandwidth in bytes per second of
// threads goroutines each summing its share of a streamBytes buffer, the
// best of three passes.
func streamRead(threads int) float64 {
	buf := make([]float32, streamBytes/4)
	for i := range buf {
		buf[i] = float32(i & 7)
	}
	sums := make([]float32, threads)
	best := time.Duration(math.MaxInt64)
	for pass := 0; pass < 3; pass++ {
		start := time.Now()
		var wg sync.WaitGroup
		for t := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[t] = tensor.Sum(buf[t*len(buf)/threads : (t+1)*len(buf)/threads])
			}()
		}
		wg.Wait()
		best = min(best, time.Since(start))
	}
	return float64(len(buf)*4) / best.Seconds()
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

package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/switchboard/switchboard/engine/tensor"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

// A Model is a loaded decoder: configuration, weights, tokenizer and chat
// template. Its methods are safe for concurrent use; each generation runs
// on a State of its own, taken from a small pool. Close releases the
// worker goroutines and the memory-mapped file.
type Model struct {
	Config    Config
	Weights   *Weights
	Tokenizer *tokenizer.Tokenizer
	Template  Template // the chat template Request.Messages are rendered with
	Info      Info     // where the model came from, for display

	invFreq []float64  // RoPE inverse frequency of each rotated pair
	kvF32   bool       // KV caches hold float32 values, not half precision
	embed   *embedFile // token embedding rows read from the file; nil: through the mapping
	pool    *pool
	batch   *batcher     // runs concurrent decode steps together
	prefix  prefixCache  // KV caches of recent prompts, for Generate
	closer  func() error // releases the weight files

	mu       sync.Mutex
	free     []*State      // guarded by mu: idle states for reuse
	kvBudget int64         // Options.KVCacheBytes
	kvUsed   int64         // guarded by mu: cache bytes of running generations
	kvFreed  chan struct{} // guarded by mu: closed (and replaced) when kvUsed drops
	closed   atomic.Bool

	// running is read-locked by each Generate and write-locked by Close,
	// so that Close waits for generations in flight before it stops the
	// workers they use.
	running sync.RWMutex
}

// Info describes a model's files, for `switchboard model info`.
type Info struct {
	Path        string         // the .gguf file or the model folder
	Format      string         // "gguf" or "safetensors"
	Parameters  int64          // elements in all weight tensors
	Bytes       int64          // bytes of all weight tensors as stored
	TensorTypes map[string]int // tensor count by stored type name
	Tokenizer   string         // tokenizer kind and source, such as "gpt2 (tokenizer.json)"
	RawTemplate string         // the chat template text found in the files, if any
}

// Options tune loading. The zero value is valid.
type Options struct {
	// Threads is the number of goroutines a matrix product is split across.
	// Zero or negative means runtime.GOMAXPROCS(0).
	Threads int
	// KVCacheBytes bounds the memory of the KV caches of the generations
	// running at once (Generate); a generation whose cache would exceed it
	// waits for others to finish (or for its context to end). Zero or
	// negative means no bound.
	KVCacheBytes int64
	// PrefixCacheBytes bounds the memory that keeps the KV caches of
	// recent prompts, so that Generate skips the prefill of a prompt's
	// prefix shared with one of them (a system prompt). Zero means
	// DefaultPrefixCacheBytes; negative turns the cache off.
	PrefixCacheBytes int64
	// KVCache is the precision of the KV caches. The zero value, KVAuto,
	// keeps float32 for models whose matrices are all stored as F32 (a
	// file that asks for full precision, such as one a test compares
	// with a float32 reference) and half precision otherwise.
	KVCache KVPrecision
}

// A KVPrecision is how the keys and values of attention are cached.
type KVPrecision int

const (
	KVAuto KVPrecision = iota // KVF32 for all-F32 weights, KVF16 otherwise
	// KVF16 keeps IEEE half precision, as llama.cpp does by default: half
	// the memory of KVF32 and half the bytes a decode step reads, for a
	// relative rounding error of at most 2⁻¹¹ per key and value.
	KVF16
	KVF32 // float32
)

func (p KVPrecision) String() string {
	switch p {
	case KVAuto:
		return "auto"
	case KVF16:
		return "f16"
	case KVF32:
		return "f32"
	}
	return fmt.Sprintf("KVPrecision(%d)", int(p))
}

// ParseKVPrecision parses a KVPrecision's String form: auto, f16 or f32.
func ParseKVPrecision(s string) (KVPrecision, error) {
	for _, p := range []KVPrecision{KVAuto, KVF16, KVF32} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("kv cache precision %q: want auto, f16 or f32", s)
}

// setOptions applies the run-time options to a loaded model.
func (m *Model) setOptions(opts Options) {
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	m.pool = newPool(threads)
	m.kvBudget = opts.KVCacheBytes
	switch opts.KVCache {
	case KVF16:
		m.kvF32 = false
	case KVF32:
		m.kvF32 = true
	default:
		m.kvF32 = m.allF32()
	}
	if opts.PrefixCacheBytes != 0 {
		m.prefix.budget = opts.PrefixCacheBytes
	}
}

// Load opens a model: a GGUF file, or a Hugging Face folder with
// config.json, *.safetensors and tokenizer.json or tokenizer.model (a
// *.safetensors or config.json path in such a folder means the folder).
func Load(path string) (*Model, error) { return LoadWith(path, Options{}) }

// LoadWith is Load with options.
func LoadWith(path string, opts Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	var m *Model
	switch {
	case st.IsDir():
		m, err = loadHF(path)
	case strings.HasSuffix(path, ".safetensors") || filepath.Base(path) == "config.json":
		m, err = loadHF(filepath.Dir(path))
	default:
		m, err = loadGGUF(path)
	}
	if err != nil {
		return nil, err
	}
	m.setOptions(opts)
	return m, nil
}

// allF32 reports whether every matrix of every layer is stored as F32.
func (m *Model) allF32() bool {
	for _, l := range m.Weights.Layers {
		for _, t := range []tensor.Tensor{l.WQ, l.WK, l.WV, l.WO, l.WGate, l.WUp, l.WDown} {
			if len(t.Data) > 0 && t.Type != tensor.F32 {
				return false
			}
		}
	}
	return true
}

// newModel finishes a model whose config and weights are read.
func newModel(c Config, w *Weights, invFreq []float64, info Info, closer func() error) *Model {
	info.TensorTypes = map[string]int{}
	seen := map[*byte]bool{}
	add := func(t tensor.Tensor) {
		if len(t.Data) == 0 || seen[&t.Data[0]] {
			return
		}
		seen[&t.Data[0]] = true
		info.TensorTypes[t.Type.String()]++
		info.Parameters += int64(t.Len())
		info.Bytes += int64(len(t.Data))
	}
	// Norms and biases are F32 vectors: counted as parameters and bytes
	// and as F32 tensors, as the file holds them.
	vector := func(v []float32) {
		if len(v) == 0 {
			return
		}
		info.TensorTypes[tensor.F32.String()]++
		info.Parameters += int64(len(v))
		info.Bytes += 4 * int64(len(v))
	}
	add(w.TokenEmbed)
	add(w.Output)
	add(w.PosEmbed)
	vector(w.OutNorm)
	vector(w.OutNormBias)
	for _, l := range w.Layers {
		for _, t := range []tensor.Tensor{l.WQ, l.WK, l.WV, l.WO, l.WGate, l.WUp, l.WDown} {
			add(t)
		}
		for _, v := range [][]float32{l.AttnNorm, l.FFNNorm, l.BQ, l.BK, l.BV, l.AttnNormBias, l.FFNNormBias, l.BO, l.BUp, l.BDown} {
			vector(v)
		}
	}
	m := &Model{Config: c, Weights: w, invFreq: invFreq, Info: info, closer: closer}
	m.batch = newBatcher(m)
	m.prefix.budget = DefaultPrefixCacheBytes
	m.kvFreed = make(chan struct{})
	return m
}

// Close waits for running generations to end, then stops the model's
// workers and releases its files. Generate fails with ErrClosed from the
// moment Close is called; States from NewState must not be used after it.
// A second Close returns ErrClosed.
func (m *Model) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	m.running.Lock()
	defer m.running.Unlock()
	m.batch.stop()
	m.pool.close()
	if m.closer != nil {
		return m.closer()
	}
	return nil
}

// getState returns an idle State whose cache holds at least n positions.
func (m *Model) getState(n int) *State {
	m.mu.Lock()
	for i, s := range m.free {
		if s.capacity >= n {
			m.free = append(m.free[:i], m.free[i+1:]...)
			m.mu.Unlock()
			s.Reset()
			return s
		}
	}
	m.mu.Unlock()
	// Round up so that a few sizes serve most requests.
	c := 256
	for c < n {
		c *= 2
	}
	return m.NewState(min(c, m.Config.Context))
}

// putState returns s to the pool, keeping at most one idle state per thread.
func (m *Model) putState(s *State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.free) < m.pool.threads {
		m.free = append(m.free, s)
	}
}

// String summarizes the model, as `switchboard model info` prints it.
func (m *Model) String() string {
	c := m.Config
	var b strings.Builder
	fmt.Fprintf(&b, "path:         %s\n", m.Info.Path)
	fmt.Fprintf(&b, "format:       %s\n", m.Info.Format)
	fmt.Fprintf(&b, "architecture: %s\n", c.Arch)
	fmt.Fprintf(&b, "parameters:   %d (%s stored)\n", m.Info.Parameters, humanBytes(m.Info.Bytes))
	fmt.Fprintf(&b, "dim:          %d\nlayers:       %d\nheads:        %d (kv %d, head dim %d)\nff:           %d\nvocab:        %d\n",
		c.Dim, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.FF, c.Vocab)
	fmt.Fprintf(&b, "context:      %d\n", c.Context)
	if c.LearnedPos {
		fmt.Fprintf(&b, "positions:    learned\nnorm:         LayerNorm\nfeed-forward: GELU\n")
	} else {
		fmt.Fprintf(&b, "rope theta:   %g\n", c.RopeTheta)
	}
	if c.RopeScaling.Factor != 0 {
		fmt.Fprintf(&b, "rope scaling: llama3 factor %g (low %g, high %g, original context %d)\n",
			c.RopeScaling.Factor, c.RopeScaling.LowFreqFactor, c.RopeScaling.HighFreqFactor, c.RopeScaling.OriginalContext)
	}
	types := make([]string, 0, len(m.Info.TensorTypes))
	for t, n := range m.Info.TensorTypes {
		types = append(types, fmt.Sprintf("%s×%d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(&b, "tensor types: %s\n", strings.Join(types, ", "))
	fmt.Fprintf(&b, "tied output:  %v\nqkv bias:     %v\n", c.TiedOutput, c.QKVBias)
	fmt.Fprintf(&b, "tokenizer:    %s\n", m.Info.Tokenizer)
	fmt.Fprintf(&b, "template:     %s\n", m.Template.Name)
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// cacheBytes returns the memory of a KV cache of capacity positions:
// keys and values of every layer and KV head.
func (m *Model) cacheBytes(capacity int) int64 {
	c := &m.Config
	return 2 * 2 * int64(m.kvWords()) * int64(c.Layers) * int64(c.KVHeads) * int64(capacity) * int64(c.HeadDim)
}

// reserveKV counts n bytes of KV cache against the budget, waiting while
// they do not fit. Each successful call must be matched by releaseKV(n).
func (m *Model) reserveKV(ctx context.Context, n int64) error {
	if m.kvBudget <= 0 {
		return nil
	}
	if n > m.kvBudget {
		return fmt.Errorf("reserve KV cache of %d bytes: %w (budget %d)", n, ErrKVBudget, m.kvBudget)
	}
	for {
		m.mu.Lock()
		if m.kvUsed+n <= m.kvBudget {
			m.kvUsed += n
			m.mu.Unlock()
			return nil
		}
		freed := m.kvFreed
		m.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return fmt.Errorf("reserve KV cache of %d bytes: %w", n, ctx.Err())
		}
	}
}

// releaseKV returns n bytes reserved by reserveKV and wakes the waiters.
func (m *Model) releaseKV(n int64) {
	if m.kvBudget <= 0 {
		return
	}
	m.mu.Lock()
	m.kvUsed -= n
	close(m.kvFreed)
	m.kvFreed = make(chan struct{})
	m.mu.Unlock()
}

// WeightBytesPerToken returns the bytes of weights one decode step reads
// from memory: every matrix of every layer, the output matrix, and one
// row of the token embeddings (and of the learned positions). Decode
// speed is bounded by memory bandwidth over this.
func (m *Model) WeightBytesPerToken() int64 {
	w := m.Weights
	var n int64
	for _, l := range w.Layers {
		for _, t := range []tensor.Tensor{l.WQ, l.WK, l.WV, l.WO, l.WGate, l.WUp, l.WDown} {
			n += int64(len(t.Data))
		}
	}
	n += int64(len(w.Output.Data))
	for _, t := range []tensor.Tensor{w.TokenEmbed, w.PosEmbed} {
		if len(t.Shape) == 2 && t.Shape[0] > 0 {
			n += int64(len(t.Data) / t.Shape[0])
		}
	}
	return n
}

// kvWords returns the 16-bit words a cached value takes: 1 for half
// precision, 2 for float32.
func (m *Model) kvWords() int {
	if m.kvF32 {
		return 2
	}
	return 1
}

// KVPrecision returns the precision of m's KV caches (KVF16 or KVF32).
func (m *Model) KVPrecision() KVPrecision {
	if m.kvF32 {
		return KVF32
	}
	return KVF16
}

// CacheBytes returns the memory of s's KV cache.
func (s *State) CacheBytes() int64 { return s.m.cacheBytes(s.capacity) }

// KVCacheBytes returns the memory of the KV cache of a State holding
// positions positions (NewState(positions) for positions up to the
// context length).
func (m *Model) KVCacheBytes(positions int) int64 { return m.cacheBytes(positions) }

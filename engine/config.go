package engine

import (
	"fmt"
	"math"
)

// A Config holds a decoder's hyperparameters. It mirrors the GGUF metadata
// keys ({arch}.embedding_length and so on) and Hugging Face's config.json.
type Config struct {
	Arch        string      // general.architecture: "llama" or "qwen2"
	Dim         int         // {arch}.embedding_length: width of the residual stream
	Layers      int         // {arch}.block_count: transformer blocks
	Heads       int         // {arch}.attention.head_count: query heads
	KVHeads     int         // {arch}.attention.head_count_kv: key/value heads; Heads is a multiple (grouped-query attention)
	HeadDim     int         // {arch}.attention.key_length: width of one head, usually Dim/Heads
	FF          int         // {arch}.feed_forward_length: hidden width of the SwiGLU feed-forward
	Vocab       int         // rows of the token embedding table
	Context     int         // {arch}.context_length: the longest sequence the model was trained for
	RopeTheta   float64     // {arch}.rope.freq_base: RoPE base θ; frequency i is θ^(-2i/HeadDim)
	RopeScaling RopeScaling // Llama 3 frequency scaling; the zero value means none
	RopeNeox    bool        // RoPE rotates pairs (i, i+HeadDim/2) (Hugging Face, qwen2) instead of (2i, 2i+1) (GGUF llama, whose Q/K rows are permuted)
	NormEps     float64     // {arch}.attention.layer_norm_rms_epsilon: RMSNorm ε
	TiedOutput  bool        // the output projection is the token embedding table
	QKVBias     bool        // the q, k and v projections add a bias (qwen2, gpt2)

	// GPT-2's differences from the Llama family (all false for llama, qwen2).
	LayerNorm  bool // normalization is LayerNorm (mean, variance, bias) instead of RMSNorm
	LearnedPos bool // positions are learned embeddings added to the input instead of RoPE
	GELU       bool // the feed-forward is Wdown·GELU(Wup·x + b) + b instead of SwiGLU
}

// RopeScaling is Llama 3's RoPE frequency scaling (rope_type "llama3" in
// config.json). In GGUF files the same scaling arrives precomputed as the
// rope_freqs tensor.
type RopeScaling struct {
	Factor          float64 // low frequencies are divided by Factor; zero means no scaling
	LowFreqFactor   float64 // wavelengths above OriginalContext/LowFreqFactor are fully scaled
	HighFreqFactor  float64 // wavelengths below OriginalContext/HighFreqFactor are kept
	OriginalContext int     // the context length before scaling
}

// Limits on hyperparameters read from files, so that a hostile file cannot
// ask for absurd allocations.
const (
	maxDim     = 1 << 16
	maxLayers  = 1 << 10
	maxHeads   = 1 << 10
	maxVocab   = 1 << 22
	maxContext = 1 << 22
)

// KVDim is the width of the keys (and values) of one position of one layer.
func (c Config) KVDim() int { return c.KVHeads * c.HeadDim }

// QDim is the width of the queries of one position.
func (c Config) QDim() int { return c.Heads * c.HeadDim }

// validate checks that c describes a model this package can run.
func (c Config) validate() error {
	check := func(name string, v, max int) error {
		if v <= 0 || v > max {
			return fmt.Errorf("%w: %s = %d, want 1..%d", ErrConfig, name, v, max)
		}
		return nil
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"dim", c.Dim, maxDim}, {"layers", c.Layers, maxLayers}, {"heads", c.Heads, maxHeads},
		{"kv heads", c.KVHeads, maxHeads}, {"head dim", c.HeadDim, maxDim}, {"ff", c.FF, maxDim * 8},
		{"vocab", c.Vocab, maxVocab}, {"context", c.Context, maxContext},
	} {
		if err := check(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("%w: %d heads is not a multiple of %d kv heads", ErrConfig, c.Heads, c.KVHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("%w: head dim %d is odd", ErrConfig, c.HeadDim)
	}
	if !c.LearnedPos && (!(c.RopeTheta > 0) || math.IsInf(c.RopeTheta, 0)) {
		return fmt.Errorf("%w: rope theta %v", ErrConfig, c.RopeTheta)
	}
	if !(c.NormEps > 0) || c.NormEps > 1 {
		return fmt.Errorf("%w: norm epsilon %v", ErrConfig, c.NormEps)
	}
	return nil
}

// ropeInvFreq returns the inverse frequencies of RoPE, one per rotated pair:
// θ^(-2i/HeadDim), with Llama 3 scaling applied as transformers does.
func (c Config) ropeInvFreq() []float64 {
	half := c.HeadDim / 2
	f := make([]float64, half)
	for i := range f {
		// float32 as transformers computes it, so positions rotate identically.
		f[i] = float64(float32(1 / math.Pow(c.RopeTheta, float64(2*i)/float64(c.HeadDim))))
	}
	s := c.RopeScaling
	if s.Factor == 0 {
		return f
	}
	lowWave := float64(s.OriginalContext) / s.LowFreqFactor
	highWave := float64(s.OriginalContext) / s.HighFreqFactor
	for i, freq := range f {
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			// high frequencies are kept
		case wave > lowWave:
			f[i] = freq / s.Factor
		default:
			smooth := (float64(s.OriginalContext)/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			f[i] = (1-smooth)*freq/s.Factor + smooth*freq
		}
	}
	return f
}

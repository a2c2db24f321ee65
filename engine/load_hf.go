package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/switchboard/switchboard/engine/safetensors"
)

// maxJSONFile bounds config.json and tokenizer_config.json.
const maxJSONFile = 16 << 20

// hfConfig is the part of a Hugging Face config.json this package reads.
type hfConfig struct {
	ModelType         string          `json:"model_type"`
	Architectures     []string        `json:"architectures"`
	HiddenSize        int             `json:"hidden_size"`
	Layers            int             `json:"num_hidden_layers"`
	Heads             int             `json:"num_attention_heads"`
	KVHeads           int             `json:"num_key_value_heads"`
	HeadDim           int             `json:"head_dim"`
	Intermediate      int             `json:"intermediate_size"`
	Vocab             int             `json:"vocab_size"`
	MaxPositions      int             `json:"max_position_embeddings"`
	RMSNormEps        float64         `json:"rms_norm_eps"`
	RopeTheta         float64         `json:"rope_theta"`
	RopeScaling       *hfRopeScaling  `json:"rope_scaling"`
	RopeParameters    *hfRopeScaling  `json:"rope_parameters"` // transformers ≥ 5
	TieWordEmbeddings *bool           `json:"tie_word_embeddings"`
	SlidingWindow     json.RawMessage `json:"sliding_window"`
	UseSlidingWindow  bool            `json:"use_sliding_window"`

	// GPT-2's names.
	NEmbd        int     `json:"n_embd"`
	NHead        int     `json:"n_head"`
	NLayer       int     `json:"n_layer"`
	NPositions   int     `json:"n_positions"`
	NInner       int     `json:"n_inner"`
	LayerNormEps float64 `json:"layer_norm_epsilon"`
	Activation   string  `json:"activation_function"`
}

type hfRopeScaling struct {
	RopeType        string  `json:"rope_type"`
	Type            string  `json:"type"` // older name of rope_type
	RopeTheta       float64 `json:"rope_theta"`
	Factor          float64 `json:"factor"`
	LowFreqFactor   float64 `json:"low_freq_factor"`
	HighFreqFactor  float64 `json:"high_freq_factor"`
	OriginalContext int     `json:"original_max_position_embeddings"`
}

// readJSON decodes a small JSON file into v.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJSONFile+1))
	if err != nil {
		return err
	}
	if len(b) > maxJSONFile {
		return fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), maxJSONFile)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Base(path), err)
	}
	return nil
}

// configFromHF turns config.json into a Config. The safetensors weights
// decide what the config leaves open (tied output, q/k/v biases).
func configFromHF(h hfConfig) (Config, error) {
	arch := h.ModelType
	switch arch {
	case "llama", "mistral", "qwen2":
	case "gpt2":
		return gpt2Config(h)
	default:
		return Config{}, fmt.Errorf("%w: model_type %q (want llama, mistral, qwen2 or gpt2)", ErrArch, h.ModelType)
	}
	if h.UseSlidingWindow {
		return Config{}, fmt.Errorf("%w: sliding-window attention", ErrArch)
	}
	c := Config{
		Arch: arch, Dim: h.HiddenSize, Layers: h.Layers, Heads: h.Heads, KVHeads: h.KVHeads,
		HeadDim: h.HeadDim, FF: h.Intermediate, Vocab: h.Vocab, Context: h.MaxPositions,
		RopeTheta: h.RopeTheta, NormEps: h.RMSNormEps, RopeNeox: true,
	}
	if arch == "mistral" {
		c.Arch = "llama"
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim == 0 && c.Heads > 0 {
		c.HeadDim = c.Dim / c.Heads
	}
	if c.NormEps == 0 {
		c.NormEps = 1e-6
	}
	scaling := h.RopeScaling
	if p := h.RopeParameters; p != nil {
		if c.RopeTheta == 0 {
			c.RopeTheta = p.RopeTheta
		}
		if scaling == nil {
			scaling = p
		}
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if s := scaling; s != nil {
		typ := s.RopeType
		if typ == "" {
			typ = s.Type
		}
		switch typ {
		case "", "default":
		case "llama3":
			if s.Factor <= 0 || s.LowFreqFactor <= 0 || s.HighFreqFactor <= s.LowFreqFactor || s.OriginalContext <= 0 {
				return Config{}, fmt.Errorf("%w: llama3 rope_scaling %+v", ErrConfig, *s)
			}
			c.RopeScaling = RopeScaling{Factor: s.Factor, LowFreqFactor: s.LowFreqFactor, HighFreqFactor: s.HighFreqFactor, OriginalContext: s.OriginalContext}
		default:
			return Config{}, fmt.Errorf("%w: rope scaling type %q", ErrConfig, typ)
		}
	}
	return c, c.validate()
}

// loadHF loads a Hugging Face model folder.
func loadHF(dir string) (*Model, error) {
	var h hfConfig
	if err := readJSON(filepath.Join(dir, "config.json"), &h); err != nil {
		return nil, &LoadError{File: dir, Err: fmt.Errorf("read config.json: %w", err)}
	}
	c, err := configFromHF(h)
	if err != nil {
		return nil, &LoadError{File: dir, Err: err}
	}
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, &LoadError{File: dir, Err: err}
	}
	l := &weightLoader{src: set, hf: true, file: dir}
	var w *Weights
	if c.Arch == "gpt2" {
		w, err = loadGPT2Weights(c, l)
	} else {
		c.TiedOutput = !l.has(nameOutput, -1)
		if h.TieWordEmbeddings != nil && *h.TieWordEmbeddings {
			c.TiedOutput = true
		}
		c.QKVBias = l.has(nameBQ, 0)
		w, err = loadWeights(c, l)
	}
	if err != nil {
		set.Close()
		return nil, err
	}
	var invFreq []float64
	if !c.LearnedPos {
		invFreq = c.ropeInvFreq()
	}
	m := newModel(c, w, invFreq, Info{Path: dir, Format: "safetensors"}, set.Close)
	if err := m.loadHFTokenizer(dir); err != nil {
		set.Close()
		return nil, &LoadError{File: dir, Err: err}
	}
	return m, nil
}

package engine

import (
	"fmt"
	"math"
	"os"

	"github.com/switchboard/switchboard/engine/gguf"
)

// configFromGGUF reads a Config from GGUF metadata ({arch}.* keys).
func configFromGGUF(f *gguf.File) (Config, error) {
	arch := f.Arch()
	switch arch {
	case "llama", "qwen2":
	case "":
		return Config{}, fmt.Errorf("%w: general.architecture is missing", ErrArch)
	default:
		return Config{}, fmt.Errorf("%w: %q (want llama or qwen2)", ErrArch, arch)
	}
	var err error
	num := func(key string, def int) int {
		v, ok := f.Uint(arch + "." + key)
		if !ok {
			if def < 0 && err == nil {
				err = fmt.Errorf("%w: %s.%s is missing or not an unsigned integer", ErrConfig, arch, key)
			}
			return def
		}
		if v > math.MaxInt32 {
			if err == nil {
				err = fmt.Errorf("%w: %s.%s = %d is too large", ErrConfig, arch, key, v)
			}
			return 0
		}
		return int(v)
	}
	c := Config{
		Arch:    arch,
		Dim:     num("embedding_length", -1),
		Layers:  num("block_count", -1),
		Heads:   num("attention.head_count", -1),
		FF:      num("feed_forward_length", -1),
		Context: num("context_length", -1),
		// qwen2's GGUF Q/K are not permuted: llama.cpp rotates them NeoX-style.
		RopeNeox: arch == "qwen2",
	}
	c.KVHeads = num("attention.head_count_kv", c.Heads)
	if c.Heads > 0 {
		c.HeadDim = num("attention.key_length", c.Dim/c.Heads)
	}
	if err != nil {
		return Config{}, err
	}
	c.RopeTheta = 10000
	if v, ok := f.Float(arch + ".rope.freq_base"); ok {
		c.RopeTheta = v
	}
	c.NormEps = 1e-5
	if v, ok := f.Float(arch + ".attention.layer_norm_rms_epsilon"); ok {
		c.NormEps = v
	}
	if s, ok := f.String(arch + ".rope.scaling.type"); ok && s != "none" && s != "" {
		return Config{}, fmt.Errorf("%w: rope scaling type %q", ErrConfig, s)
	}
	if t, ok := f.Tensor(nameTokenEmbed.gguf); ok && len(t.Shape) == 2 {
		c.Vocab = t.Shape[0]
	}
	return c, nil
}

// loadGGUF loads a GGUF model file.
func loadGGUF(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	m, err := modelFromGGUF(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

func modelFromGGUF(f *gguf.File, path string) (*Model, error) {
	c, err := configFromGGUF(f)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	l := &weightLoader{src: f, file: path}
	c.TiedOutput = !l.has(nameOutput, -1)
	c.QKVBias = l.has(nameBQ, 0)
	if err := c.validate(); err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	w, err := loadWeights(c, l)
	if err != nil {
		return nil, err
	}
	// llama.cpp's RoPE: θ_i = base^(-2i/d), divided by rope_freqs[i] when
	// the file carries that tensor (Llama 3 scaling, precomputed).
	invFreq := c.ropeInvFreq()
	if l.has(nameRopeFreqs, -1) {
		factors := l.vector(nameRopeFreqs, -1, c.HeadDim/2)
		if l.err != nil {
			return nil, l.err
		}
		for i, fac := range factors {
			if !(fac > 0) || math.IsInf(float64(fac), 0) {
				return nil, &LoadError{File: path, Tensor: nameRopeFreqs.gguf, Err: fmt.Errorf("%w: factor %v", ErrConfig, fac)}
			}
			invFreq[i] /= float64(fac)
		}
	}
	m := newModel(c, w, invFreq, Info{Path: path, Format: "gguf"}, f.Close)
	if err := m.loadGGUFTokenizer(f); err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	if !c.TiedOutput {
		m.openEmbedFile(f, path)
	}
	f.ReleaseMetadata() // everything needed is read: let the vocabulary go
	return m, nil
}

// An embedFile reads the rows of the token embedding table from the model
// file (pread) rather than through its mapping. A prompt touches a few
// hundred scattered rows, and the kernel maps in the 64 KB around each
// page that faults (fault-around), so through the mapping most of the
// table ends up resident although nearly all of it is never read; read
// from the file, the rows cost a system call each and nothing resident.
// Only for a table the output does not share: a tied output reads all of
// it every step anyway.
type embedFile struct {
	f   *os.File
	off int64 // where the table starts in the file
}

// openEmbedFile sets m.embed for the token embedding table of the GGUF
// file f at path, and makes Close close it; it leaves m.embed nil (rows
// read through the mapping) if the file cannot be opened.
func (m *Model) openEmbedFile(f *gguf.File, path string) {
	off, ok := f.TensorOffset(nameTokenEmbed.gguf)
	if !ok {
		return
	}
	fd, err := os.Open(path)
	if err != nil {
		return
	}
	m.embed = &embedFile{f: fd, off: off}
	closeMap := m.closer
	m.closer = func() error {
		fd.Close()
		return closeMap()
	}
}

// embedRow returns the stored embedding row of token tok: read into buf
// (one row's bytes) from the file when m.embed is set, else (or if the
// read fails) the mapped row.
func (m *Model) embedRow(tok int, buf []byte) []byte {
	if e := m.embed; e != nil && len(buf) > 0 {
		if n, _ := e.f.ReadAt(buf, e.off+int64(tok)*int64(len(buf))); n == len(buf) {
			return buf
		}
	}
	return m.Weights.TokenEmbed.Row(tok)
}

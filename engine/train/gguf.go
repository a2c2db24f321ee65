package train

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tensor"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

// GGUFOptions say how SaveGGUF stores a model.
type GGUFOptions struct {
	Name         string      // general.name; "switchboard" when empty
	Type         tensor.Type // type of the matrices: F32 (the zero value), F16, Q8_0...; norms are always F32
	ChatTemplate string      // tokenizer.chat_template; left out when empty
}

// SaveGGUF writes m with vocabulary v as a GGUF file of architecture
// "llama" under the metadata keys llama.cpp reads, atomically (a
// temporary file renamed). The output projection is tied: there is no
// output.weight, and both engine and llama.cpp then use token_embd.
func (m *Model) SaveGGUF(path string, v tokenizer.Vocab, o GGUFOptions) error {
	c := m.Config
	if len(v.Tokens) != c.Vocab {
		return fmt.Errorf("save gguf: vocabulary of %d tokens for a model of %d", len(v.Tokens), c.Vocab)
	}
	name := o.Name
	if name == "" {
		name = "switchboard"
	}
	meta := []gguf.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "general.name", Value: name},
		{Key: "general.file_type", Value: uint32(fileType(o.Type))},
		{Key: "llama.vocab_size", Value: uint32(c.Vocab)},
		{Key: "llama.context_length", Value: uint32(c.Context)},
		{Key: "llama.embedding_length", Value: uint32(c.Dim)},
		{Key: "llama.block_count", Value: uint32(c.Layers)},
		{Key: "llama.feed_forward_length", Value: uint32(c.FF)},
		{Key: "llama.attention.head_count", Value: uint32(c.Heads)},
		{Key: "llama.attention.head_count_kv", Value: uint32(c.KVHeads)},
		{Key: "llama.rope.freq_base", Value: float32(c.RopeTheta)},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: float32(c.NormEps)},
		{Key: "llama.rope.dimension_count", Value: uint32(c.HeadDim())},
	}
	meta = append(meta, v.Metadata()...)
	if o.ChatTemplate != "" {
		meta = append(meta, gguf.KV{Key: tokenizer.KeyChatTemplate, Value: o.ChatTemplate})
	}
	var ts []tensor.Tensor
	for _, nt := range m.tensors() {
		typ := o.Type
		if nt.norm || !typ.Supported() {
			typ = tensor.F32
		}
		data, err := encode(typ, nt.data, nt.shape[len(nt.shape)-1])
		if err != nil {
			return fmt.Errorf("save gguf: %s: %w", nt.name, err)
		}
		ts = append(ts, tensor.Tensor{Name: nt.name, Type: typ, Shape: nt.shape, Data: data})
	}
	if err := gguf.WriteFile(path, meta, ts); err != nil {
		return fmt.Errorf("save gguf: %w", err)
	}
	return nil
}

// fileType is general.file_type (llama_ftype) of a model whose matrices
// are of type t: 0 all F32, 1 mostly F16, 7 mostly Q8_0.
func fileType(t tensor.Type) int {
	switch t {
	case tensor.F16:
		return 1
	case tensor.Q8_0:
		return 7
	case tensor.BF16:
		return 32
	}
	return 0
}

// encode stores x (rows of cols) in type t.
func encode(t tensor.Type, x []float32, cols int) ([]byte, error) {
	switch t {
	case tensor.F32:
		b := make([]byte, 4*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b, nil
	case tensor.F16:
		b := make([]byte, 2*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint16(b[2*i:], tensor.Float32ToFloat16(v))
		}
		return b, nil
	}
	rb, err := t.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	rows := len(x) / cols
	b := make([]byte, rows*rb)
	for r := 0; r < rows; r++ {
		if err := tensor.Quantize(t, b[r*rb:(r+1)*rb], x[r*cols:(r+1)*cols]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// LoadGGUF reads the model file at path for further training; see
// FromGGUF.
func LoadGGUF(path string) (*Model, tokenizer.Vocab, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("load gguf: %w", err)
	}
	defer f.Close()
	m, v, err := FromGGUF(f)
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("load gguf %s: %w", path, err)
	}
	return m, v, nil
}

// FromGGUF is the inverse of SaveGGUF: it reads a model of architecture
// "llama" with a tied output and no biases (what SaveGGUF writes), its
// shape from the metadata and its vocabulary, into a Model for further
// training. Matrices of any type the runtime reads (F32, F16, BF16,
// Q8_0...) are dequantized to float32. A tensor the trainer has no place
// for (an untied output, a bias) is an error rather than silently
// dropped. The returned model does not refer to f, which may be closed.
func FromGGUF(f *gguf.File) (*Model, tokenizer.Vocab, error) {
	if a := f.Arch(); a != "llama" {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: architecture %q, want llama", a)
	}
	num := func(k string) int {
		v, _ := f.Uint("llama." + k)
		return int(min(v, 1<<30))
	}
	c := Config{
		Dim: num("embedding_length"), Layers: num("block_count"), Heads: num("attention.head_count"),
		KVHeads: num("attention.head_count_kv"), FF: num("feed_forward_length"),
		Context: num("context_length"),
	}
	if v, ok := f.Float("llama.rope.freq_base"); ok {
		c.RopeTheta = decimal32(v)
	}
	if v, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); ok {
		c.NormEps = decimal32(v)
	}
	if t, ok := f.Tensor("token_embd.weight"); ok && len(t.Shape) == 2 {
		c.Vocab = t.Shape[0]
	}
	if _, ok := f.Tensor("output.weight"); ok {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: untied output projection is not supported")
	}
	m, err := NewModel(c, 0)
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: %w", err)
	}
	if rd, ok := f.Uint("llama.rope.dimension_count"); ok && int(rd) != m.Config.HeadDim() {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: rope over %d of %d head dimensions is not supported", rd, m.Config.HeadDim())
	}
	nts := m.tensors()
	if n := len(f.Tensors()); n != len(nts) {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: %d tensors, want %d (biases or extra tensors are not supported)", n, len(nts))
	}
	for _, nt := range nts {
		t, ok := f.Tensor(nt.name)
		if !ok {
			return nil, tokenizer.Vocab{}, fmt.Errorf("read model: tensor %s is missing", nt.name)
		}
		if !slices.Equal(t.Shape, nt.shape) {
			return nil, tokenizer.Vocab{}, fmt.Errorf("read model: tensor %s has shape %v, want %v", nt.name, t.Shape, nt.shape)
		}
		x, err := t.Float32s()
		if err != nil {
			return nil, tokenizer.Vocab{}, fmt.Errorf("read model: tensor %s: %w", nt.name, err)
		}
		copy(nt.data, x)
	}
	v, err := tokenizer.VocabFromGGUF(f)
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: %w", err)
	}
	if len(v.Tokens) != m.Config.Vocab {
		return nil, tokenizer.Vocab{}, fmt.Errorf("read model: vocabulary of %d tokens for an embedding of %d", len(v.Tokens), m.Config.Vocab)
	}
	return m, v, nil
}

// decimal32 returns the shortest decimal that rounds to the float32 v:
// SaveGGUF stores Config's float64 fields as float32, and this gives
// back 1e-5 rather than 9.999999747378752e-06.
func decimal32(v float64) float64 {
	d, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
	if err != nil {
		return v
	}
	return d
}

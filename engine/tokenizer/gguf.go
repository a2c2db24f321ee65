package tokenizer

import (
	"fmt"
	"slices"

	"github.com/switchboard/switchboard/engine/gguf"
)

// GGUF metadata keys of the tokenizer.
const (
	KeyModel                 = "tokenizer.ggml.model"
	KeyPre                   = "tokenizer.ggml.pre"
	KeyTokens                = "tokenizer.ggml.tokens"
	KeyScores                = "tokenizer.ggml.scores"
	KeyTokenType             = "tokenizer.ggml.token_type"
	KeyMerges                = "tokenizer.ggml.merges"
	KeyBOS                   = "tokenizer.ggml.bos_token_id"
	KeyEOS                   = "tokenizer.ggml.eos_token_id"
	KeyUnknown               = "tokenizer.ggml.unknown_token_id"
	KeyPadding               = "tokenizer.ggml.padding_token_id"
	KeyEOT                   = "tokenizer.ggml.eot_token_id"
	KeyEOM                   = "tokenizer.ggml.eom_token_id"
	KeyAddBOS                = "tokenizer.ggml.add_bos_token"
	KeyAddEOS                = "tokenizer.ggml.add_eos_token"
	KeyAddSpacePrefix        = "tokenizer.ggml.add_space_prefix"
	KeyRemoveExtraWhitespace = "tokenizer.ggml.remove_extra_whitespaces"
	KeyChatTemplate          = "tokenizer.chat_template"
)

// VocabFromGGUF reads the tokenizer.ggml.* metadata of f, applying
// llama.cpp's defaults for absent keys: for "llama", BOS 1, EOS 2, unknown
// 0, AddBOS and AddSpacePrefix true; for "gpt2", AddBOS true only with the
// Llama 3 pre-tokenizer ("llama-bpe"). The slices share f's memory.
func VocabFromGGUF(f *gguf.File) (Vocab, error) {
	v := Vocab{BOS: -1, EOS: -1, Unknown: -1, Padding: -1}
	var ok bool
	if v.Model, ok = f.String(KeyModel); !ok {
		return v, fmt.Errorf("read tokenizer: no string %s", KeyModel)
	}
	v.Pre, _ = f.String(KeyPre)
	if v.Tokens, ok = f.Strings(KeyTokens); !ok {
		return v, fmt.Errorf("read tokenizer: no string array %s", KeyTokens)
	}
	if _, present := f.Value(KeyScores); present {
		if v.Scores, ok = f.Float32s(KeyScores); !ok {
			return v, fmt.Errorf("read tokenizer: %s is not a float array", KeyScores)
		}
	}
	if _, present := f.Value(KeyTokenType); present {
		if v.Types, ok = f.Int32s(KeyTokenType); !ok {
			return v, fmt.Errorf("read tokenizer: %s is not an int32 array", KeyTokenType)
		}
	}
	if _, present := f.Value(KeyMerges); present {
		if v.Merges, ok = f.Strings(KeyMerges); !ok {
			return v, fmt.Errorf("read tokenizer: %s is not a string array", KeyMerges)
		}
	}
	switch v.Model {
	case ModelSPM:
		v.BOS, v.EOS, v.Unknown = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix = true, true
	case ModelBPE:
		v.AddBOS = preKinds[v.Pre] == "llama-bpe"
	}
	n := len(v.Tokens)
	for _, k := range []struct {
		key string
		id  *int
	}{{KeyBOS, &v.BOS}, {KeyEOS, &v.EOS}, {KeyUnknown, &v.Unknown}, {KeyPadding, &v.Padding}} {
		if id, ok := ggufID(f, k.key, n); ok {
			*k.id = id
		}
	}
	for _, k := range []struct {
		key string
		b   *bool
	}{{KeyAddBOS, &v.AddBOS}, {KeyAddEOS, &v.AddEOS}, {KeyAddSpacePrefix, &v.AddSpacePrefix}} {
		if b, ok := f.Bool(k.key); ok {
			*k.b = b
		}
	}
	for _, id := range []*int{&v.BOS, &v.EOS, &v.Unknown} {
		if *id >= n {
			*id = -1 // a default beyond a tiny vocabulary
		}
	}
	return v, nil
}

// ggufID reads a token id key; ids out of range count as absent.
func ggufID(f *gguf.File, key string, n int) (int, bool) {
	u, ok := f.Uint(key)
	if !ok || u >= uint64(n) {
		return 0, false
	}
	return int(u), true
}

// FromGGUF builds the Tokenizer of a GGUF file from its tokenizer.ggml.*
// metadata (see VocabFromGGUF). The end-of-turn ids (eot_token_id,
// eom_token_id) end generation too.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := VocabFromGGUF(f)
	if err != nil {
		return nil, err
	}
	o := options{shareTokens: true} // read-only File metadata
	if v.Model == ModelSPM {
		rm, _ := f.Bool(KeyRemoveExtraWhitespace)
		o.spmNormSet = true
		o.spmNorm = spmNormalizer{addDummyPrefix: v.AddSpacePrefix, removeExtraWhitespaces: rm}
	}
	for _, key := range []string{KeyEOT, KeyEOM} {
		if id, ok := ggufID(f, key, len(v.Tokens)); ok {
			o.eog = append(o.eog, id)
		}
	}
	t, err := newTokenizer(v, o)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer from gguf: %w", err)
	}
	return t, nil
}

// loadGGUF reads the tokenizer of the GGUF file at path.
func loadGGUF(path string) (*Tokenizer, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return FromGGUF(f)
}

// Metadata returns v as GGUF tokenizer.ggml.* metadata, as llama.cpp's
// converter writes it: ids as uint32 (absent ids left out), token types
// as int32, and add_space_prefix only for "llama". A Pre of "" or "custom"
// is left out.
func (v Vocab) Metadata() []gguf.KV {
	meta := []gguf.KV{{Key: KeyModel, Value: v.Model}}
	if v.Pre != "" && v.Pre != "custom" {
		meta = append(meta, gguf.KV{Key: KeyPre, Value: v.Pre})
	}
	meta = append(meta, gguf.KV{Key: KeyTokens, Value: slices.Clone(v.Tokens)})
	if v.Scores != nil {
		meta = append(meta, gguf.KV{Key: KeyScores, Value: slices.Clone(v.Scores)})
	}
	if v.Types != nil {
		meta = append(meta, gguf.KV{Key: KeyTokenType, Value: slices.Clone(v.Types)})
	}
	if v.Merges != nil {
		meta = append(meta, gguf.KV{Key: KeyMerges, Value: slices.Clone(v.Merges)})
	}
	for _, id := range []struct {
		key string
		id  int
	}{{KeyBOS, v.BOS}, {KeyEOS, v.EOS}, {KeyUnknown, v.Unknown}, {KeyPadding, v.Padding}} {
		if id.id >= 0 {
			meta = append(meta, gguf.KV{Key: id.key, Value: uint32(id.id)})
		}
	}
	meta = append(meta, gguf.KV{Key: KeyAddBOS, Value: v.AddBOS}, gguf.KV{Key: KeyAddEOS, Value: v.AddEOS})
	if v.Model == ModelSPM {
		meta = append(meta, gguf.KV{Key: KeyAddSpacePrefix, Value: v.AddSpacePrefix})
	}
	return meta
}

// Package tokenizer turns text into token ids and back, agreeing with the
// reference implementations (Hugging Face tokenizers, SentencePiece and
// llama.cpp) id for id.
//
// Two kinds of vocabulary are supported:
//
//   - Byte-level BPE ("gpt2" in GGUF terms: GPT-2, Llama 3, Qwen2, SmolLM2).
//     Text is split into words by a pre-tokenizer (a hand-written scanner
//     for each known regular expression, since Go's regexp has no
//     look-ahead; other expressions run on Go's regexp with the
//     look-ahead tail done by hand), every byte of a word is mapped to one
//     symbol and symbols are merged by merge rank.
//   - SentencePiece BPE ("llama" in GGUF terms: Llama 2, TinyLlama,
//     Mistral). Spaces become "▁", a dummy prefix is added, symbols (one per
//     character) are merged by piece score (by merge rank for a
//     SentencePiece-style tokenizer.json), and characters outside the
//     vocabulary fall back to <0xXX> byte tokens.
//
// A Tokenizer comes from a Vocab (the GGUF tokenizer.ggml.* metadata, see
// New and FromGGUF) or from a file (Load): tokenizer.json, tokenizer.model,
// a GGUF file, or a model folder. Tokenizer.Vocab and Vocab.Metadata go the
// other way, for writing GGUF files.
//
// # Special tokens
//
// Encode treats special-token strings such as "<|im_start|>" or "</s>" in
// its input as plain text, so user text can never forge a control token.
// Tokens that the vocabulary marks as user-defined (Hugging Face added
// tokens that are not special) are matched as single tokens by both Encode
// and EncodeSpecial, as the reference implementations do. EncodeSpecial also
// matches control tokens; use it for prompts built by a chat template.
//
// # Concurrency
//
// A Tokenizer is immutable after construction except for an internal word
// cache guarded by a mutex; all its methods are safe for concurrent use. A
// Decoder is not: use one per stream.
package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Token types, as stored in GGUF tokenizer.ggml.token_type and in
// SentencePiece's ModelProto.
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Model names, as in GGUF tokenizer.ggml.model.
const (
	ModelBPE = "gpt2"  // byte-level BPE
	ModelSPM = "llama" // SentencePiece BPE with byte fallback
)

// ErrUnsupported reports a tokenizer kind, pre-tokenizer or normalizer this
// package does not implement.
var ErrUnsupported = errors.New("tokenizer: unsupported")

// A Vocab describes a tokenizer in the terms of GGUF's tokenizer.ggml.*
// metadata. Slices are read by New and not retained after it returns.
type Vocab struct {
	Model  string    // "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE)
	Pre    string    // byte-level pre-tokenizer: "gpt-2" (also "default" or ""), "llama-bpe", "qwen2", "smollm", ...
	Tokens []string  // token text by id; byte-level tokens in GPT-2's byte-to-unicode form
	Scores []float32 // SentencePiece piece scores by id; nil for byte-level BPE
	Types  []int32   // Type* by id; nil means all TypeNormal (byte tokens detected by name for "llama")
	Merges []string  // byte-level BPE merges, "left right", best first

	BOS, EOS, Unknown, Padding int // token ids; -1 when absent

	AddBOS, AddEOS bool // whether a prompt should start with BOS / end with EOS (the caller adds them)
	AddSpacePrefix bool // SentencePiece: prepend "▁" to the text (GGUF tokenizer.ggml.add_space_prefix; FromGGUF makes it true when absent)
}

// A Tokenizer encodes text to token ids and decodes ids to text. It is safe
// for concurrent use.
type Tokenizer struct {
	model  string
	pre    string
	tokens []string
	types  []int32
	toID   idIndex[strs] // token text -> id (first id wins)
	text   texts         // decoded bytes of each token

	bos, eos, unk, pad int
	addBOS, addEOS     bool
	eog                map[int]bool

	always  *matcher // user-defined tokens, matched by Encode and EncodeSpecial
	special *matcher // user-defined and control tokens, matched by EncodeSpecial

	bpe *bpeModel // set for byte-level BPE
	spm *spmModel // set for SentencePiece BPE
}

// New builds a Tokenizer from v. It fails when v is inconsistent (lengths
// differ, ids out of range) or names a model or pre-tokenizer this package
// does not implement (ErrUnsupported).
func New(v Vocab) (*Tokenizer, error) {
	return newTokenizer(v, options{})
}

// options carries what a Vocab cannot say but a tokenizer.json can.
type options struct {
	splitter     splitter    // overrides the splitter named by Vocab.Pre
	ignoreMerges *bool       // overrides the default for Vocab.Pre
	prefixSpace  bool        // byte-level: prepend a space to each fragment that does not start with one
	pairs        [][2]string // byte-level merges as pairs, instead of Vocab.Merges
	spmNorm      spmNormalizer
	spmNormSet   bool
	strip        map[int]stripRule   // added tokens that swallow neighbouring whitespace
	eog          []int               // further end-of-generation ids
	normalize    func(string) string // byte-level: applied to text between added tokens
	shareTokens  bool                // keep Vocab.Tokens itself: nobody modifies it (a GGUF file's)
}

// stripRule says whether an added token swallows whitespace on its left or right.
type stripRule struct{ left, right bool }

func newTokenizer(v Vocab, o options) (*Tokenizer, error) {
	n := len(v.Tokens)
	if n == 0 {
		return nil, errors.New("new tokenizer: empty vocabulary")
	}
	if v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("new tokenizer: %d token types for %d tokens", len(v.Types), n)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return nil, fmt.Errorf("new tokenizer: %d scores for %d tokens", len(v.Scores), n)
	}
	for _, id := range []struct {
		name string
		id   int
	}{{"BOS", v.BOS}, {"EOS", v.EOS}, {"unknown", v.Unknown}, {"padding", v.Padding}} {
		if id.id < -1 || id.id >= n {
			return nil, fmt.Errorf("new tokenizer: %s id %d out of range [0,%d)", id.name, id.id, n)
		}
	}
	t := &Tokenizer{
		model:  v.Model,
		pre:    v.Pre,
		tokens: v.Tokens,
		types:  make([]int32, n),
		bos:    v.BOS, eos: v.EOS, unk: v.Unknown, pad: v.Padding,
		addBOS: v.AddBOS, addEOS: v.AddEOS,
	}
	if !o.shareTokens {
		t.tokens = append([]string(nil), v.Tokens...)
	}
	t.toID = newIDIndex(strs(t.tokens), nil)
	for i := range t.tokens {
		t.types[i] = TypeNormal
		if v.Types != nil && v.Types[i] != 0 {
			t.types[i] = v.Types[i]
		}
	}
	var err error
	switch v.Model {
	case ModelBPE:
		err = t.initBPE(v, o)
	case ModelSPM:
		err = t.initSPM(v, o)
	default:
		err = fmt.Errorf("%w: tokenizer model %q", ErrUnsupported, v.Model)
	}
	if err != nil {
		return nil, fmt.Errorf("new tokenizer: %w", err)
	}
	t.initSpecial(o.strip)
	t.initEOG(o.eog)
	return t, nil
}

// initSpecial builds the matchers for user-defined and control tokens.
func (t *Tokenizer) initSpecial(strip map[int]stripRule) {
	var always, special []matchEntry
	for id, typ := range t.types {
		s := t.tokens[id]
		if s == "" {
			continue
		}
		e := matchEntry{text: s, id: id, strip: strip[id]}
		switch typ {
		case TypeUserDefined:
			always = append(always, e)
			special = append(special, e)
		case TypeControl:
			special = append(special, e)
		}
	}
	t.always = newMatcher(always)
	t.special = newMatcher(special)
}

// eogNames are the end-of-generation tokens llama.cpp recognises by name.
var eogNames = []string{
	"<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|end|>", "<end_of_turn>",
	"<|end_of_text|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end▁of▁sentence|>",
	"<｜end▁of▁sentence｜>", "</s>",
}

func (t *Tokenizer) initEOG(extra []int) {
	t.eog = make(map[int]bool)
	for _, id := range extra {
		if id >= 0 && id < len(t.tokens) {
			t.eog[id] = true
		}
	}
	if t.eos >= 0 {
		t.eog[t.eos] = true
	}
	for _, name := range eogNames {
		id32, ok := t.toID.get(name)
		if !ok {
			continue
		}
		id := int(id32)
		// A byte-level vocabulary may hold "</s>" as an ordinary mergeable
		// word; only control tokens (or the EOS itself) end generation.
		if t.types[id] == TypeControl || t.types[id] == TypeUserDefined || id == t.eos {
			t.eog[id] = true
		}
	}
}

// Vocab returns the tokenizer as GGUF's tokenizer.ggml.* metadata
// describes it, for writing a GGUF file; the slices are fresh copies.
// New(t.Vocab()) encodes like t, except where a tokenizer.json said what
// GGUF cannot: a pre-tokenizer with no GGUF name (Pre is then "custom",
// which New rejects), a normalizer, or an ignore_merges other than
// llama.cpp's choice for the pre-tokenizer. A SentencePiece-style
// tokenizer.json has merges but no scores: its Vocab scores each merge's
// result by -rank and other multi-character pieces lowest, which gives the
// same ids unless a piece can be formed by a pair that is no merge.
func (t *Tokenizer) Vocab() Vocab {
	v := Vocab{Model: t.model, Pre: t.pre,
		Tokens: slices.Clone(t.tokens), Types: slices.Clone(t.types),
		BOS: t.bos, EOS: t.eos, Unknown: t.unk, Padding: t.pad, AddBOS: t.addBOS, AddEOS: t.addEOS}
	if t.spm != nil {
		v.Scores = slices.Clone(t.spm.scores)
		v.AddSpacePrefix = t.spm.norm.addDummyPrefix
		if t.spm.ranks != nil {
			v.Scores = t.spm.rankScores(t.tokens)
		}
	}
	if t.bpe != nil {
		v.Merges = slices.Clone(t.bpe.mergeList)
	}
	return v
}

// Len returns the number of tokens in the vocabulary.
func (t *Tokenizer) Len() int { return len(t.tokens) }

// Model returns "gpt2" for byte-level BPE or "llama" for SentencePiece BPE.
func (t *Tokenizer) Model() string { return t.model }

// Pre returns the byte-level pre-tokenizer name ("gpt-2", "llama-bpe",
// "qwen2", "smollm", ...), or "" for SentencePiece.
func (t *Tokenizer) Pre() string { return t.pre }

// BOS returns the beginning-of-sequence id, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the end-of-sequence id, or -1.
func (t *Tokenizer) EOS() int { return t.eos }

// Unknown returns the unknown-token id, or -1.
func (t *Tokenizer) Unknown() int { return t.unk }

// AddBOS reports whether a prompt should start with BOS. Encode never adds
// it; the caller does.
func (t *Tokenizer) AddBOS() bool { return t.addBOS && t.bos >= 0 }

// AddEOS reports whether an encoded sequence should end with EOS.
func (t *Tokenizer) AddEOS() bool { return t.addEOS && t.eos >= 0 }

// IsEOG reports whether id ends generation: EOS, or a control token such as
// <|eot_id|>, <|im_end|> or <|endoftext|>.
func (t *Tokenizer) IsEOG(id int) bool { return t.eog[id] }

// EOG returns the end-of-generation ids in increasing order.
func (t *Tokenizer) EOG() []int {
	ids := make([]int, 0, len(t.eog))
	for id := range len(t.tokens) {
		if t.eog[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// IsControl reports whether id is a control token (BOS, EOS, <|im_start|>,
// ...), which a chat UI would normally not show.
func (t *Tokenizer) IsControl(id int) bool {
	return id >= 0 && id < len(t.types) && t.types[id] == TypeControl
}

// Type returns the Type* of id, or 0 when id is out of range.
func (t *Tokenizer) Type(id int) int {
	if id < 0 || id >= len(t.types) {
		return 0
	}
	return int(t.types[id])
}

// Token returns the vocabulary text of id as stored (byte-level tokens in
// GPT-2's byte-to-unicode form, SentencePiece pieces with "▁"), or "" when
// id is out of range.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// ID returns the id of the vocabulary text piece, as Token spells it.
func (t *Tokenizer) ID(piece string) (int, bool) {
	id, ok := t.toID.get(piece)
	return int(id), ok
}

// Encode returns the token ids of text, without BOS or EOS. Control-token
// strings in text are encoded as plain text; user-defined tokens are matched.
func (t *Tokenizer) Encode(text string) []int {
	return t.encode(text, t.always)
}

// EncodeSpecial is Encode, except that control tokens written in text (such
// as "<|im_start|>" or "</s>") become their single ids.
func (t *Tokenizer) EncodeSpecial(text string) []int {
	return t.encode(text, t.special)
}

func (t *Tokenizer) encode(text string, m *matcher) []int {
	var ids []int
	atStart := true
	m.split(text, func(frag string, id int) {
		switch {
		case id >= 0:
			ids = append(ids, id)
		case t.spm != nil:
			ids = t.spm.encode(ids, frag, atStart)
		default:
			ids = t.bpe.encode(ids, frag)
		}
		atStart = false
	})
	return ids
}

// Decode returns the text of ids. Control tokens are rendered as their text
// (use IsControl to leave them out); ids out of range are skipped. For
// SentencePiece the dummy-prefix space of the first piece is removed. Bytes
// are returned as decoded, even when they are not valid UTF-8.
func (t *Tokenizer) Decode(ids []int) string {
	var b strings.Builder
	d := t.NewDecoder()
	for _, id := range ids {
		d.appendTo(&b, id)
	}
	return b.String()
}

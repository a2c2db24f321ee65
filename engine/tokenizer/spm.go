package tokenizer

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// spmModel is SentencePiece BPE: spaces become "▁", one symbol per
// character, adjacent symbols merge into the piece with the highest score,
// and characters that are no piece fall back to <0xXX> byte tokens.
type spmModel struct {
	pieces       map[string]int32 // pieces BPE may produce (normal, user-defined, unused) -> id
	scores       []float32
	byteID       [256]int32 // id of <0xXX>, -1 when absent
	byteFallback bool
	unk          int
	norm         spmNormalizer

	// Set for a SentencePiece-style tokenizer.json: merges by rank of the
	// (left, right) pair, as Hugging Face's BPE does, instead of by score.
	ranks        map[uint64]bpeMerge
	mergeList    []string
	ignoreMerges bool
}

// spmNormalizer is the part of SentencePiece's NormalizerSpec this package
// implements (the "identity" normalization rule).
type spmNormalizer struct {
	addDummyPrefix         bool // prepend "▁"
	removeExtraWhitespaces bool // drop leading and trailing spaces, squeeze runs
	prefixAtStartOnly      bool // the dummy prefix only for text at the start of the input (Metaspace prepend_scheme "first")
	splitWords             bool // BPE within words that each start at a "▁" (Metaspace split)
}

const spaceMark = "▁" // U+2581, SentencePiece's visible space

func (t *Tokenizer) initSPM(v Vocab, o options) error {
	m := &spmModel{
		pieces: make(map[string]int32, len(t.tokens)),
		scores: make([]float32, len(t.tokens)),
		unk:    v.Unknown,
		norm:   spmNormalizer{addDummyPrefix: v.AddSpacePrefix},
	}
	if o.spmNormSet {
		m.norm = o.spmNorm
	}
	copy(m.scores, v.Scores)
	if o.pairs != nil {
		m.ranks, m.mergeList = mergeTable(&t.toID, o.pairs)
	}
	if o.ignoreMerges != nil {
		m.ignoreMerges = *o.ignoreMerges
	}
	for i := range m.byteID {
		m.byteID[i] = -1
	}
	t.pre = ""
	t.text = newTexts(len(t.tokens), func(id int) string {
		s, typ := t.tokens[id], t.types[id]
		if b, ok := parseByteToken(s); ok && (typ == TypeByte || v.Types == nil) {
			t.types[id] = TypeByte
			if m.byteID[b] < 0 {
				m.byteID[b] = int32(id)
			}
			m.byteFallback = true
			return string([]byte{b})
		}
		switch typ {
		case TypeNormal, TypeUserDefined, TypeUnused:
			if _, dup := m.pieces[s]; !dup {
				m.pieces[s] = int32(id)
			}
			return strings.ReplaceAll(s, spaceMark, " ")
		}
		return s
	})
	t.spm = m
	return nil
}

// parseByteToken parses "<0xXX>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(n), true
}

// normalize applies the normalizer and escapes spaces. atStart says text
// begins the input. It returns "" for text that normalizes to nothing.
func (n spmNormalizer) normalize(text string, atStart bool) string {
	if n.removeExtraWhitespaces {
		text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == ' ' }), " ")
	}
	if text == "" {
		return ""
	}
	if n.addDummyPrefix && (atStart || !n.prefixAtStartOnly) {
		text = " " + text
	}
	return strings.ReplaceAll(text, " ", spaceMark)
}

// encode appends the ids of text (no added tokens in it) to ids. atStart
// says text begins the input. Like llama.cpp and Hugging Face's legacy
// Llama tokenizer, every fragment between added tokens gets the dummy
// prefix, unless the normalizer says only the first.
func (m *spmModel) encode(ids []int, text string, atStart bool) []int {
	s := m.norm.normalize(text, atStart)
	if !m.norm.splitWords {
		return m.word(ids, s)
	}
	for s != "" {
		end := strings.Index(s[1:], spaceMark) + 1 // each word runs to the next "▁"
		if end == 0 {
			end = len(s)
		}
		ids = m.word(ids, s[:end])
		s = s[end:]
	}
	return ids
}

// word appends the ids of the normalized text s.
func (m *spmModel) word(ids []int, s string) []int {
	if s == "" {
		return ids
	}
	if id, ok := m.pieces[s]; ok && m.ignoreMerges {
		return append(ids, int(id))
	}
	syms := make([]symbol, 0, len(s))
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		id, ok := m.pieces[s[i:i+size]]
		if !ok {
			id = -1
		}
		n := len(syms)
		syms = append(syms, symbol{start: i, end: i + size, prev: n - 1, next: n + 1, id: id})
		i += size
	}
	syms[len(syms)-1].next = -1
	first := mergeSymbols(syms, func(l, r *symbol) (float64, int32, bool) {
		if m.ranks != nil {
			mg, ok := m.ranks[pairKey(l.id, r.id)]
			return float64(mg.rank), mg.id, ok && l.id >= 0 && r.id >= 0
		}
		id, ok := m.pieces[s[l.start:r.end]]
		if !ok {
			return 0, 0, false
		}
		return -float64(m.scores[id]), id, true
	})
	for i := first; i >= 0; i = syms[i].next {
		sy := syms[i]
		if sy.id >= 0 {
			ids = append(ids, int(sy.id))
			continue
		}
		ids = m.fallback(ids, s[sy.start:sy.end])
	}
	return ids
}

// fallback appends the byte tokens of piece, or the unknown token.
func (m *spmModel) fallback(ids []int, piece string) []int {
	if m.byteFallback {
		for i := 0; i < len(piece); i++ {
			if id := m.byteID[piece[i]]; id >= 0 {
				ids = append(ids, int(id))
			} else if m.unk >= 0 {
				ids = append(ids, m.unk)
			}
		}
		return ids
	}
	if m.unk >= 0 {
		ids = append(ids, m.unk)
	}
	return ids
}

// rankScores turns merge ranks into SentencePiece scores: -rank for the
// result of a merge, 0 for single characters, and lowest for other pieces,
// which no merge makes.
func (m *spmModel) rankScores(tokens []string) []float32 {
	scores := make([]float32, len(tokens))
	for id, s := range tokens {
		if utf8.RuneCountInString(s) > 1 {
			scores[id] = -math.MaxFloat32
		}
	}
	for _, mg := range m.ranks {
		scores[mg.id] = max(scores[mg.id], -float32(mg.rank))
	}
	return scores
}

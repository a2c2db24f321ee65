package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Hugging Face tokenizer.json, the parts this package reads.
type hfFile struct {
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    *hfNormalizer   `json:"normalizer"`
	PreTokenizer  *hfPre          `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         hfModel         `json:"model"`
}

type hfAddedToken struct {
	ID      int    `json:"id"`
	Content string `json:"content"`
	LStrip  bool   `json:"lstrip"`
	RStrip  bool   `json:"rstrip"`
	Special bool   `json:"special"`
}

type hfNormalizer struct {
	Type        string         `json:"type"`
	Normalizers []hfNormalizer `json:"normalizers"`
	Prepend     string         `json:"prepend"` // Prepend
	Pattern     struct {
		String *string `json:"String"`
	} `json:"pattern"` // Replace
	Content string `json:"content"` // Replace
}

type hfPre struct {
	Type          string  `json:"type"`
	Pretokenizers []hfPre `json:"pretokenizers"`
	Pattern       struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior         string `json:"behavior"`
	Invert           bool   `json:"invert"`
	AddPrefixSpace   bool   `json:"add_prefix_space"`
	UseRegex         *bool  `json:"use_regex"`
	IndividualDigits bool   `json:"individual_digits"`
	Replacement      string `json:"replacement"`    // Metaspace
	PrependScheme    string `json:"prepend_scheme"` // Metaspace: "always", "first" or "never"
	Split            *bool  `json:"split"`          // Metaspace, default true
}

type hfModel struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
}

// maxVocab bounds the ids a tokenizer file may use, so that a hostile file
// cannot make us allocate without bound.
const maxVocab = 1 << 22

// parseHFJSON builds a Tokenizer from tokenizer.json bytes: byte-level BPE
// (a ByteLevel pre-tokenizer), or SentencePiece-style BPE with byte
// fallback (spaces replaced by "▁", as Llama 2's and Mistral's files do).
// side supplies BOS, EOS and AddBOS from the files beside it.
func parseHFJSON(data []byte, side sidecar) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	m := f.Model
	if m.Type != "" && m.Type != "BPE" {
		return nil, fmt.Errorf("%w: tokenizer.json model type %q", ErrUnsupported, m.Type)
	}
	if (m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "") || (m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "") {
		return nil, fmt.Errorf("%w: tokenizer.json BPE with subword prefix or suffix", ErrUnsupported)
	}
	v, strip, err := hfVocab(&f)
	if err != nil {
		return nil, err
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, err
	}
	ignore := m.IgnoreMerges
	o := options{ignoreMerges: &ignore, pairs: merges, strip: strip}
	if norm, ok, err := hfSentencePiece(f.Normalizer, f.PreTokenizer); err != nil {
		return nil, err
	} else if ok {
		v.Model, v.AddSpacePrefix = ModelSPM, norm.addDummyPrefix
		o.spmNorm, o.spmNormSet = norm, true
		for id, tok := range v.Tokens {
			if _, isByte := parseByteToken(tok); isByte && m.ByteFallback && v.Types[id] == TypeNormal {
				v.Types[id] = TypeByte
			}
		}
		if m.UnkToken != nil {
			v.Unknown = slices.Index(v.Tokens, *m.UnkToken)
		}
		o.eog = applySidecar(&v, side, f.PostProcessor)
		return newTokenizer(v, o)
	}

	o.normalize, err = hfNormalize(f.Normalizer)
	if err != nil {
		return nil, err
	}
	split, pre, prefixSpace, byteLevel, err := hfSplitter(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	if !byteLevel {
		return nil, fmt.Errorf("%w: tokenizer.json with neither a ByteLevel pre-tokenizer nor SentencePiece-style spaces", ErrUnsupported)
	}
	v.Model, v.Pre = ModelBPE, pre
	o.splitter, o.prefixSpace = split, prefixSpace
	o.eog = applySidecar(&v, side, f.PostProcessor)
	return newTokenizer(v, o)
}

// hfVocab reads the vocabulary and added tokens: added tokens marked
// special are control tokens, the others user-defined.
func hfVocab(f *hfFile) (Vocab, map[int]stripRule, error) {
	m := f.Model
	n := 0
	for _, id := range m.Vocab {
		n = max(n, id+1)
	}
	for _, a := range f.AddedTokens {
		n = max(n, a.ID+1)
	}
	if entries := len(m.Vocab) + len(f.AddedTokens); n > maxVocab || n > 2*entries+1024 {
		// Ids may leave holes, but not so many that a small file could
		// make us allocate a huge vocabulary.
		return Vocab{}, nil, fmt.Errorf("parse tokenizer.json: ids up to %d for %d tokens", n-1, entries)
	}
	v := Vocab{Tokens: make([]string, n), Types: make([]int32, n), BOS: -1, EOS: -1, Unknown: -1, Padding: -1}
	for s, id := range m.Vocab {
		if id < 0 {
			return v, nil, fmt.Errorf("parse tokenizer.json: token %q has id %d", s, id)
		}
		v.Tokens[id] = s
		v.Types[id] = TypeNormal
	}
	strip := make(map[int]stripRule)
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.Content == "" {
			return v, nil, fmt.Errorf("parse tokenizer.json: added token %q has id %d", a.Content, a.ID)
		}
		v.Tokens[a.ID] = a.Content
		v.Types[a.ID] = TypeUserDefined
		if a.Special {
			v.Types[a.ID] = TypeControl
		}
		if a.LStrip || a.RStrip {
			strip[a.ID] = stripRule{left: a.LStrip, right: a.RStrip}
		}
	}
	for id := range v.Types {
		if v.Types[id] == 0 {
			v.Types[id] = TypeUnused // a hole in the ids
		}
	}
	return v, strip, nil
}

// hfSentencePiece recognises a SentencePiece-style tokenizer.json: a
// normalizer that replaces " " with "▁" (and may prepend "▁"), or a
// Metaspace pre-tokenizer. ok is false for other files.
func hfSentencePiece(n *hfNormalizer, p *hfPre) (norm spmNormalizer, ok bool, err error) {
	if p != nil && p.Type != "Metaspace" {
		return norm, false, nil
	}
	var steps []hfNormalizer
	if n != nil {
		steps = []hfNormalizer{*n}
		if n.Type == "Sequence" {
			steps = n.Normalizers
		}
	}
	escapes := p != nil // Metaspace
	var other []string
	for _, s := range steps {
		switch {
		case s.Type == "Prepend" && s.Prepend == spaceMark:
			norm.addDummyPrefix = true
		case s.Type == "Replace" && s.Pattern.String != nil && *s.Pattern.String == " " && s.Content == spaceMark:
			escapes = true
		default:
			other = append(other, s.Type)
		}
	}
	if !escapes {
		return spmNormalizer{}, false, nil
	}
	if len(other) > 0 {
		return norm, false, fmt.Errorf("%w: tokenizer.json normalizers %q with SentencePiece-style spaces", ErrUnsupported, other)
	}
	if p != nil {
		if p.Replacement != spaceMark {
			return norm, false, fmt.Errorf("%w: Metaspace replacement %q", ErrUnsupported, p.Replacement)
		}
		switch p.PrependScheme {
		case "always":
			norm.addDummyPrefix = true
		case "first":
			norm.addDummyPrefix, norm.prefixAtStartOnly = true, true
		case "never":
		case "":
			norm.addDummyPrefix = p.AddPrefixSpace // files older than prepend_scheme
		default:
			return norm, false, fmt.Errorf("%w: Metaspace prepend_scheme %q", ErrUnsupported, p.PrependScheme)
		}
		norm.splitWords = p.Split == nil || *p.Split
	}
	return norm, true, nil
}

// hfNormalize returns the normalizer as a function (nil for none). The
// Unicode normal forms are supported (Qwen2 uses NFC), alone or in a
// Sequence.
func hfNormalize(n *hfNormalizer) (func(string) string, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Sequence":
		var fns []func(string) string
		for i := range n.Normalizers {
			fn, err := hfNormalize(&n.Normalizers[i])
			if err != nil {
				return nil, err
			}
			if fn != nil {
				fns = append(fns, fn)
			}
		}
		if len(fns) == 0 {
			return nil, nil
		}
		return func(s string) string {
			for _, fn := range fns {
				s = fn(s)
			}
			return s
		}, nil
	}
	return nil, fmt.Errorf("%w: tokenizer.json normalizer %q", ErrUnsupported, n.Type)
}

// parseMerges reads merges as "a b" strings or as [a, b] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		pairs := make([][2]string, 0, len(lines))
		for i, l := range lines {
			a, b, ok := strings.Cut(l, " ")
			if !ok {
				return nil, fmt.Errorf("parse tokenizer.json: merge %d %q: want two tokens separated by a space", i, l)
			}
			pairs = append(pairs, [2]string{a, b})
		}
		return pairs, nil
	}
	var lists [][]string
	if err := json.Unmarshal(raw, &lists); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json merges: %w", err)
	}
	pairs := make([][2]string, 0, len(lists))
	for i, l := range lists {
		if len(l) != 2 {
			return nil, fmt.Errorf("parse tokenizer.json: merge %d has %d parts, want 2", i, len(l))
		}
		pairs = append(pairs, [2]string{l[0], l[1]})
	}
	return pairs, nil
}

// hfSplitter turns a pre_tokenizer into a splitter. pre names it in GGUF's
// terms when it is a known one ("custom" otherwise); byteLevel says a
// ByteLevel step is present (the vocabulary is in byte-to-unicode form).
func hfSplitter(p *hfPre) (split splitter, pre string, prefixSpace, byteLevel bool, err error) {
	if p == nil {
		return nil, "", false, false, nil
	}
	steps := []hfPre{*p}
	if p.Type == "Sequence" {
		steps = p.Pretokenizers
	}
	var splits []splitter
	var names []string
	for _, s := range steps {
		switch s.Type {
		case "ByteLevel":
			byteLevel = true
			prefixSpace = prefixSpace || s.AddPrefixSpace
			if s.UseRegex == nil || *s.UseRegex {
				splits = append(splits, ruleSplitter(gpt2Rule, false))
				names = append(names, "gpt-2")
			}
		case "Split":
			if s.Behavior != "Isolated" || s.Invert {
				return nil, "", false, false, fmt.Errorf("%w: Split pre-tokenizer behavior %q invert %v", ErrUnsupported, s.Behavior, s.Invert)
			}
			var expr string
			switch {
			case s.Pattern.Regex != nil:
				expr = *s.Pattern.Regex
			case s.Pattern.String != nil:
				expr = regexp.QuoteMeta(*s.Pattern.String)
			default:
				return nil, "", false, false, errors.New("parse tokenizer.json: Split pre-tokenizer without a pattern")
			}
			sp, name, err := regexSplitter(expr)
			if err != nil {
				return nil, "", false, false, err
			}
			splits = append(splits, sp)
			names = append(names, name)
		case "Digits":
			splits = append(splits, digitSplitter(s.IndividualDigits))
			names = append(names, "digits")
		default:
			return nil, "", false, false, fmt.Errorf("%w: pre-tokenizer %q", ErrUnsupported, s.Type)
		}
	}
	switch strings.Join(names, "+") {
	case "gpt-2", "llama-bpe", "qwen2":
		return splits[0], names[0], prefixSpace, byteLevel, nil
	case "digits+gpt-2":
		if steps[0].IndividualDigits {
			return ruleSplitter(gpt2Rule, true), "smollm", prefixSpace, byteLevel, nil
		}
	case "":
		return func(text string, emit func(string)) { emit(text) }, "custom", prefixSpace, byteLevel, nil
	}
	return chain(splits), "custom", prefixSpace, byteLevel, nil
}

// chain applies splitters in turn, each to the words of the one before.
func chain(splits []splitter) splitter {
	return func(text string, emit func(string)) {
		var run func(k int, w string)
		run = func(k int, w string) {
			if k == len(splits) {
				emit(w)
				return
			}
			splits[k](w, func(x string) { run(k+1, x) })
		}
		run(0, text)
	}
}

// digitSplitter is the Digits pre-tokenizer: \p{N} isolated one by one or
// in runs.
func digitSplitter(individual bool) splitter {
	return func(text string, emit func(string)) {
		st := newScanText(text)
		n := len(st.r)
		for i := 0; i < n; {
			j := i + 1
			if st.c[i] == cNumber {
				if !individual {
					j = st.run(i, n, cNumber)
				}
			} else {
				for j < n && st.c[j] != cNumber {
					j++
				}
			}
			emit(text[st.off[i]:st.off[j]])
			i = j
		}
	}
}

package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A splitter cuts text into the words that BPE merges within. Every byte
// of text is in exactly one word, in order.
type splitter func(text string, emit func(word string))

// Character classes of the pre-tokenizer regular expressions: \p{L},
// \p{N}, \s (Unicode White_Space) and everything else. A byte that is not
// valid UTF-8 is "other".
type class uint8

const (
	cOther class = iota
	cLetter
	cNumber
	cSpace
)

func classify(r rune) class {
	switch {
	case r < utf8.RuneSelf:
		return asciiClass[r]
	case unicode.IsLetter(r):
		return cLetter
	case unicode.IsNumber(r):
		return cNumber
	case unicode.IsSpace(r):
		return cSpace
	}
	return cOther
}

var asciiClass [utf8.RuneSelf]class

func init() {
	for r := range rune(utf8.RuneSelf) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			asciiClass[r] = cLetter
		case r >= '0' && r <= '9':
			asciiClass[r] = cNumber
		case r == ' ', r >= '\t' && r <= '\r':
			asciiClass[r] = cSpace
		}
	}
}

// scanText is text decoded once into runes and their classes.
type scanText struct {
	off []int // byte offset of rune i; off[len(r)] == len(text)
	r   []rune
	c   []class
}

func newScanText(text string) *scanText {
	st := &scanText{
		off: make([]int, 0, len(text)+1),
		r:   make([]rune, 0, len(text)),
		c:   make([]class, 0, len(text)),
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			r = -1 // an invalid byte: class other, never equal to a real rune
		}
		st.off = append(st.off, i)
		st.r = append(st.r, r)
		if r < 0 {
			st.c = append(st.c, cOther)
		} else {
			st.c = append(st.c, classify(r))
		}
		i += size
	}
	st.off = append(st.off, len(text))
	return st
}

// A rule matches one word of the pre-tokenizer's alternation at rune i,
// looking no further than rune n (the end of the text or of a chunk), and
// returns the rune index where the word ends (> i).
type rule func(st *scanText, i, n int) int

// ruleSplitter runs rule over the text; with isolateDigits every \p{N} is a
// word of its own first and rule runs over the chunks between them (the
// "Digits(individual_digits)" pre-tokenizer, llama.cpp's \p{N} first regex).
func ruleSplitter(rl rule, isolateDigits bool) splitter {
	return func(text string, emit func(string)) {
		st := newScanText(text)
		n := len(st.r)
		run := func(a, b int) {
			for i := a; i < b; {
				j := rl(st, i, b)
				emit(text[st.off[i]:st.off[j]])
				i = j
			}
		}
		if !isolateDigits {
			run(0, n)
			return
		}
		a := 0
		for i := range n {
			if st.c[i] == cNumber {
				run(a, i)
				emit(text[st.off[i]:st.off[i+1]])
				a = i + 1
			}
		}
		run(a, n)
	}
}

// contraction matches 's 't 're 've 'm 'll 'd at i (ASCII case-insensitive
// when fold) and returns its end, or -1.
func contraction(st *scanText, i, n int, fold bool) int {
	if st.r[i] != '\'' || i+1 >= n {
		return -1
	}
	lower := func(r rune) rune {
		switch {
		case !fold:
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == 'ſ': // U+017F folds to s under (?i), in Oniguruma as in Go
			return 's'
		}
		return r
	}
	switch a := lower(st.r[i+1]); a {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v', 'l':
		if i+2 < n {
			b := lower(st.r[i+2])
			if (a != 'l' && b == 'e') || (a == 'l' && b == 'l') {
				return i + 3
			}
		}
	}
	return -1
}

// run returns the end of the run of class c starting at i.
func (st *scanText) run(i, n int, c class) int {
	for i < n && st.c[i] == c {
		i++
	}
	return i
}

// trailingSpace matches \s+(?!\S)|\s+ at i, where rune i is whitespace:
// the whole run at the end of the text, otherwise the run less its last
// rune (which then leads the next word), and a single rune as it is.
func trailingSpace(st *scanText, i, n int) int {
	k := st.run(i, n, cSpace)
	if k < n && k-i > 1 {
		return k - 1
	}
	return k
}

// gpt2Rule is 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func gpt2Rule(st *scanText, i, n int) int {
	if j := contraction(st, i, n, false); j > 0 {
		return j
	}
	j := i
	if st.r[i] == ' ' && i+1 < n && st.c[i+1] != cSpace {
		j = i + 1 // " ?" then a letter, number or other run
	}
	if c := st.c[j]; c != cSpace {
		return st.run(j, n, c)
	}
	return trailingSpace(st, i, n)
}

// llama3Rule is Llama 3's expression with \p{N}{1,maxDigits} (3 for Llama 3,
// 1 for Qwen2):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func llama3Rule(maxDigits int) rule {
	return func(st *scanText, i, n int) int {
		if j := contraction(st, i, n, true); j > 0 {
			return j
		}
		r, c := st.r[i], st.c[i]
		switch {
		case c == cLetter:
			return st.run(i, n, cLetter)
		case c != cNumber && r != '\r' && r != '\n' && i+1 < n && st.c[i+1] == cLetter:
			return st.run(i+1, n, cLetter)
		case c == cNumber:
			j := i
			for j < n && j-i < maxDigits && st.c[j] == cNumber {
				j++
			}
			return j
		}
		j := i
		if r == ' ' && i+1 < n && st.c[i+1] == cOther {
			j = i + 1
		}
		if st.c[j] == cOther {
			j = st.run(j, n, cOther)
			for j < n && (st.r[j] == '\r' || st.r[j] == '\n') {
				j++
			}
			return j
		}
		// Whitespace. \s*[\r\n]+ backtracks to the last line break of the run.
		k, last := i, -1
		for ; k < n && st.c[k] == cSpace; k++ {
			if st.r[k] == '\r' || st.r[k] == '\n' {
				last = k
			}
		}
		if last >= 0 {
			return last + 1
		}
		return trailingSpace(st, i, n)
	}
}

// Pre-tokenizer expressions as Hugging Face tokenizer.json files spell them.
const (
	regexGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	regexLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	regexQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// preKinds maps GGUF tokenizer.ggml.pre names to the canonical pre-tokenizer
// they use (names as llama.cpp groups them).
var preKinds = map[string]string{
	"": "gpt-2", "default": "gpt-2", "gpt-2": "gpt-2", "gpt2": "gpt-2", "phi-2": "gpt-2",
	"mpt": "gpt-2", "olmo": "gpt-2", "jais": "gpt-2", "roberta-bpe": "gpt-2",
	"jina-es": "gpt-2", "jina-de": "gpt-2", "jina-v2-es": "gpt-2", "jina-v2-de": "gpt-2",
	"jina-v2-code": "gpt-2", "trillion": "gpt-2", "granite-docling": "gpt-2",

	"llama-bpe": "llama-bpe", "llama3": "llama-bpe", "llama-v3": "llama-bpe",
	"falcon3": "llama-bpe", "falcon-h1": "llama-bpe", "pixtral": "llama-bpe",
	"midm-2.0": "llama-bpe", "lfm2": "llama-bpe",

	"qwen2": "qwen2", "stablelm2": "qwen2", "deepseek-r1-qwen": "qwen2", "megrez": "qwen2",

	"smollm": "smollm", "starcoder": "smollm", "refact": "smollm", "command-r": "smollm",
	"codeshell": "smollm", "exaone": "smollm", "minerva-7b": "smollm",
}

// splitterFor returns the pre-tokenizer for a GGUF tokenizer.ggml.pre name
// and whether llama.cpp ignores merges for it (looks whole words up first).
func splitterFor(pre string) (splitter, bool, error) {
	switch preKinds[pre] {
	case "gpt-2":
		return ruleSplitter(gpt2Rule, false), false, nil
	case "llama-bpe":
		return ruleSplitter(llama3Rule(3), false), true, nil
	case "qwen2":
		return ruleSplitter(llama3Rule(1), false), false, nil
	case "smollm":
		return ruleSplitter(gpt2Rule, true), false, nil
	}
	return nil, false, fmt.Errorf("%w: pre-tokenizer %q", ErrUnsupported, pre)
}

// regexSplitter returns the pre-tokenizer for a Split regex of a
// tokenizer.json, and the GGUF name of its kind ("" for others). Known
// expressions get their hand-written scanners. Others run on Go's regexp,
// whose leftmost-first alternation picks what a backtracking engine
// would: an expression ending in the usual \s+(?!\S)|\s+ has that tail
// done by hand (Go has no look-ahead), and other look-around fails.
func regexSplitter(expr string) (splitter, string, error) {
	switch expr {
	case regexGPT2:
		return ruleSplitter(gpt2Rule, false), "gpt-2", nil
	case regexLlama3:
		return ruleSplitter(llama3Rule(3), false), "llama-bpe", nil
	case regexQwen2:
		return ruleSplitter(llama3Rule(1), false), "qwen2", nil
	}
	head, tail := strings.CutSuffix(expr, lookaheadTail)
	goExpr, err := unicodeClasses(head)
	if err == nil {
		if tail {
			goExpr = `^(?:` + goExpr + `)`
		}
		var re *regexp.Regexp
		if re, err = regexp.Compile(goExpr); err == nil {
			if tail {
				return headTailSplitter(re), "", nil
			}
			return isolatedSplitter(re), "", nil
		}
	}
	return nil, "", fmt.Errorf("%w: pre-tokenizer regex %q: %v", ErrUnsupported, expr, err)
}

// lookaheadTail ends the byte-level pre-tokenizer expressions: a run of
// whitespace gives its last character to the next word when one follows.
const lookaheadTail = `|\s+(?!\S)|\s+`

// Oniguruma's Unicode shorthands, which in Go's regexp are ASCII-only.
var shorthands = map[byte]struct {
	class   string // inside brackets
	negated bool
}{
	's': {`\t-\r\x{85}\p{Z}`, false}, // White_Space
	'S': {`\t-\r\x{85}\p{Z}`, true},
	'd': {`\p{Nd}`, false},
	'D': {`\p{Nd}`, true},
	'w': {`\p{L}\p{M}\p{Nd}\p{Pc}`, false},
	'W': {`\p{L}\p{M}\p{Nd}\p{Pc}`, true},
}

// unicodeClasses rewrites \s \d \w and their negations with the Unicode
// meaning Hugging Face's Oniguruma gives them.
func unicodeClasses(expr string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			next := expr[i+1]
			i++
			sh, ok := shorthands[next]
			switch {
			case !ok:
				b.WriteByte(c)
				b.WriteByte(next)
			case inClass && sh.negated:
				return "", fmt.Errorf("negated class \\%c inside brackets", next)
			case inClass:
				b.WriteString(sh.class)
			case sh.negated:
				b.WriteString("[^" + sh.class + "]")
			default:
				b.WriteString("[" + sh.class + "]")
			}
			continue
		case c == '[' && !inClass:
			inClass = true
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// isolatedSplitter is a Split with behavior Isolated: matches and the gaps
// between them are words.
func isolatedSplitter(re *regexp.Regexp) splitter {
	return func(text string, emit func(string)) {
		last := 0
		for _, m := range re.FindAllStringIndex(text, -1) {
			if m[0] > last {
				emit(text[last:m[0]])
			}
			if m[1] > m[0] {
				emit(text[m[0]:m[1]])
			}
			last = m[1]
		}
		if last < len(text) {
			emit(text[last:])
		}
	}
}

// headTailSplitter matches the anchored head at each place, then the
// whitespace tail; text neither matches is a gap word.
func headTailSplitter(head *regexp.Regexp) splitter {
	return func(text string, emit func(string)) {
		gap := -1
		flush := func(end int) {
			if gap >= 0 {
				emit(text[gap:end])
				gap = -1
			}
		}
		for i := 0; i < len(text); {
			if m := head.FindStringIndex(text[i:]); m != nil && m[1] > 0 {
				flush(i)
				emit(text[i : i+m[1]])
				i += m[1]
				continue
			}
			j, runes, lastSize := i, 0, 0
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if (r == utf8.RuneError && size == 1) || !unicode.IsSpace(r) {
					break
				}
				j += size
				runes++
				lastSize = size
			}
			if runes == 0 {
				if gap < 0 {
					gap = i
				}
				_, size := utf8.DecodeRuneInString(text[i:])
				i += size
				continue
			}
			flush(i)
			if j < len(text) && runes > 1 {
				j -= lastSize
			}
			emit(text[i:j])
			i = j
		}
		flush(len(text))
	}
}

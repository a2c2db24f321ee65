package train

import (
	"container/heap"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard/switchboard/engine/tokenizer"
)

// Special tokens TrainBPE appends after the learnt ones, in this order.
const (
	TokenEndOfText = "<|endoftext|>"
	TokenImStart   = "<|im_start|>"
	TokenImEnd     = "<|im_end|>"
)

// DefaultSpecials are the control tokens of a ChatML model.
var DefaultSpecials = []string{TokenEndOfText, TokenImStart, TokenImEnd}

// TrainBPE learns a byte-level BPE vocabulary of size tokens from texts:
// 256 byte tokens (in byte order), then merges in order of learning, then
// the special tokens (control type) at the end. Words are cut by GPT-2's
// pre-tokenizer (the "gpt-2" pre of package tokenizer) so that merges
// never cross a word. The most frequent adjacent pair is merged first;
// ties go to the pair of smaller ids, so the result depends only on the
// texts. BOS is <|endoftext|> and EOS <|im_end|> when present.
func TrainBPE(texts []string, size int, specials []string) (tokenizer.Vocab, error) {
	if size < 256+len(specials) {
		return tokenizer.Vocab{}, fmt.Errorf("train bpe: %d tokens leave no room for 256 bytes and %d specials", size, len(specials))
	}
	// Count words.
	counts := map[string]int{}
	for _, t := range texts {
		splitGPT2(t, func(w string) { counts[w]++ })
	}
	ws := make([]string, 0, len(counts))
	for w := range counts {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	b := &bpeTrainer{where: map[uint64][]int32{}, counts: map[uint64]int{}}
	for i := range 256 {
		b.text = append(b.text, string(byteRune[i]))
	}
	b.ids = map[string]int32{}
	for i, t := range b.text {
		b.ids[t] = int32(i)
	}
	for i, w := range ws {
		syms := make([]int32, len(w))
		for j := 0; j < len(w); j++ {
			syms[j] = int32(w[j])
		}
		b.words = append(b.words, bpeWord{syms: syms, n: counts[w]})
		b.addPairs(int32(i), +1)
	}
	target := size - len(specials)
	var merges []string
	stamp := make([]int, len(b.words))
	round := 0
	for len(b.text) < target {
		p, ok := b.best()
		if !ok {
			break // every word is one token
		}
		l, r := int32(p>>32), int32(uint32(p))
		text := b.text[l] + b.text[r]
		z, dup := b.ids[text]
		if !dup {
			z = int32(len(b.text))
			b.text = append(b.text, text)
			b.ids[text] = z
		}
		merges = append(merges, b.text[l]+" "+b.text[r])
		round++
		for _, wi := range b.where[p] {
			if stamp[wi] == round {
				continue
			}
			stamp[wi] = round
			b.addPairs(wi, -1)
			b.words[wi].syms = mergeSyms(b.words[wi].syms, l, r, z)
			b.addPairs(wi, +1)
		}
		delete(b.where, p)
		delete(b.counts, p)
	}
	v := tokenizer.Vocab{Model: tokenizer.ModelBPE, Pre: "gpt-2", Tokens: b.text, Merges: merges,
		BOS: -1, EOS: -1, Unknown: -1, Padding: -1}
	v.Types = make([]int32, len(v.Tokens), len(v.Tokens)+len(specials))
	for i := range v.Types {
		v.Types[i] = tokenizer.TypeNormal
	}
	for _, s := range specials {
		switch s {
		case TokenEndOfText:
			v.BOS = len(v.Tokens)
		case TokenImEnd:
			v.EOS = len(v.Tokens)
		}
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, tokenizer.TypeControl)
	}
	return v, nil
}

type bpeWord struct {
	syms []int32
	n    int
}

type bpeTrainer struct {
	words  []bpeWord
	text   []string
	ids    map[string]int32
	counts map[uint64]int     // pair -> occurrences
	where  map[uint64][]int32 // pair -> words that had it (may repeat or be stale)
	h      pairHeap
}

func pairOf(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

// addPairs adds (sign +1) or removes (-1) the pairs of word wi.
func (b *bpeTrainer) addPairs(wi int32, sign int) {
	w := b.words[wi]
	for j := 0; j+1 < len(w.syms); j++ {
		p := pairOf(w.syms[j], w.syms[j+1])
		b.counts[p] += sign * w.n
		if sign > 0 {
			if ws := b.where[p]; len(ws) == 0 || ws[len(ws)-1] != wi {
				b.where[p] = append(ws, wi)
			}
			heap.Push(&b.h, pairCount{p, b.counts[p]})
		}
	}
}

// best returns the most frequent pair, dropping stale heap entries.
func (b *bpeTrainer) best() (uint64, bool) {
	for b.h.Len() > 0 {
		top := b.h[0]
		if c := b.counts[top.p]; c != top.n || c <= 0 {
			heap.Pop(&b.h)
			if c > 0 && c != top.n {
				heap.Push(&b.h, pairCount{top.p, c})
			}
			continue
		}
		return top.p, true
	}
	return 0, false
}

// mergeSyms replaces each non-overlapping (l, r), left to right, by z.
func mergeSyms(s []int32, l, r, z int32) []int32 {
	out := s[:0]
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i] == l && s[i+1] == r {
			out = append(out, z)
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

type pairCount struct {
	p uint64
	n int
}

// pairHeap orders by count, then by pair (smaller ids first).
type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].n != h[j].n {
		return h[i].n > h[j].n
	}
	return h[i].p < h[j].p
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// byteRune is GPT-2's byte-to-unicode table: printable Latin-1 bytes
// spell themselves, the other 68 bytes U+0100 onwards in byte order.
var byteRune = func() (t [256]rune) {
	next := rune(256)
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			t[b] = rune(b)
		} else {
			t[b] = next
			next++
		}
	}
	return t
}()

// splitGPT2 cuts text into GPT-2 pre-tokenizer words:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// and passes each word to emit as raw bytes of text (invalid UTF-8 kept).
func splitGPT2(text string, emit func(string)) {
	var rs []rune
	var offs []int // byte offset of each rune, then len(text)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		rs, offs = append(rs, r), append(offs, i)
		i += n
	}
	offs = append(offs, len(text))
	cls := make([]int, len(rs))
	for i, r := range rs {
		cls[i] = runeClass(r)
	}
	run := func(i, c int) int {
		for i < len(rs) && cls[i] == c {
			i++
		}
		return i
	}
	for i := 0; i < len(rs); {
		j := contractionEnd(rs, i)
		if j < 0 {
			k := i
			if rs[i] == ' ' && i+1 < len(rs) && cls[i+1] != classSpace {
				k = i + 1
			}
			if cls[k] != classSpace {
				j = run(k, cls[k])
			} else {
				j = run(i, classSpace)
				if j < len(rs) && j-i > 1 {
					j-- // the last space leads the next word
				}
			}
		}
		emit(text[offs[i]:offs[j]])
		i = j
	}
}

const (
	classOther = iota
	classLetter
	classNumber
	classSpace
)

func runeClass(r rune) int {
	switch {
	case r == utf8.RuneError:
		return classOther
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

func contractionEnd(rs []rune, i int) int {
	if rs[i] != '\'' || i+1 >= len(rs) {
		return -1
	}
	switch rs[i+1] {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if i+2 < len(rs) && rs[i+2] == 'e' {
			return i + 3
		}
	case 'l':
		if i+2 < len(rs) && rs[i+2] == 'l' {
			return i + 3
		}
	}
	return -1
}

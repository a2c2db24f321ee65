package tokenizer

import (
	"fmt"
	"strings"
	"sync"
)

// bpeModel is byte-level BPE: words from the pre-tokenizer, one symbol per
// byte, merges by rank.
type bpeModel struct {
	split        splitter
	byteID       [256]int32          // id of the one-byte token of each byte, -1 when absent
	merges       map[uint64]bpeMerge // (left id, right id) -> merge
	mergeList    []string            // the merges kept, "left right", by rank
	words        idIndex[*texts]     // decoded bytes of normal tokens -> id, for ignoreMerges
	ignoreMerges bool                // a word that is one token is that token, whatever the merges say
	prefixSpace  bool                // prepend " " to text that does not start with one
	normalize    func(string) string // nil for none
	cache        cache
}

type bpeMerge struct {
	rank int32
	id   int32
}

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

func (t *Tokenizer) initBPE(v Vocab, o options) error {
	m := &bpeModel{prefixSpace: o.prefixSpace, normalize: o.normalize}
	split, ignore, err := o.splitter, false, error(nil)
	if split == nil {
		split, ignore, err = splitterFor(v.Pre)
		if err != nil {
			return err
		}
		if kind := preKinds[v.Pre]; kind != "" {
			t.pre = kind
		}
	}
	if o.ignoreMerges != nil {
		ignore = *o.ignoreMerges
	}
	m.split, m.ignoreMerges = split, ignore

	for i := range m.byteID {
		m.byteID[i] = -1
	}
	isWord := make([]bool, len(t.tokens)) // decoded from byte-level text
	t.text = newTexts(len(t.tokens), func(id int) string {
		s := t.tokens[id]
		switch t.types[id] {
		case TypeControl, TypeUserDefined, TypeUnknown:
			return s // added tokens are stored as their text
		}
		raw, ok := byteLevelDecode(s)
		if !ok {
			return s
		}
		if len(raw) == 1 && m.byteID[raw[0]] < 0 {
			m.byteID[raw[0]] = int32(id)
		}
		isWord[id] = true
		return string(raw)
	})
	m.words = newIDIndex(&t.text, func(id int) bool { return isWord[id] })
	pairs := o.pairs
	if pairs == nil {
		pairs = make([][2]string, 0, len(v.Merges))
		for rank, line := range v.Merges {
			a, b, ok := strings.Cut(line, " ")
			if !ok {
				return fmt.Errorf("merge %d %q: want two tokens separated by a space", rank, line)
			}
			pairs = append(pairs, [2]string{a, b})
		}
	}
	m.merges, m.mergeList = mergeTable(&t.toID, pairs)
	t.bpe = m
	return nil
}

// mergeTable indexes merges by the ids of their two sides, ranked in the
// order given. Merges whose sides or result are no token are skipped, as
// llama.cpp does; of duplicates the first counts. It also returns the
// merges kept, as "left right" lines.
func mergeTable(toID *idIndex[strs], pairs [][2]string) (map[uint64]bpeMerge, []string) {
	table := make(map[uint64]bpeMerge, len(pairs))
	var kept []string
	for _, p := range pairs {
		l, okl := toID.get(p[0])
		r, okr := toID.get(p[1])
		id, okm := toID.get(p[0] + p[1])
		if !okl || !okr || !okm {
			continue
		}
		k := pairKey(l, r)
		if _, dup := table[k]; !dup {
			table[k] = bpeMerge{rank: int32(len(kept)), id: id}
			kept = append(kept, p[0]+" "+p[1])
		}
	}
	return table, kept
}

// encode appends the ids of text (no added tokens in it) to ids. The
// prefix space, when asked for, goes before each fragment between added
// tokens, as Hugging Face's ByteLevel pre-tokenizer does.
func (m *bpeModel) encode(ids []int, text string) []int {
	if m.normalize != nil {
		text = m.normalize(text)
	}
	if m.prefixSpace && !strings.HasPrefix(text, " ") {
		text = " " + text
	}
	m.split(text, func(w string) {
		ids = m.word(ids, w)
	})
	return ids
}

// word appends the ids of one pre-tokenized word.
func (m *bpeModel) word(ids []int, w string) []int {
	if got, ok := m.cache.get(w); ok {
		for _, id := range got {
			ids = append(ids, int(id))
		}
		return ids
	}
	var out []int32
	if id, ok := m.words.get(w); ok && (m.ignoreMerges || len(w) == 1) {
		out = []int32{id}
	} else {
		out = m.merge(w)
	}
	m.cache.put(w, out)
	for _, id := range out {
		ids = append(ids, int(id))
	}
	return ids
}

// merge runs BPE over the bytes of w.
func (m *bpeModel) merge(w string) []int32 {
	if w == "" {
		return nil
	}
	syms := make([]symbol, len(w))
	for i := range syms {
		syms[i] = symbol{start: i, end: i + 1, prev: i - 1, next: i + 1, id: m.byteID[w[i]]}
	}
	syms[len(syms)-1].next = -1
	first := mergeSymbols(syms, func(l, r *symbol) (float64, int32, bool) {
		if l.id < 0 || r.id < 0 {
			return 0, 0, false
		}
		mg, ok := m.merges[pairKey(l.id, r.id)]
		return float64(mg.rank), mg.id, ok
	})
	out := make([]int32, 0, len(w))
	for i := first; i >= 0; i = syms[i].next {
		if syms[i].id >= 0 { // a byte without a token is dropped, as with no unknown token in Hugging Face
			out = append(out, syms[i].id)
		}
	}
	return out
}

// cache is a bounded word -> ids cache shared by concurrent encoders.
type cache struct {
	mu sync.Mutex
	m  map[string][]int32 // guarded by mu
}

const (
	cacheMaxEntries = 1 << 16 // the map is dropped and rebuilt when it grows past this
	cacheMaxWord    = 128     // longer words are not cached
)

func (c *cache) get(w string) ([]int32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, ok := c.m[w]
	return ids, ok
}

func (c *cache) put(w string, ids []int32) {
	if len(w) > cacheMaxWord {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= cacheMaxEntries {
		c.m = make(map[string][]int32)
	}
	c.m[strings.Clone(w)] = ids
}

package tokenizer

// The merge loop shared by byte-level BPE and SentencePiece BPE: symbols in
// a doubly linked list, candidate pairs in a binary heap ordered by
// priority (lower first) and then by position (leftmost first), stale
// entries skipped when popped. O(n log n) in the length of the word.

// A symbol is one current token of a word: the bytes [start,end) of the
// word and the token id (-1 when the bytes are no token).
type symbol struct {
	start, end int
	prev, next int // indices in the symbol slice; -1 at the ends
	id         int32
	dead       bool
}

// A candidate is a possible merge of symbols left and right, valid while
// they still end where they ended when it was pushed.
type candidate struct {
	pri         float64
	left, right int
	lend, rend  int
	id          int32
}

// A pairFunc says whether the adjacent symbols l and r merge, into which
// id, and with which priority (lower merges first).
type pairFunc func(l, r *symbol) (pri float64, id int32, ok bool)

type mergeHeap []candidate

func (h mergeHeap) less(i, j int) bool {
	if h[i].pri != h[j].pri {
		return h[i].pri < h[j].pri
	}
	return h[i].left < h[j].left
}

func (h *mergeHeap) push(c candidate) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *mergeHeap) pop() candidate {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a.less(l, m) {
			m = l
		}
		if r < len(a) && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// mergeSymbols merges syms (linked in order) until no pair merges and
// returns the index of the first live symbol.
func mergeSymbols(syms []symbol, pair pairFunc) int {
	h := make(mergeHeap, 0, len(syms))
	try := func(li, ri int) {
		if li < 0 || ri < 0 {
			return
		}
		l, r := &syms[li], &syms[ri]
		if pri, id, ok := pair(l, r); ok {
			h.push(candidate{pri: pri, left: li, right: ri, lend: l.end, rend: r.end, id: id})
		}
	}
	for i := 0; i+1 < len(syms); i++ {
		try(i, i+1)
	}
	for len(h) > 0 {
		c := h.pop()
		l, r := &syms[c.left], &syms[c.right]
		if l.dead || r.dead || l.next != c.right || l.end != c.lend || r.end != c.rend {
			continue // stale: one side has merged since
		}
		l.end = r.end
		l.id = c.id
		l.next = r.next
		r.dead = true
		if r.next >= 0 {
			syms[r.next].prev = c.left
		}
		try(l.prev, c.left)
		try(c.left, l.next)
	}
	for i := range syms {
		if !syms[i].dead {
			return i
		}
	}
	return -1
}

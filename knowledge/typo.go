package knowledge

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// typoIndex corrects misspelt query words against the surface words of the
// knowledge, by symmetric deletion (as SymSpell does): every vocabulary
// word is stored under itself and each of its one-rune deletions; a query
// word's own deletions (one, or two for long words) are looked up, and the
// candidates are checked with the optimal string alignment distance.
//
// The table is a sorted array of (hash of the variant, word id) pairs, so
// that an index file holds it ready to use from a memory map; a hash
// collision only adds a candidate, which the distance check rejects.
type typoIndex struct {
	words    []string      // surface words, sorted
	terms    []string      // the index term of each word
	df       []int         // document frequency of each word's term
	variants []typoVariant // sorted by hash, then id
}

// typoVariant says that a word or one-rune deletion with this hash
// belongs to word id. Its layout is the index file's.
type typoVariant struct {
	hash uint64
	id   uint32
	_    uint32
}

// Minimum word lengths (in runes) for one and two corrections.
const (
	minTypoRunes  = 4
	minTypo2Runes = 8
)

func newTypoIndex(words map[string]string, df func(term string) int) *typoIndex {
	ti := &typoIndex{}
	sorted := make([]string, 0, len(words))
	for w := range words {
		if utf8.RuneCountInString(w) >= minTypoRunes-1 && !isNumber(w) {
			sorted = append(sorted, w)
		}
	}
	sort.Strings(sorted) // deterministic ids
	ti.variants = make([]typoVariant, 0, len(sorted)*8)
	for _, w := range sorted {
		id := uint32(len(ti.words))
		ti.words = append(ti.words, w)
		ti.terms = append(ti.terms, words[w])
		ti.df = append(ti.df, df(words[w]))
		ti.variants = append(ti.variants, typoVariant{hash: hashParts(w, ""), id: id})
		for i := 0; i < len(w); {
			_, size := utf8.DecodeRuneInString(w[i:])
			ti.variants = append(ti.variants, typoVariant{hash: hashParts(w[:i], w[i+size:]), id: id})
			i += size
		}
	}
	slices.SortFunc(ti.variants, func(a, b typoVariant) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ti.variants = slices.CompactFunc(ti.variants, func(a, b typoVariant) bool { return a.hash == b.hash && a.id == b.id })
	return ti
}

// hashParts is the 64-bit FNV-1a hash of a+b, without joining them.
func hashParts(a, b string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * 1099511628211
	}
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * 1099511628211
	}
	return h
}

// lookup calls fn with the id of each word stored under variant v.
func (ti *typoIndex) lookup(v string, fn func(id uint32)) {
	h := hashParts(v, "")
	i := sort.Search(len(ti.variants), func(i int) bool { return ti.variants[i].hash >= h })
	for ; i < len(ti.variants) && ti.variants[i].hash == h; i++ {
		fn(ti.variants[i].id)
	}
}

// deletions calls fn with each string made by deleting one rune of w.
func deletions(w string, fn func(string)) {
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		fn(w[:i] + w[i+size:])
		i += size
	}
}

// A typoFix is the correction of one query word.
type typoFix struct {
	term string // the index term of the vocabulary word; "" for none
	word string // the vocabulary word (folded)
	dist int    // edit distance from the query word
	// likely says that the edit is of a kind people often make (see
	// likelyTypo); unlikely corrections count for less in a search.
	likely bool
}

// correct returns the correction of word to the closest vocabulary word,
// or a typoFix with no term when none is close enough. Likely edits are
// preferred to unlikely ones, then the closer word, then the one whose
// term is in most chunks.
func (ti *typoIndex) correct(word string) typoFix {
	n := utf8.RuneCountInString(word)
	if n < minTypoRunes || isNumber(word) || n > 64 {
		return typoFix{}
	}
	maxDist := 1
	if n >= minTypo2Runes {
		maxDist = 2
	}
	cands := map[uint32]bool{}
	look := func(v string) {
		ti.lookup(v, func(id uint32) {
			if int(id) < len(ti.words) {
				cands[id] = true
			}
		})
	}
	look(word)
	deletions(word, func(v string) {
		look(v)
		if maxDist == 2 {
			deletions(v, look)
		}
	})
	var best typoFix
	bestID := uint32(0)
	for id := range cands {
		d := EditDistance(word, ti.words[id], maxDist)
		if d == 0 {
			return typoFix{} // already a word
		}
		if d > maxDist {
			continue
		}
		fix := typoFix{term: ti.terms[id], word: ti.words[id], dist: d, likely: likelyTypo(word, n, ti.words[id])}
		if best.term == "" || fix.likely && !best.likely ||
			fix.likely == best.likely && (d < best.dist || d == best.dist && ti.better(id, bestID)) {
			best, bestID = fix, id
		}
	}
	return best
}

// shortTypoRunes is the length under which a misspelt word is taken to
// have lost a letter, not to have another one.
const shortTypoRunes = 5

// likelyTypo reports whether the query word (n runes) is a likely
// misspelling of the vocabulary word cand, one or two edits away. Studies
// of spelling errors find the first letter wrong in only a few per cent
// of them (Yannakoudakis and Fawthrop 1983; Pollock and Zamora 1984), and
// a short word one letter off another ("near" and "year", "fast" and
// "last", "lots" and "lost") is as often a different word the knowledge
// does not use as a slip; a short word missing a letter ("mnth") is still
// a likely slip.
func likelyTypo(word string, n int, cand string) bool {
	w, _ := utf8.DecodeRuneInString(word)
	c, _ := utf8.DecodeRuneInString(cand)
	if w != c {
		return false
	}
	return n >= shortTypoRunes || utf8.RuneCountInString(cand) > n
}

// better orders candidates of equal distance: more frequent, then
// alphabetical, so corrections are deterministic.
func (ti *typoIndex) better(a, b uint32) bool {
	if ti.df[a] != ti.df[b] {
		return ti.df[a] > ti.df[b]
	}
	return ti.words[a] < ti.words[b]
}

// EditDistance is the optimal string alignment distance between a and b:
// the fewest insertions, deletions, substitutions and swaps of neighbouring
// characters (runes, not bytes) that turn one into the other, no substring
// edited twice. When the distance is above limit it returns limit+1. Only
// cells within limit of the diagonal are computed, so the cost is
// O(limit·len) whatever the inputs; a negative limit is taken as 0.
func EditDistance(a, b string, limit int) int {
	limit = max(limit, 0)
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	far := limit + 1 // any distance above limit; cells off the band hold it
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = min(j, far)
	}
	for i := 1; i <= len(ra); i++ {
		lo, hi := max(1, i-limit), min(len(rb), i+limit)
		cur[0] = min(i, far)
		if lo > 1 {
			cur[lo-1] = far
		}
		if hi < len(rb) {
			cur[hi+1] = far // read as prev[j] by the next row
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, far)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return far
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], far)
}

// Spell returns text as the search read it: every word that the
// knowledge does not use, but that is a likely slip of one it does,
// replaced by that word ("cancle" → "cancel"), and a word that joins the
// parts of a compound the articles hyphenate written as they write it
// ("wifi" → "wi-fi"). The answerer matches the question's words against
// sentences itself, and a misspelt or joined word there matched nothing
// even when the search had found the right article.
func (ix *Index) Spell(text string) string {
	if len(text) > MaxQueryBytes {
		return text
	}
	lang := detectLanguage(fold(text))
	var b strings.Builder
	last := 0
	eachWord(text, func(start, end int) {
		w, ok := contentWord(fold(text[start:end]))
		if !ok || isNumber(w) {
			return
		}
		if _, known := ix.terms[lang.stem(w)]; known {
			return
		}
		fixed := ""
		if comp, ok := ix.compound(w); ok {
			fixed = comp.written
		} else if ix.typos != nil && utf8.RuneCountInString(w) >= minSpellRunes {
			if fix := ix.typos.correct(w); fix.term != "" && fix.likely {
				fixed = fix.word
			}
		}
		if fixed != "" {
			b.WriteString(text[last:start])
			b.WriteString(fixed)
			last = end
		}
	})
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// minSpellRunes is the length from which Spell corrects a word: a
// shorter one is too often another real word one letter away ("tall",
// "shard", "rent"), and read as a word of the knowledge it let questions
// about other things be answered. Chosen on the twenty training help
// centres: from 6 runes, 5 more of 4,337 answer questions were right
// ("how do i cancle" got the steps), 3 more wrong, and one of 578
// out-of-scope questions was answered; from 5, held-out lost an
// out-of-scope fallback.
const minSpellRunes = 6

// eachWord calls fn with the byte range of each run of letters and
// apostrophes inside words in text.
func eachWord(text string, fn func(start, end int)) {
	start := -1
	for i, r := range text {
		inWord := unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || r == '\'' && start >= 0
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(text))
	}
}

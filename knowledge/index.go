package knowledge

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// A Searcher finds the chunks that best answer a query.
//
// Search returns at most k snippets, best first; k <= 0 means DefaultK. An
// empty result is not an error. Implementations must be safe for concurrent
// use; the returned slice belongs to the caller.
type Searcher interface {
	Search(ctx context.Context, query string, k int) ([]Snippet, error)
}

// A Retriever is a Searcher that also takes conversation context and says
// how confident it is. The conversation pipeline checks for it at run time.
type Retriever interface {
	Searcher
	Retrieve(ctx context.Context, q Query) (Result, error)
}

// DefaultK is the number of snippets returned when k <= 0.
const DefaultK = 5

// A Query is one question with its conversation context.
type Query struct {
	Text string
	// History holds the user's previous turns in this conversation, oldest
	// first. The last few are searched too, with less weight than Text, so
	// that a follow-up ("and how much is that per year?") finds the article
	// the conversation is about. Nil means none.
	History []string
	// K is the number of snippets wanted; <= 0 means DefaultK.
	K int
}

// A Result is the answer to a Query.
type Result struct {
	Snippets []Snippet // best first
	// Confidence in [0, 1] says how well the best snippet covers the
	// question: the IDF-weighted share of the query's content terms that
	// occur in the top chunk (a typo-corrected term counts at a discount),
	// raised by the dense similarity of the top chunk when the index has
	// dense vectors. Questions about things the knowledge never mentions
	// score near 0; see DefaultConfidenceThreshold for the cut-off measured
	// on the demo evaluation set.
	Confidence float64
}

// Options configure an Index. The zero value gives the defaults.
type Options struct {
	// K1 and B are the BM25 parameters. Zero means 1.2 and 0.75.
	K1, B float64
	// TitleWeight and SectionWeight scale term frequencies in a chunk's
	// title and heading path against its body (weight 1), as in BM25F.
	// Zero means DefaultTitleWeight and DefaultSectionWeight.
	TitleWeight, SectionWeight float64
	// NoTypos turns off typo correction of query words that are not in
	// the vocabulary.
	NoTypos bool
	// Dense configures the latent semantic (LSA) vectors fused with BM25.
	Dense DenseOptions
}

// Default field weights of Options.
const (
	DefaultTitleWeight   = 2.0
	DefaultSectionWeight = 1.5
)

func (o Options) withDefaults() Options {
	if o.K1 <= 0 {
		o.K1 = 1.2
	}
	if o.B <= 0 {
		o.B = 0.75
	}
	if o.TitleWeight <= 0 {
		o.TitleWeight = DefaultTitleWeight
	}
	if o.SectionWeight <= 0 {
		o.SectionWeight = DefaultSectionWeight
	}
	return o
}

// Fields of a chunk, indexed separately for BM25F.
const (
	fieldTitle = iota
	fieldSection
	fieldBody
	numFields
)

type posting struct {
	doc int32
	tf  [numFields]uint16
}

// An Index is an immutable search index over chunks: BM25F over title,
// heading path and body, with typo correction and optional dense vectors
// fused by reciprocal rank. It is safe for concurrent use; to change the
// knowledge, build a new Index and swap it in (see Live).
type Index struct {
	opts     Options
	chunks   []Chunk
	terms    map[string]int32 // term -> id
	postings [][]posting      // by term id, sorted by doc
	idf      []float64        // by term id
	fieldLen [numFields][]float32
	avgLen   [numFields]float64
	weight   [numFields]float64
	typos    *typoIndex  // nil when Options.NoTypos
	dense    *denseModel // nil when dense vectors are off
	scratch  sync.Pool   // *[]float64 of len(chunks)
}

var _ Retriever = (*Index)(nil)

// Open loads the knowledge folder dir and indexes it.
func Open(ctx context.Context, dir string, lopts LoadOptions, opts Options) (*Index, error) {
	chunks, err := Load(ctx, dir, lopts)
	if err != nil {
		return nil, err
	}
	return Build(ctx, chunks, opts)
}

// chunkTerms is the analysed form of one chunk.
type chunkTerms struct {
	fields [numFields][]string
	words  []wordTerm // surface words of the body, for typo correction
}

type wordTerm struct{ word, term string }

// Build indexes chunks. The index keeps chunks; the caller must not modify
// them afterwards.
func Build(ctx context.Context, chunks []Chunk, opts Options) (*Index, error) {
	opts = opts.withDefaults()
	ix := &Index{opts: opts, chunks: chunks, terms: map[string]int32{}}
	ix.weight = [numFields]float64{opts.TitleWeight, opts.SectionWeight, 1}
	n := len(chunks)
	ix.scratch.New = func() any { s := make([]float64, n); return &s }

	analysed, err := analyseChunks(ctx, chunks)
	if err != nil {
		return nil, err
	}
	for f := range ix.fieldLen {
		ix.fieldLen[f] = make([]float32, n)
	}
	var typoWords map[string]string
	if !opts.NoTypos {
		typoWords = map[string]string{}
	}
	counts := map[int32]*posting{}
	for d, at := range analysed {
		clear(counts)
		for f, ts := range at.fields {
			ix.fieldLen[f][d] = float32(len(ts))
			ix.avgLen[f] += float64(len(ts))
			for _, t := range ts {
				id, ok := ix.terms[t]
				if !ok {
					id = int32(len(ix.postings))
					ix.terms[t] = id
					ix.postings = append(ix.postings, nil)
				}
				p := counts[id]
				if p == nil {
					p = &posting{doc: int32(d)}
					counts[id] = p
				}
				if p.tf[f] < math.MaxUint16 {
					p.tf[f]++
				}
			}
		}
		for id, p := range counts {
			ix.postings[id] = append(ix.postings[id], *p)
		}
		for _, wt := range at.words {
			typoWords[wt.word] = wt.term
		}
	}
	for f := range ix.avgLen {
		if n > 0 {
			ix.avgLen[f] /= float64(n)
		}
		if ix.avgLen[f] == 0 {
			ix.avgLen[f] = 1
		}
	}
	ix.idf = make([]float64, len(ix.postings))
	for id, ps := range ix.postings {
		ix.idf[id] = idf(n, len(ps))
	}
	if typoWords != nil {
		ix.typos = newTypoIndex(typoWords, func(term string) int {
			if id, ok := ix.terms[term]; ok {
				return len(ix.postings[id])
			}
			return 0
		})
	}
	if !opts.Dense.Off {
		dm, err := buildDense(ctx, ix, analysed, opts.Dense)
		if err != nil {
			return nil, err
		}
		ix.dense = dm
	}
	return ix, nil
}

// idf is the BM25 inverse document frequency of a term in df of n chunks.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// analyseChunks analyses chunks on all CPUs.
func analyseChunks(ctx context.Context, chunks []Chunk) ([]chunkTerms, error) {
	out := make([]chunkTerms, len(chunks))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(chunks)/64))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := map[string]string{}
			for i := range next {
				out[i] = analyseChunk(chunks[i], cache)
			}
		}()
	}
	var err error
	for i := range chunks {
		if i%1024 == 0 {
			if err = ctx.Err(); err != nil {
				break
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	return out, nil
}

// analyseChunk analyses the fields of c; cache memoises word -> term ("" for
// none) across the chunks one worker sees.
func analyseChunk(c Chunk, cache map[string]string) chunkTerms {
	var at chunkTerms
	emit := func(f int, text string) {
		words(fold(text), func(w string, cjk bool) {
			if cjk {
				cjkBigrams(w, func(t string) { at.fields[f] = append(at.fields[f], t) })
				return
			}
			t, ok := cache[w]
			if !ok {
				emitTerms(w, false, func(s string) { t = s })
				if len(cache) < 1<<18 {
					cache[w] = t
				}
			}
			if t != "" {
				at.fields[f] = append(at.fields[f], t)
				if f == fieldBody || f == fieldTitle {
					at.words = append(at.words, wordTerm{w, t})
				}
			}
		})
	}
	emit(fieldTitle, c.Title)
	for _, s := range c.Section {
		emit(fieldSection, s)
	}
	emit(fieldBody, c.Text)
	return at
}

// Len returns the number of chunks in the index.
func (ix *Index) Len() int { return len(ix.chunks) }

// Chunks returns the indexed chunks; the caller must not modify them.
func (ix *Index) Chunks() []Chunk { return ix.chunks }

// Search returns the k best snippets for query. It implements Searcher.
func (ix *Index) Search(ctx context.Context, query string, k int) ([]Snippet, error) {
	r, err := ix.Retrieve(ctx, Query{Text: query, K: k})
	return r.Snippets, err
}

// Retrieve searches q.Text with q.History as context and returns the best
// snippets with a confidence.
func (ix *Index) Retrieve(ctx context.Context, q Query) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("search knowledge: %w", err)
	}
	k := q.K
	if k <= 0 {
		k = DefaultK
	}
	qt := ix.queryTerms(q)
	if len(qt) == 0 || len(ix.chunks) == 0 {
		return Result{}, nil
	}
	depth := max(k, fusionDepth)
	lexical := ix.bm25(qt, depth)
	ranked := lexical
	var dvec []float32
	if ix.dense != nil {
		dvec = ix.dense.queryVector(qt)
		if dvec != nil {
			ranked = fuse(lexical, ix.dense.search(dvec, depth))
		}
	}
	if len(ranked) > k {
		ranked = ranked[:k]
	}
	res := Result{Snippets: make([]Snippet, len(ranked))}
	for i, h := range ranked {
		res.Snippets[i] = ix.chunks[h.doc].Snippet(h.score)
	}
	if len(ranked) > 0 {
		res.Confidence = ix.confidence(qt, ranked[0].doc, dvec)
	}
	return res, nil
}

// A queryTerm is one distinct term of a query with its weight.
type queryTerm struct {
	id     int32   // -1 when the term is not in the index
	weight float64 // 1 for the question's own terms; less for context and typo corrections
	idf    float64
}

// Weights of conversation context: the previous turn, and the one before.
var historyWeights = []float64{0.5, 0.25}

// queryTerms analyses q into weighted distinct terms.
func (ix *Index) queryTerms(q Query) []queryTerm {
	var out []queryTerm
	seen := map[string]int{}
	add := func(text string, w float64) {
		analyzeWords(clipQuery(text), func(term, word string) {
			corrected := w
			if _, ok := ix.terms[term]; !ok && ix.typos != nil {
				if t, dist := ix.typos.correct(word); t != "" {
					term = t
					corrected = w * typoWeight(dist)
				}
			}
			if i, ok := seen[term]; ok {
				out[i].weight = max(out[i].weight, corrected)
				return
			}
			seen[term] = len(out)
			qt := queryTerm{id: -1, weight: corrected, idf: idf(len(ix.chunks), 0)}
			if id, ok := ix.terms[term]; ok {
				qt.id, qt.idf = id, ix.idf[id]
			}
			out = append(out, qt)
		})
	}
	add(q.Text, 1)
	for i, w := range historyWeights {
		if j := len(q.History) - 1 - i; j >= 0 {
			add(q.History[j], w)
		}
	}
	return out
}

func typoWeight(dist int) float64 {
	if dist <= 1 {
		return 0.8
	}
	return 0.6
}

// A hit is a scored chunk.
type hit struct {
	doc   int32
	score float64
}

// bm25 returns the best k chunks by BM25F score.
func (ix *Index) bm25(qt []queryTerm, k int) []hit {
	sp := ix.scratch.Get().(*[]float64)
	defer ix.scratch.Put(sp)
	acc := *sp
	var touched []int32
	k1, b := ix.opts.K1, ix.opts.B
	for _, t := range qt {
		if t.id < 0 {
			continue
		}
		for _, p := range ix.postings[t.id] {
			var tf float64
			for f := range numFields {
				if p.tf[f] == 0 {
					continue
				}
				norm := 1 - b + b*float64(ix.fieldLen[f][p.doc])/ix.avgLen[f]
				tf += ix.weight[f] * float64(p.tf[f]) / norm
			}
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += t.weight * t.idf * tf / (k1 + tf)
		}
	}
	hits := make([]hit, 0, len(touched))
	for _, d := range touched {
		hits = append(hits, hit{d, acc[d]})
		acc[d] = 0
	}
	return topK(hits, k)
}

// topK sorts hits best first (ties by chunk order) and keeps k.
func topK(hits []hit, k int) []hit {
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].doc < hits[j].doc
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// confidence is the IDF-weighted share of the query's terms found in the
// chunk doc, or the dense cosine when that is higher (see Result).
func (ix *Index) confidence(qt []queryTerm, doc int32, dvec []float32) float64 {
	var have, all float64
	for _, t := range qt {
		w := t.weight * t.idf
		all += w
		if t.id >= 0 && ix.contains(t.id, doc) {
			have += w
		}
	}
	c := 0.0
	if all > 0 {
		c = have / all
	}
	if ix.dense != nil && dvec != nil {
		c = max(c, ix.dense.similarity(dvec, doc)*denseConfidenceScale)
	}
	return math.Min(1, math.Max(0, c))
}

// contains reports whether term id occurs in chunk doc.
func (ix *Index) contains(id, doc int32) bool {
	ps := ix.postings[id]
	i := sort.Search(len(ps), func(i int) bool { return ps[i].doc >= doc })
	return i < len(ps) && ps[i].doc == doc
}

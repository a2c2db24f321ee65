package knowledge

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

// A Speller corrects the misspelt words of a question against the
// knowledge's own words ("cancle" → "cancel"). The conversation pipeline
// checks a Searcher for it at run time, and its answerer reads the
// question spelt as the search read it.
type Speller interface {
	Spell(text string) string
}

// A Linguist tells the language most of the knowledge is written in, as
// LanguageOf names it. The conversation pipeline checks a Searcher for
// it, to speak to a user in the articles' language when their message
// does not tell ("ok danke" to a German help centre).
type Linguist interface {
	Language() string
}

// A Comparer rates how close in meaning texts are to a question, beyond
// the words they share. The conversation pipeline checks a Searcher for
// it, and its answerer uses it to choose among the retrieved sentences.
type Comparer interface {
	// Similarities returns, for each of texts, its similarity in meaning
	// to question, in [-1, 1]; 0 when either has no word to tell by.
	Similarities(question string, texts []string) []float64
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
	// Confidence in [0, 1] says how well the knowledge covers the
	// question: the largest, over the three best chunks, IDF-weighted
	// share of the query's content terms (context terms and typo
	// corrections at their reduced weights; a correction at the weight
	// its edit distance gives, likely or not) that occur in the chunk. Words
	// the knowledge never uses count fully against it, so questions about
	// other things score low (the three heaviest of them; see
	// absentCounted). Dense similarity is left out on purpose: it
	// is high for any text in the domain's vocabulary and separated
	// answerable from out-of-scope questions worse on the evaluation set.
	// Compare it with DefaultConfidenceThreshold.
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
	// ArticleWeight scales the BM25F score of a chunk's whole article,
	// added to the chunk's own score. Zero means DefaultArticleWeight;
	// negative means chunks are scored alone.
	ArticleWeight float64
	// NoTypos turns off typo correction of query words that are not in
	// the vocabulary.
	NoTypos bool
	// Dense configures the latent semantic (LSA) vectors fused with BM25.
	Dense DenseOptions
}

// Default field weights of Options.
const (
	DefaultTitleWeight   = 2.0
	DefaultSectionWeight = 2.0
	DefaultArticleWeight = 0.5
)

func (o Options) withDefaults() Options {
	if o.K1 <= 0 {
		o.K1 = 1.2
	}
	if o.B <= 0 {
		o.B = 0.75
	}
	if o.ArticleWeight == 0 {
		o.ArticleWeight = DefaultArticleWeight
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

// An Index is an immutable search index over chunks: BM25F over title,
// heading path and body, plus the same over whole articles (so a chunk's
// article as a whole also counts), with typo correction and optional dense
// vectors fused by reciprocal rank. It is safe for concurrent use; to
// change the knowledge, build a new Index and swap it in (see Live).
type Index struct {
	opts      Options
	chunks    []Chunk
	terms     map[string]int32 // term -> id
	idf       []float64        // by term id, over chunks
	byChunk   *inverted        // units: chunks
	byArticle *inverted        // units: articles (chunks sharing a DocID)
	article   []int32          // chunk -> article number
	weight    [numFields]float64
	typos     *typoIndex    // nil when Options.NoTypos
	assoc     Associations  // nil: the learned searchAssociations
	repeats   Repeats       // nil: the learned searchRepeats
	dense     *denseModel   // nil when dense vectors are off
	source    string        // the folder the chunks were loaded from, absolute; "" when unknown
	stamp     uint64        // fingerprint of source when it was loaded
	scratch   sync.Pool     // *scratch sized for this index
	compounds compounds     // joined hyphenated words, read from chunks on first use
	contacts  contactChunks // which chunks hold each kind of contact detail, read on first use
	language  struct {      // the language of most chunks, read on first use
		once sync.Once
		code string
	}
}

// scratch is per-search working memory, pooled.
type scratch struct {
	chunk, article []float64 // scores by chunk and by article; all zero between searches
	touched, arts  []int32   // chunks and articles with a score
}

var (
	_ Retriever = (*Index)(nil)
	_ Speller   = (*Index)(nil)
	_ Linguist  = (*Index)(nil)
	_ Comparer  = (*Index)(nil)
)

// Open loads the knowledge folder dir and indexes it. The index
// remembers the folder and a fingerprint of its files (names, sizes,
// modification times), which Save records, so that a Live started from
// the saved file (OpenLiveFile) knows whether the folder has changed.
func Open(ctx context.Context, dir string, lopts LoadOptions, opts Options) (*Index, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	defer root.Close()
	// The fingerprint is taken first: a file changed while loading makes
	// the index look older than it is, which only costs a rebuild.
	stamp, err := fingerprint(root.FS(), dir)
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	chunks, err := LoadFS(ctx, root.FS(), lopts)
	if err != nil {
		return nil, err
	}
	ix, err := Build(ctx, chunks, opts)
	if err != nil {
		return nil, err
	}
	ix.setSource(dir, stamp)
	return ix, nil
}

// setSource records the folder ix was built from and its fingerprint.
// Only for an index not yet shared.
func (ix *Index) setSource(dir string, stamp uint64) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	ix.source, ix.stamp = dir, stamp
}

// Source returns the knowledge folder the index was built from (an
// absolute path), or "" when it was built from chunks.
func (ix *Index) Source() string { return ix.source }

// chunkTerms is the analysed form of one chunk.
type chunkTerms struct {
	lang   language // of the chunk's body
	fields [numFields][]string
	ids    [numFields][]int32
	words  []wordTerm // surface words (first sight per worker), for typo correction
}

type wordTerm struct{ word, term string }

// Build indexes chunks. The index keeps chunks; the caller must not modify
// them afterwards.
func Build(ctx context.Context, chunks []Chunk, opts Options) (*Index, error) {
	opts = opts.withDefaults()
	ix := &Index{opts: opts, chunks: chunks, terms: map[string]int32{}}
	ix.weight = [numFields]float64{opts.TitleWeight, opts.SectionWeight, 1}
	n := len(chunks)

	analysed, err := analyseChunks(ctx, chunks)
	if err != nil {
		return nil, err
	}
	splitCompounds(analysed)
	typoWords := map[string]string{}
	for d := range analysed {
		at := &analysed[d]
		for f, ts := range at.fields {
			at.ids[f] = make([]int32, len(ts))
			for i, t := range ts {
				id, ok := ix.terms[t]
				if !ok {
					id = int32(len(ix.terms))
					ix.terms[t] = id
				}
				at.ids[f][i] = id
			}
		}
		if !opts.NoTypos {
			for _, wt := range at.words {
				typoWords[wt.word] = wt.term
			}
		}
	}

	// Chunk level.
	k1, b := opts.K1, opts.B
	ix.byChunk = buildInverted(n, len(ix.terms), k1, b, &ix.weight, func(u int) *[numFields][]int32 { return &analysed[u].ids })
	ix.idf = make([]float64, len(ix.terms))
	for id := range ix.idf {
		ix.idf[id] = idf(n, ix.byChunk.df(int32(id)))
	}

	// Article level: an article's title counts once, its sections and
	// bodies all together.
	ix.article = make([]int32, n)
	articleOf := map[string]int32{}
	for d, c := range chunks {
		a, ok := articleOf[c.DocID]
		if !ok {
			a = int32(len(articleOf))
			articleOf[c.DocID] = a
		}
		ix.article[d] = a
	}
	merged := make([][numFields][]int32, len(articleOf))
	seenTitle := make([]bool, len(articleOf))
	for d := range analysed {
		a := ix.article[d]
		ids := &analysed[d].ids
		if !seenTitle[a] {
			merged[a][fieldTitle] = append(merged[a][fieldTitle], ids[fieldTitle]...)
			seenTitle[a] = true
		}
		merged[a][fieldSection] = append(merged[a][fieldSection], ids[fieldSection]...)
		merged[a][fieldBody] = append(merged[a][fieldBody], ids[fieldBody]...)
	}
	ix.byArticle = buildInverted(len(merged), len(ix.terms), k1, b, &ix.weight, func(u int) *[numFields][]int32 { return &merged[u] })

	articles := len(articleOf)
	ix.scratch.New = func() any {
		return &scratch{chunk: make([]float64, n), article: make([]float64, articles)}
	}
	if !opts.NoTypos {
		ix.typos = newTypoIndex(typoWords, func(term string) int {
			if id, ok := ix.terms[term]; ok {
				return ix.byChunk.df(id)
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
			var caches wordCaches
			for i := range next {
				out[i] = analyseChunk(chunks[i], &caches)
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

// wordCaches memoise word -> term ("" for none), by language, across the
// chunks one worker sees.
type wordCaches [numLanguages]map[string]string

// analyseChunk analyses the fields of c, all in the language of its body
// (the title and headings alone are too short to tell).
func analyseChunk(c Chunk, caches *wordCaches) chunkTerms {
	lang := detectLanguage(fold(c.Text))
	at := chunkTerms{lang: lang}
	if caches[lang] == nil {
		caches[lang] = map[string]string{}
	}
	cache := caches[lang]
	emit := func(f int, text string) {
		words(fold(text), func(w string, cjk bool) {
			if cjk {
				cjkBigrams(w, func(t string) { at.fields[f] = append(at.fields[f], t) })
				return
			}
			t, seen := cache[w]
			if !seen {
				emitTerms(w, false, lang, func(s string) { t = s })
				if len(cache) < 1<<18 {
					cache[w] = t
				}
			}
			if t == "" {
				return
			}
			at.fields[f] = append(at.fields[f], t)
			// A word this worker has seen before is already recorded
			// for typo correction.
			if !seen {
				at.words = append(at.words, wordTerm{w, t})
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
	// The dense scan starts first: on a large index its helpers run
	// while this goroutine scores BM25, then it joins them.
	var scan *denseScan
	if ix.dense != nil {
		if dvec := ix.dense.queryVector(qt); dvec != nil {
			scan = ix.dense.startSearch(dvec, depth)
		}
	}
	ranked := ix.bm25(qt, depth)
	if scan != nil {
		lexical := ranked
		ranked = keepClearLead(fuse([][]hit{ranked, scan.wait()}, []float64{1, ix.dense.weight}), lexical)
	}
	var res Result
	for i := 0; i < len(ranked) && i < confidenceDepth; i++ {
		res.Confidence = max(res.Confidence, ix.coverage(qt, ranked[i].doc))
	}
	if len(ranked) > k {
		ranked = ranked[:k]
	}
	res.Snippets = make([]Snippet, len(ranked))
	for i, h := range ranked {
		res.Snippets[i] = ix.chunks[h.doc].Snippet(h.score)
	}
	return res, nil
}

// A queryTerm is one distinct term of a query with its weight.
type queryTerm struct {
	id     int32   // -1 when the term is not in the index
	weight float64 // 1 for the question's own terms; less for context and typo corrections
	// cover is the term's weight in confidence (coverage): weight, except
	// that an unlikely typo correction counts as a likely one there.
	cover float64
	idf   float64
	term  string
	// associate marks a term added for an Associations entry of a
	// question term, of (-1 when the index lacks it); it counts in
	// ranking only, and only where of is not.
	associate bool
	of        int32
	// contacts marks, a bit for each Contact, a word of a question for
	// a contact detail that names one ("number", "address"): a chunk
	// holding such a detail holds it too.
	contacts uint8
}

// Weights of conversation context: the previous turn, and the one before.
var historyWeights = []float64{0.5, 0.25}

// queryTerms analyses q into weighted distinct terms.
func (ix *Index) queryTerms(q Query) []queryTerm {
	var out []queryTerm
	seen := map[string]int{}
	put := func(term string, weight, cover float64) {
		if i, ok := seen[term]; ok {
			out[i].weight = max(out[i].weight, weight)
			out[i].cover = max(out[i].cover, cover)
			return
		}
		seen[term] = len(out)
		qt := queryTerm{id: -1, weight: weight, cover: cover, idf: idf(len(ix.chunks), 0), term: term}
		if id, ok := ix.terms[term]; ok {
			qt.id, qt.idf = id, ix.idf[id]
		}
		out = append(out, qt)
	}
	var words []string                // the question's own words
	namedBy := make(map[string]uint8) // term: the kinds of contact detail its word names, a bit each
	var measures map[string]bool
	add := func(text string, w float64) {
		text = clipQuery(text)
		measures = Measures(text)
		analyzeWords(text, func(term, word string) {
			var names uint8
			if w == 1 {
				words = append(words, word)
				names = contactsNamed(word)
			}
			if _, ok := ix.terms[term]; ok {
				put(term, w, w)
				namedBy[term] |= names
				return
			}
			if comp, ok := ix.compound(word); ok {
				for _, p := range comp.terms {
					put(p, w, w)
				}
				return
			}
			if parts := ix.germanCompound(word); parts != nil {
				for _, p := range parts {
					put(p, w, w)
				}
				return
			}
			if measures[word] {
				put(term, w, 0) // see Measures
				return
			}
			// A question too short to tell its language may be in
			// another one than the knowledge it is about.
			term = ix.otherStem(term, word)
			corrected, cover := w, w
			// A contact detail's name is no slip: "nr" is not "no".
			if _, ok := ix.terms[term]; !ok && ix.typos != nil && names == 0 {
				if fix := ix.typos.correct(word); fix.term != "" {
					term = fix.term
					corrected = w * fix.weight()
					cover = w * fix.distWeight()
				}
			}
			put(term, corrected, cover)
			namedBy[term] |= names
		})
	}
	add(withoutAskWords(q.Text), 1)
	var asked uint8
	for c := range numContacts {
		if c.AskedIn(words) {
			asked |= 1 << c
		}
	}
	for t, names := range namedBy {
		out[seen[t]].contacts = names & asked
	}
	ix.weighRepeats(out)
	for i, w := range historyWeights {
		if j := len(q.History) - 1 - i; j >= 0 {
			add(withoutAskWords(q.History[j]), w)
		}
	}
	return ix.withAssociates(out, seen)
}

// weighRepeats scales the confidence weight of a question's terms by how
// often answers repeat them (Repeats): a question wraps its topic in
// words answers do not say ("my dad actually wants to bring his dog"),
// and counted fully they lowered the confidence of answerable questions
// as much as the missing topic of an out-of-scope one does.
//
// Measured on the twenty training help centres, each with the tables
// learned from the other nineteen: at the same out-of-scope fallback the
// answers right rose by 150 to 270 of 4,337 (wrong ones by 120 to 160),
// at every threshold from 0.38 to 0.55. Scaling the terms' weight in
// ranking as well cost answers (1,811 right at 0.4 fell to 1,760). See
// conversation.DefaultConfidenceThreshold for the threshold chosen with
// it.
func (ix *Index) weighRepeats(qt []queryTerm) {
	rs := ix.repeats
	if rs == nil {
		rs = searchRepeats()
	}
	for i, t := range qt {
		if r, ok := rs[t.term]; ok {
			qt[i].cover *= r
		}
	}
}

// associateWeight scales an associate's share into its weight in
// ranking. An associate stands in for its question term: it scores only
// in chunks without that term, so that "how much per year?" does not
// score "year" twice in a price list that says "a month" too. And it
// counts in ranking only, not in confidence: counted there too (at its
// share), it answered more questions but out-of-scope ones as well, two
// of held-out's eight among them.
//
// Chosen on the twenty training help centres, each measured with
// associations learned from the other nineteen, with the extractive
// answerer's own associations: 0.5 answered 1,769 of their 4,337 answer
// questions right (1,741 with the answerer's alone) and held-out 48 of
// 74 (47); 1 answered 1,773, but held-out 46 and pet insurance one
// fewer.
const associateWeight = 0.5

// withAssociates appends to qt, the terms of a question, the associates
// (see Associations) of its own terms that the index holds and the
// question lacks, weighted by their share.
func (ix *Index) withAssociates(qt []queryTerm, seen map[string]int) []queryTerm {
	as := ix.assoc
	if as == nil {
		as = searchAssociations()
	}
	n := len(qt)
	for _, t := range qt[:n] {
		if t.weight < 1 {
			continue // context and typo corrections are guesses already
		}
		for _, a := range as[t.term] {
			id, ok := ix.terms[a.Term]
			if !ok {
				continue
			}
			w := a.P * associateWeight
			if i, dup := seen[a.Term]; dup {
				if qt[i].associate {
					qt[i].weight = max(qt[i].weight, w)
				}
				continue
			}
			seen[a.Term] = len(qt)
			qt = append(qt, queryTerm{id: id, weight: w, idf: ix.idf[id], term: a.Term, associate: true, of: t.id})
		}
	}
	return qt
}

// otherStem returns the first stem of the folded word in another language
// that the index knows, or term when none is known.
func (ix *Index) otherStem(term, word string) string {
	w, ok := contentWord(word)
	if !ok || isNumber(w) {
		return term
	}
	for l := range numLanguages {
		if s := l.stem(w); s != term {
			if _, ok := ix.terms[s]; ok {
				return s
			}
		}
	}
	return term
}

// weight is how much a corrected query word counts in ranking against
// one spelt right: a likely slip one edit away counts nearly fully, two
// edits less, and an unlikely correction (see likelyTypo) little, since
// the word may well be another one the knowledge does not use.
func (f typoFix) weight() float64 {
	if !f.likely {
		return unlikelyTypoWeight
	}
	return f.distWeight()
}

// distWeight is weight for a likely correction: by distance alone.
// Confidence counts every correction so: a word one letter off the
// knowledge's words says about as much about whether the knowledge is
// on the subject whether or not it is the word meant.
func (f typoFix) distWeight() float64 {
	if f.dist <= 1 {
		return 0.8
	}
	return 0.6
}

// unlikelyTypoWeight is the weight of an unlikely correction. Chosen on
// the demo evaluation set (configs/eval) among 0.1 to 0.5: 0.2 to 0.4
// rank equally there, with 0.5 worse, and leaving unlikely corrections
// out (weight 0) costs confidence on answerable questions.
const unlikelyTypoWeight = 0.3

// A hit is a scored chunk.
type hit struct {
	doc   int32
	score float64
}

// bm25 returns the best k chunks by BM25F score, each raised by
// ArticleWeight times its article's BM25F score.
func (ix *Index) bm25(qt []queryTerm, k int) []hit {
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	sc.touched = ix.byChunk.score(qt, sc.chunk, sc.touched[:0])
	aw := ix.opts.ArticleWeight
	if aw > 0 {
		sc.arts = ix.byArticle.score(qt, sc.article, sc.arts[:0])
	}
	h := make([]hit, 0, k)
	for _, d := range sc.touched {
		s := sc.chunk[d]
		if aw > 0 {
			s += aw * sc.article[ix.article[d]]
		}
		sc.chunk[d] = 0
		h = pushTop(h, k, hit{d, s})
	}
	for _, a := range sc.arts {
		sc.article[a] = 0
	}
	return topK(h, k)
}

// topK returns the k best hits, best first (ties by chunk order). It may
// reorder hits.
func topK(hits []hit, k int) []hit {
	if k <= 0 {
		return nil
	}
	if len(hits) > 4*k {
		// Keep the k best in a min-heap at the front; the rest never sort.
		h := hits[:k]
		heapify(h)
		for _, x := range hits[k:] {
			if better(x, h[0]) {
				h[0] = x
				siftDown(h, 0)
			}
		}
		hits = h
	}
	sort.Slice(hits, func(i, j int) bool { return better(hits[i], hits[j]) })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// better orders hits: higher score, then earlier chunk.
func better(a, b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// pushTop adds x to h, a min-heap (by better) of at most k hits.
func pushTop(h []hit, k int, x hit) []hit {
	switch {
	case len(h) < k:
		h = append(h, x)
		if len(h) == k {
			heapify(h)
		}
	case better(x, h[0]):
		h[0] = x
		siftDown(h, 0)
	}
	return h
}

// heapify orders h as a min-heap by better (the worst hit at the root).
func heapify(h []hit) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

func siftDown(h []hit, i int) {
	for {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && better(h[worst], h[l]) {
			worst = l
		}
		if r < len(h) && better(h[worst], h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// absentCounted is how many of the terms a chunk lacks count against
// its coverage: the heaviest. A long message tells a story ("I sent a
// parcel last week and my friend can't find it…") whose every word the
// articles lack lowered the confidence, so that the longer a question
// the likelier it fell back (28 % of the training centres' answer
// questions of 5–9 words, 62 % of those of 15–19), while out-of-scope
// questions fell back as often at any length. Chosen on the twenty
// training help centres: with 3, 41 more of their 4,337 answer
// questions were right (1,699) and 25 more wrong, with the same
// out-of-scope fallback (408 of 578), and at every threshold from 0.38
// to 0.45 the same; held-out gained one (44 of 74) and demo one, with no
// out-of-scope question lost anywhere. With 2, 23 more out-of-scope
// questions were answered; with 4, the gain was 3.
const absentCounted = 3

// confidenceDepth is how many of the best chunks confidence looks at.
const confidenceDepth = 3

// coverage is the IDF-weighted share of the query's terms found in the
// chunk doc, in [0, 1], where only the absentCounted heaviest of the
// terms the chunk lacks count against it.
func (ix *Index) coverage(qt []queryTerm, doc int32) float64 {
	var have, all float64
	var absent []float64
	for _, t := range qt {
		if t.associate {
			continue
		}
		w := t.cover * t.idf
		all += w
		if t.id >= 0 && ix.byChunk.contains(t.id, doc) || ix.holdsNamed(t.contacts, doc) {
			have += w
		} else {
			absent = append(absent, w)
		}
	}
	if len(absent) > absentCounted {
		slices.Sort(absent)
		for _, w := range absent[:len(absent)-absentCounted] {
			all -= w
		}
	}
	c := 0.0
	if all > 0 {
		c = have / all
	}
	return math.Min(1, math.Max(0, c))
}

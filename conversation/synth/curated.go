package synth

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// A Question is one line of a questions file (JSON Lines): a question as
// a real user asks it about a knowledge folder, with the sentence of the
// article that answers it, copied from the article:
//
//	{"q": "my card got declined, will you still send it?", "doc": "payments.md", "answer": "...", "history": ["..."]}
//	{"q": "do you deliver to the moon", "kind": "out_of_scope"}
//
// History holds the user's earlier questions of a follow-up, oldest
// first. It is the evaluation set's question (switchboard eval reads these
// files too); the trainer needs its Answer, and ignores Any.
type Question = knowledge.EvalQuestion

// OutOfScope is the Kind of a question the knowledge does not answer.
const OutOfScope = "out_of_scope"

// A folder is one knowledge folder's chunks and, when curated questions
// are about it, its index.
type folder struct {
	chunks []knowledge.Chunk
	index  *knowledge.Index
}

// A curated question is a Question resolved against a knowledge folder.
type curated struct {
	Question
	folder int
	chunk  int    // the folder's chunk holding the answer; -1 when out of scope
	answer string // the answer as grounding.Sentences cuts it from the chunk
}

// LoadQuestions reads a questions file.
func LoadQuestions(path string) ([]Question, error) {
	if isHeldOut(path) {
		return nil, fmt.Errorf("load %s: %w", path, ErrHeldOut)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load questions: %w", err)
	}
	defer f.Close()
	var out []Question
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q Question
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("load questions: %s:%d: %w", path, n, err)
		}
		if strings.TrimSpace(q.Q) == "" || q.Kind != OutOfScope && (q.Doc == "" || q.Answer == "") {
			return nil, fmt.Errorf("load questions: %s:%d: want q, and doc and answer unless kind is %q", path, n, OutOfScope)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load questions: %s: %w", path, err)
	}
	return out, nil
}

// loadQuestions loads Options.Questions, finds their answers in the
// knowledge folders, and indexes the folders they are about, to retrieve
// their snippets as the pipeline does.
func (g *Generator) loadQuestions(ctx context.Context) error {
	if len(g.opts.Questions) == 0 {
		return nil
	}
	if g.opts.QuestionShare == 0 {
		g.opts.QuestionShare = 0.3
	}
	total := 0
	for _, path := range g.opts.Questions {
		qs, err := LoadQuestions(path)
		if err != nil {
			return err
		}
		total += len(qs)
		found, lost := resolve(qs, g.folders)
		g.curated = append(g.curated, found...)
		g.lost = append(g.lost, lost...)
	}
	if len(g.curated) == 0 {
		return fmt.Errorf("load questions: none of %d answered in the knowledge folders %v", total, g.opts.Knowledge)
	}
	for _, c := range g.curated {
		f := &g.folders[c.folder]
		if f.index != nil {
			continue
		}
		ix, err := knowledge.Build(ctx, f.chunks, knowledge.Options{})
		if err != nil {
			return fmt.Errorf("load questions: index %s: %w", g.opts.Knowledge[c.folder], err)
		}
		f.index = ix
	}
	return nil
}

// resolve finds the answers of one file's questions in the folders: for
// each, the sentence of its document that is the answer, holds it, or (a
// table row quoted from the Markdown, a sentence quoted with its markup)
// holds nearly all of its words; where folders share a document name,
// the folder whose sentence matches best. Out-of-scope questions are
// about the folder most of the file's answers are in. It returns the
// questions it could place, and those whose answer is in no chunk of
// their document (misquoted, or the article changed).
func resolve(qs []Question, folders []folder) (found []curated, lost []Question) {
	votes := make([]int, len(folders))
	var outOfScope []Question
	for _, q := range qs {
		if q.Kind == OutOfScope {
			outOfScope = append(outOfScope, q)
			continue
		}
		c := curated{Question: q, chunk: -1}
		best := minQuoteOverlap
		want := words(q.Answer)
		for fi, f := range folders {
			for i, ch := range f.chunks {
				if ch.DocID != q.Doc {
					continue
				}
				for _, s := range grounding.Sentences(ch.Text) {
					if o := overlap(want, words(s)); o >= best {
						c.folder, c.chunk, c.answer, best = fi, i, s, o
					}
				}
			}
		}
		if c.chunk < 0 {
			lost = append(lost, q)
			continue
		}
		votes[c.folder]++
		found = append(found, c)
	}
	if len(found) > 0 {
		home := 0
		for fi, v := range votes {
			if v > votes[home] {
				home = fi
			}
		}
		for _, q := range outOfScope {
			found = append(found, curated{Question: q, folder: home, chunk: -1})
		}
	}
	return found, lost
}

// minQuoteOverlap is the least share of a quoted answer's words that its
// sentence must hold.
const minQuoteOverlap = 0.9

// words returns the lower-cased words and numbers of s.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '€' && r != '£' && r != '$' && r != '%'
	})
}

// overlap is the share of want's words that got holds, less a little for
// each word got has beyond them, so that the tightest sentence wins.
func overlap(want, got []string) float64 {
	if len(want) == 0 {
		return 0
	}
	have := make(map[string]int)
	for _, w := range got {
		have[w]++
	}
	n := 0
	for _, w := range want {
		if have[w] > 0 {
			have[w]--
			n++
		}
	}
	extra := max(0, len(got)-n)
	return float64(n)/float64(len(want)) - 0.001*float64(extra)
}

// Lost returns the curated questions whose answers were not found in
// their documents; they are left out of the data.
func (g *Generator) Lost() []Question { return g.lost }

// Curated returns how many curated questions the data draws from.
func (g *Generator) Curated() int { return len(g.curated) }

// excerptSentences is how many sentences of the retrieved snippets a
// curated example's prompt keeps: about the RerankTop sentences
// constrained decoding offers the model at answer time.
const excerptSentences = 6

// fromCurated asks a curated question. Its snippets are what retrieval
// finds for it in its knowledge folder, cut, as constrained decoding
// cuts them, to the sentences that share the most words with the
// question (the answer's always among them), under their titles and in
// reading order. Now and then the answer's chunk is left out and the
// answer is Unknown, as it is for an out-of-scope question.
func (g *Generator) fromCurated(ctx context.Context, r *rand.Rand) Example {
	q := g.curated[r.IntN(len(g.curated))]
	ex := Example{Curated: true, Unanswerable: q.chunk < 0}
	hist := g.history(q)
	f := g.folders[q.folder]
	// Retrieval fails only when ctx ends, and Example's never does.
	hits, _ := f.index.Retrieve(ctx, knowledge.Query{Text: q.Q, History: q.History, K: 3})
	var snips []knowledge.Snippet
	answerAt := -1
	for _, s := range hits.Snippets {
		if q.chunk >= 0 && s.Source == f.chunks[q.chunk].Source {
			answerAt = len(snips)
		}
		snips = append(snips, s)
	}
	if q.chunk >= 0 {
		drop := r.Float64() < g.opts.Unanswerable
		switch {
		case drop:
			ex.Unanswerable = true
			snips = slices.DeleteFunc(snips, func(s knowledge.Snippet) bool {
				return slices.Contains(grounding.Sentences(s.Text), q.answer)
			})
		case answerAt < 0:
			// Retrieval missed it: put it where retrieval might have.
			at := r.IntN(min(len(snips), 2) + 1)
			snips = slices.Insert(snips, at, f.chunks[q.chunk].Snippet(0))
			snips = snips[:min(len(snips), 3)]
		}
	}
	want := ""
	if !ex.Unanswerable {
		want = q.answer
	}
	snips = excerpt(r, snips, q.Q, want)
	p := g.build(snips, hist, q.Q)
	ex.Prompt = p
	ex.Answer = Unknown
	if want != "" {
		for k, s := range p.Snippets {
			if strings.Contains(s.Text, want) {
				ex.Answer = fmt.Sprintf("%s [%d]", want, k+1)
				break
			}
		}
		// The budget cut the answer out: then it is unanswerable.
		ex.Unanswerable = ex.Answer == Unknown
	}
	return ex
}

// history renders a follow-up's earlier questions as turns, each answered
// with its own curated answer when the file has one (as the assistant
// replied then), else with Unknown.
func (g *Generator) history(q curated) []engine.ChatMessage {
	var hist []engine.ChatMessage
	for _, h := range q.History {
		reply := Unknown
		for _, o := range g.curated {
			if o.Q == h && o.chunk >= 0 {
				reply = o.answer
				break
			}
		}
		hist = append(hist, engine.ChatMessage{Role: "user", Content: h}, engine.ChatMessage{Role: "assistant", Content: reply})
	}
	return hist
}

// excerpt cuts snippets to the excerptSentences sentences that share the
// most terms with the question (ties broken at random), always keeping
// want when it is one of them; each snippet keeps its kept sentences in
// reading order, and snippets left with none are dropped.
func excerpt(r *rand.Rand, snips []knowledge.Snippet, question, want string) []knowledge.Snippet {
	qt := grounding.TermSet(question)
	type sent struct {
		snippet, pos int
		text         string
		score        float64
	}
	var all []sent
	for k, s := range snips {
		for i, text := range grounding.Sentences(s.Text) {
			score := r.Float64() / 2
			for t := range grounding.TermSet(text) {
				if qt[t] {
					score++
				}
			}
			if text == want {
				score = 1e9
			}
			all = append(all, sent{k, i, text, score})
		}
	}
	slices.SortFunc(all, func(a, b sent) int { return cmp.Compare(b.score, a.score) })
	all = all[:min(len(all), excerptSentences)]
	slices.SortFunc(all, func(a, b sent) int { return cmp.Or(cmp.Compare(a.snippet, b.snippet), cmp.Compare(a.pos, b.pos)) })
	var out []knowledge.Snippet
	for k, s := range snips {
		var kept []string
		for _, x := range all {
			if x.snippet == k {
				kept = append(kept, x.text)
			}
		}
		if len(kept) > 0 {
			s.Text = strings.Join(kept, " ")
			out = append(out, s)
		}
	}
	return out
}

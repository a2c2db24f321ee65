// Package extractive answers questions with the best sentences of the
// retrieved snippets, verbatim, and cites the snippets it used. It is the
// safe answer mode: it can only say what the help centre says, and it is
// the baseline a generative model must beat.
package extractive

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// Defaults for Options.
const (
	DefaultMaxSentences = 3
	// DefaultSnippets is all that the Manager retrieves by default
	// (conversation.DefaultTopK, five). Four, with sentences chosen by
	// meaning too (meaningWeight), had answered 20 more of the dev sets'
	// 3,422 questions right than three and 15 fewer wrongly; reading two
	// answered 58 fewer right. Five, with answerability relearned for
	// it, answered the 36 dev sets' 3,642 answer questions 1,727 times
	// right (four: 1,702) and 460 times wrongly (466), with one more of
	// 440 out-of-scope questions answered; the training centres 2,386 of
	// 4,888 right (2,377), 891 wrong (889) and four more of 642
	// out-of-scope answered; the demo one more right and one fewer wrong;
	// held-out 2 fewer right of 74 (54), both falling back. Six answered
	// 1,724 and 461 on dev, 903 wrong on the training centres.
	DefaultSnippets = conversation.DefaultTopK
	// DefaultMinScore is the least score a best sentence needs: about one
	// matched distinctive content term.
	DefaultMinScore = 0.5
	// DefaultMinCoverage is a second guard against guessing, for
	// searchers without a calibrated confidence. With the knowledge
	// index's confidence and the Manager's default threshold it changes
	// nothing on the eval sets (accuracy_test.go); 0.25 and above start
	// to cost answers.
	DefaultMinCoverage = 0.2
	// DefaultMinAnswerability is the probability of being right under
	// which a reply falls back (Options.MinAnswerability). Chosen with
	// conversation.DefaultConfidenceThreshold, which says what the pair
	// buys, over the 33 configs/dev sets, held-out and demo (0.4 and
	// 0.44, each at thresholds 0.36 to 0.42). On the 23 training
	// centres the model was learned from, it answered 2,339 of 4,888
	// questions right against 2,278 without it (at the threshold of
	// then, 0.44), 892 wrongly against 935, and 495 of 642 out-of-scope
	// questions fell back against 480. It replaced a rule that asked
	// replies to questions retrieved with a confidence under 0.4 to cover
	// 0.3 of them: with both, the dev sets answered 2 fewer right, 3
	// fewer wrongly and sent 2 more out-of-scope questions to the
	// fallback.
	DefaultMinAnswerability = 0.4
)

// Options configure an Answerer. The zero value gives the defaults.
type Options struct {
	// MaxSentences is the most sentences in a reply, not counting the list
	// items that follow a chosen sentence ending in ':'. Zero or less
	// means DefaultMaxSentences.
	MaxSentences int
	// Snippets is how many of the top snippets are read. Zero or less
	// means DefaultSnippets.
	Snippets int
	// MinScore is the score below which the best sentence is not an answer
	// and the reply is a fallback. Zero or less means DefaultMinScore.
	MinScore float64
	// MinCoverage is the least share of the question's content (terms
	// weighted by rarity) that the chosen sentences and their headings
	// must cover; below it the question is about something the snippets
	// do not say ("who is your CEO?" against an article that names the
	// company) and the reply is a fallback. Zero means DefaultMinCoverage;
	// negative means no minimum.
	MinCoverage float64
	// Rerank, when set, lets a model choose among the best-matching
	// sentences (see Reranker). Nil means the lexical choice alone.
	Rerank Reranker
	// RerankWeight and DeclineMargin weigh the Reranker's choice (see
	// DefaultRerankWeight). Zero means the default.
	RerankWeight, DeclineMargin float64
	// OnChoice, when set, is told of every choice the Reranker takes
	// part in, for diagnostics (switchboard eval). It may keep the
	// Choice: nothing in it is reused.
	OnChoice func(Choice)
	// MinAnswerability is the least probability, by Answerability, that
	// a reply is right: below it the reply is a fallback. It applies
	// when the Query rates meaning (Query.Similarities, set for the
	// knowledge index), the retrieval its model was learned with. Zero
	// means DefaultMinAnswerability; negative means no minimum.
	MinAnswerability float64
	// Answerability weighs a reply's signals; nil means the embedded
	// model (LearnedAnswerability).
	Answerability *Answerability
	// OnSignals, when set, is told the signals of every reply the
	// Answerer is about to give (before MinAnswerability), to learn an
	// Answerability from.
	OnSignals func(Signals)
}

// An Answerer builds replies from snippet sentences. It is safe for
// concurrent use.
type Answerer struct {
	opts    Options
	assoc   knowledge.Associations // question term → what answers say instead
	repeats knowledge.Repeats      // question term → how often answers repeat it
}

var _ conversation.Answerer = (*Answerer)(nil)

// New returns an Answerer with opts.
func New(opts Options) *Answerer {
	if opts.MaxSentences <= 0 {
		opts.MaxSentences = DefaultMaxSentences
	}
	if opts.Snippets <= 0 {
		opts.Snippets = DefaultSnippets
	}
	if opts.MinScore <= 0 {
		opts.MinScore = DefaultMinScore
	}
	if opts.MinCoverage == 0 {
		opts.MinCoverage = DefaultMinCoverage
	}
	if opts.RerankWeight == 0 {
		opts.RerankWeight = DefaultRerankWeight
	}
	if opts.DeclineMargin == 0 {
		opts.DeclineMargin = DefaultDeclineMargin
	}
	if opts.MinAnswerability == 0 {
		opts.MinAnswerability = DefaultMinAnswerability
	}
	if opts.Answerability == nil {
		w := LearnedAnswerability()
		opts.Answerability = &w
	}
	return &Answerer{opts: opts, assoc: learnedAssociations(), repeats: learnedRepeats()}
}

// Answer implements conversation.Answerer: it picks the sentence that best
// matches the question's content terms (weighted by how rare they are
// among the candidate sentences, helped by the snippet's title and section
// and by its rank) and the kind of answer the question asks for: a figure
// of the right kind for "how much / how long / when / how many / phone"
// questions, the numbered steps for "how do I" questions. A list intro
// brings its list, a list item or table row its intro, a step of a
// procedure asked for the whole procedure (numbered as in the article).
// It adds up to MaxSentences-1 further sentences that score nearly as
// well or continue it, and cites their snippets. It streams the reply
// word by word through q.Delta. With no sentence matching well enough,
// the chosen ones covering too little of the question, or the reply
// unlikely to be right (MinAnswerability), it returns a Fallback answer.
func (a *Answerer) Answer(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
	if err := ctx.Err(); err != nil {
		return conversation.Answer{}, err
	}
	picked, sig, err := a.pick(ctx, q)
	if err != nil {
		return conversation.Answer{}, err
	}
	if len(picked) == 0 || sig.Coverage < a.opts.MinCoverage {
		return conversation.Answer{Fallback: true}, nil
	}
	if q.Similarities != nil {
		if a.opts.OnSignals != nil {
			a.opts.OnSignals(sig)
		}
		if a.opts.Answerability.P(sig) < a.opts.MinAnswerability {
			return conversation.Answer{Fallback: true}, nil
		}
	}
	var lines []string
	var cites []knowledge.Citation
	seen := make(map[string]bool)
	labels := passageLabels(picked, q.Snippets)
	prevSnippet, prevLine, prevList := -1, -1, -1
	code := false // inside a code block of the reply
	for _, c := range picked {
		if label := labels[c.snippet]; label != "" && c.snippet != prevSnippet {
			if code {
				lines, code = append(lines, knowledge.CodeFence), false
			}
			lines = append(lines, label+":")
		}
		text := c.text
		if c.step > 0 {
			text = fmt.Sprintf("%d. %s", c.step, text)
		}
		if c.code != code || code && (c.snippet != prevSnippet || c.line != prevLine+1 || c.list != prevList) {
			// Code between fences, a block a run of its lines.
			if code {
				lines = append(lines, knowledge.CodeFence)
			}
			if c.code {
				lines = append(lines, knowledge.CodeFence)
			}
			code = c.code
		}
		if c.snippet == prevSnippet && c.line == prevLine && len(lines) > 0 {
			lines[len(lines)-1] += " " + text
		} else {
			if c.item && !c.row && !c.code && !c.numbered && !alone(c, picked) {
				// A bulleted item keeps its bullet: without it, a list
				// read as lines of one paragraph.
				text = "- " + text
			}
			lines = append(lines, text)
		}
		prevSnippet, prevLine, prevList = c.snippet, c.line, c.list
		sn := q.Snippets[c.snippet]
		if !seen[sn.Source] {
			seen[sn.Source] = true
			cites = append(cites, sn.Citation())
		}
	}
	if code {
		lines = append(lines, knowledge.CodeFence)
	}
	text := strings.Join(lines, "\n")
	if err := stream(ctx, text, q.Delta); err != nil {
		return conversation.Answer{}, err
	}
	return conversation.Answer{Text: text, Citations: cites}, nil
}

// alone reports whether the list item c is quoted without its intro and
// without another item of its list (another sentence of its own line is
// the same item). It then reads as a sentence: a bullet made a reply a
// list of one ("- Belgium – 850 lockers").
func alone(c *candidate, picked []*candidate) bool {
	for _, o := range picked {
		if o.snippet == c.snippet && o.line != c.line && (o.list == c.list || o.intro && o.line == c.introLine) {
			return false
		}
	}
	return true
}

// passageLabels names the passages of a reply that quotes lists (steps,
// items or table rows) from more than one snippet: without a name, three
// procedures from the web, Android and iOS articles read as one whose
// steps went 1, 2, 3, 1, 2, 3, 1, 2, 3. Each snippet's passage is named
// by its article's title, with the section where titles repeat. Nil
// when the reply needs no names.
func passageLabels(picked []*candidate, snippets []knowledge.Snippet) map[int]string {
	lists := make(map[int]bool)
	var order []int
	for _, c := range picked {
		if !slices.Contains(order, c.snippet) {
			order = append(order, c.snippet)
		}
		if c.item || c.numbered {
			lists[c.snippet] = true
		}
	}
	if len(lists) < 2 {
		return nil
	}
	titles := make(map[string]int)
	for _, k := range order {
		titles[snippets[k].Title]++
	}
	labels := make(map[int]string, len(order))
	for _, k := range order {
		sn := snippets[k]
		labels[k] = sn.Title
		if titles[sn.Title] > 1 && sn.Section != "" {
			labels[k] += " > " + sn.Section
		}
	}
	return labels
}

// stream sends text through delta one word (with its following space or
// newline) at a time.
func stream(ctx context.Context, text string, delta func(string) error) error {
	if delta == nil {
		return nil
	}
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != ' ' && text[i] != '\n' {
			continue
		}
		end := min(i+1, len(text))
		if end > start {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := delta(text[start:end]); err != nil {
				return fmt.Errorf("stream reply: %w", err)
			}
		}
		start = end
	}
	return nil
}

// pick returns the chosen sentences in snippet and reading order, and the
// signals of the reply they make (Signals.Coverage the share of the
// question they cover).
func (a *Answerer) pick(ctx context.Context, q conversation.Query) ([]*candidate, Signals, error) {
	lang := a.language(q.Question, q.Snippets)
	qterms := grounding.TermSetIn(q.Question, lang)
	if len(qterms) == 0 {
		return nil, Signals{}, nil
	}
	// A follow-up ("and for the yearly plan?") leans on the previous
	// question: its terms count, at a third of the weight.
	ctxTerms := make(map[string]bool)
	for i := len(q.History) - 1; i >= 0; i-- {
		if q.History[i].Role == "user" {
			for t := range grounding.TermSetIn(q.History[i].Text, lang) {
				if !qterms[t] {
					ctxTerms[t] = true
				}
			}
			break
		}
	}
	cands := a.candidates(q.Snippets, lang)
	if len(cands) == 0 {
		return nil, Signals{}, nil
	}
	if dropMeasures(qterms, q.Question, cands) == 0 {
		return nil, Signals{}, nil
	}
	kind := ask(q.Question)
	if kind.quantity == noQuantity && !kind.steps {
		// A follow-up ("and for the yearly plan?") asks what the question
		// before it asked.
		for i := len(q.History) - 1; i >= 0; i-- {
			if q.History[i].Role == "user" {
				kind = ask(q.History[i].Text)
				break
			}
		}
	}
	if c, ok := kind.quantity.contact(); ok {
		nameFigures(cands, q.Question, lang, qterms, c.Names, c.In)
	}
	nameFigures(cands, q.Question, lang, qterms, knowledge.Hours.Names, knowledge.Hours.In)
	weight := rarity(cands, qterms, ctxTerms, a.repeats)
	// Sums over the terms run in one order, so that equal scores stay
	// equal and the same question always gets the same reply.
	terms := slices.Sorted(maps.Keys(weight))
	for _, c := range cands {
		c.score = a.score(c, terms, weight, kind, qterms)
		if aboutTheArticle.MatchString(c.text) {
			c.score *= aboutWeight
			c.about = true
		}
	}
	creditNeighbours(cands, terms, weight, qterms)
	weighMeaning(cands, q.Snippets, q.Similarities)
	var best *candidate
	for _, c := range cands {
		if best == nil || c.score > best.score {
			best = c
		}
	}
	if best.score < a.opts.MinScore {
		return nil, Signals{}, nil
	}
	if !kind.code {
		best = preferProse(cands)
	}
	if a.opts.Rerank != nil {
		chosen, declined, err := a.rerank(ctx, q, cands)
		if err != nil {
			return nil, Signals{}, err
		}
		if declined {
			return nil, Signals{}, nil
		}
		best = chosen
	}
	best.selected = true
	n := 1
	switch {
	case best.intro || best.steps:
		// The lines after a list intro are the list.
		selectList(cands, best.snippet, best.line+1)
	case best.numbered:
		selectProcedure(cands, best)
	case best.introLine >= 0:
		selectItem(cands, best)
	}
	if kind.steps && !best.numbered {
		// How to do something: the steps of the best sentence's section,
		// when it has some, are the answer too.
		for _, c := range cands {
			if c.snippet == best.snippet && c.numbered && c.step == 1 {
				selectList(cands, c.snippet, c.list)
				break
			}
		}
	}
	// The next sentence of the same paragraph often finishes the thought
	// ("... within 14 days. After that, ..."): take it when it is on
	// topic; the one before when it is nearly as good as the best, or
	// when the best refers back to it.
	for _, c := range cands {
		if n >= a.opts.MaxSentences {
			break
		}
		if c.about {
			continue // what the article covers adds nothing to an answer from it
		}
		if c.snippet == best.snippet && c.line == best.line && c.pos == best.pos+1 && c.score >= 0.4*best.score ||
			c.snippet == best.snippet && c.line == best.line && c.pos == best.pos-1 && (c.score >= 0.6*best.score || refersBack(best.text)) {
			c.selected = true
			n++
			selectFor(cands, c)
		}
	}
	// Then the runners-up that score nearly as well.
	ranked := append([]*candidate(nil), cands...)
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	for _, c := range ranked {
		if n >= a.opts.MaxSentences || c.score < 0.75*best.score {
			break
		}
		if !c.selected && !c.about && !duplicate(c, cands) {
			c.selected = true
			n++
			selectFor(cands, c)
		}
	}
	fillLists(cands)
	selectCode(cands)
	var out []*candidate
	covered := make(map[string]float64)
	for _, c := range cands {
		if !c.selected {
			continue
		}
		out = append(out, c)
		for t := range c.terms {
			covered[t] = 1
		}
		for t := range c.context {
			covered[t] = max(covered[t], headingCredit)
		}
	}
	// The best sentence's section leads, in article order; the runners-up
	// from other sections follow.
	lead := func(c *candidate) int {
		if c.snippet == best.snippet {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(out, func(x, y *candidate) int { return lead(x) - lead(y) })
	return out, signals(q.Confidence, best, cands, terms, weight, qterms, covered, kind), nil
}

// selectFor selects what c, a sentence added to the best one, needs
// to be read: its list after an intro ("Unused sends do not roll over.
// Each extra parcel costs:" ended a reply), its whole procedure for a
// step ("2. Tap Cancel plan." alone leaves the reader in the middle of
// it), its intro for a list item ("- Your plan restarts at the end of
// the pause" alone opened a reply), and the sentence before it when it
// leans on that one ("For example, …", "They …").
func selectFor(cands []*candidate, c *candidate) {
	switch {
	case c.intro:
		selectList(cands, c.snippet, c.line+1)
	case c.numbered:
		selectProcedure(cands, c)
	case c.introLine >= 0:
		selectItem(cands, c)
	}
	if refersBack(c.text) {
		selectPrevious(cands, c)
	}
}

// selectItem selects the intro of item, a list item or table row, which
// reads better after it ("You pay per parcel when you create the
// label:"), and the rest of a short list: "The most common reasons
// are:" and one of four reads as if it were the only one.
func selectItem(cands []*candidate, item *candidate) {
	selectIntro(cands, item)
	if !item.row && listLen(cands, item.snippet, item.list) <= maxWholeList {
		selectList(cands, item.snippet, item.list)
	}
}

// selectProcedure selects the whole procedure of step, a numbered list
// item, after the sentence that leads into it. Asked for or not, "4.
// Choose a new password" alone sends the reader into the middle of it.
func selectProcedure(cands []*candidate, step *candidate) {
	selectList(cands, step.snippet, step.list)
	for _, c := range cands {
		if c.snippet == step.snippet && c.line == step.list-1 && (c.intro || c.steps) {
			c.selected = true
		}
	}
}

// selectPrevious selects the sentence before c in its line.
func selectPrevious(cands []*candidate, c *candidate) {
	for _, p := range cands {
		if p.snippet == c.snippet && p.line == c.line && p.pos == c.pos-1 {
			p.selected = true
		}
	}
}

// selectIntro selects the intro of item, a list item or table row.
func selectIntro(cands []*candidate, item *candidate) {
	for _, c := range cands {
		if c.snippet == item.snippet && c.line == item.introLine && c.intro {
			c.selected = true
		}
	}
}

// language returns the language in which the question and the sentences
// are read: the one most of the snippets read are written in (English on
// a tie), so that a German question is matched to German sentences with
// German stems. An English help centre's sentences are read as English
// whatever the question's words ("hay fever" holds Spanish "hay"), and a
// question clearly in English asked of articles in another language is
// read as English (knowledge.LanguageOr), as before.
func (a *Answerer) language(question string, snippets []knowledge.Snippet) string {
	votes := make(map[string]int)
	for i, s := range snippets {
		if i >= a.opts.Snippets {
			break
		}
		if l := knowledge.LanguageOf(s.Text); l != "" {
			votes[l]++
		}
	}
	prior := "en"
	for _, l := range slices.Sorted(maps.Keys(votes)) {
		if votes[l] > votes[prior] {
			prior = l
		}
	}
	if prior == "en" {
		return prior
	}
	return cmp.Or(knowledge.LanguageOr(question, prior), prior)
}

// maxListLines is the most lines of one list (items, table rows or
// steps) a reply quotes.
const maxListLines = 8

// selectList selects the first maxListLines lines of the list that
// starts at line first of snippet; nothing when no list starts there.
// maxWholeList is the longest bulleted list quoted whole for one of its
// items.
const maxWholeList = 5

// listLen returns how many lines the list starting at line first has.
func listLen(cands []*candidate, snippet, first int) int {
	lines := map[int]bool{}
	for _, c := range cands {
		if c.snippet == snippet && c.list == first {
			lines[c.line] = true
		}
	}
	return len(lines)
}

func selectList(cands []*candidate, snippet, first int) {
	for _, c := range cands {
		if c.snippet == snippet && c.list == first && c.line < first+maxListLines {
			c.selected = true
		}
	}
}

// maxCodeLines is the most lines of one code block a reply quotes.
const maxCodeLines = 24

// selectCode selects the whole code block of every selected line of
// code (up to maxCodeLines lines): its first line alone ("curl
// https://api.example.com/v2/invoices \") was quoted without the headers
// the command needs.
func selectCode(cands []*candidate) {
	type block struct{ snippet, list int }
	blocks := make(map[block]bool)
	for _, c := range cands {
		if c.selected && c.code {
			blocks[block{c.snippet, c.list}] = true
		}
	}
	for _, c := range cands {
		if c.code && blocks[block{c.snippet, c.list}] && c.line < c.list+maxCodeLines {
			c.selected = true
		}
	}
}

// backReferences are words that, leading a sentence or as its object,
// stand for something the sentence before it named.
var backReferences = map[string]bool{"it": true, "its": true, "this": true, "that": true, "these": true,
	"those": true, "they": true, "their": true, "them": true, "he": true, "she": true, "such": true}

// refersBack reports whether sentence leans on the one before it: it
// begins with a back-reference ("They arrive within 5 days.") or an
// example of what that one said ("For example, …"), or says "them"
// ("Don't leave them behind for the next occupant.", quoted alone for
// "I'm moving house next month"). On the evaluation sets it changes few
// replies, and two answers of some 4,800: one became right, and one
// wrong, whose right sentence the one before displaced.
func refersBack(sentence string) bool {
	words := grounding.Words(sentence)
	if len(words) == 0 {
		return false
	}
	return backReferences[words[0]] || slices.Contains(words, "them") ||
		len(words) > 1 && words[0] == "for" && (words[1] == "example" || words[1] == "instance")
}

// fillLists selects the lines between two selected lines of one list,
// steps, items or table rows: a reply that quoted steps 1 and 3 of a
// procedure had the user skip step 2 ("Wait 30 seconds."), and one that
// quoted a delivery table's England and Highlands rows left out Mainland
// Scotland between them.
func fillLists(cands []*candidate) {
	type list struct{ snippet, first int }
	lo, hi := map[list]int{}, map[list]int{}
	for _, c := range cands {
		if c.selected && c.item && c.list >= 0 {
			k := list{c.snippet, c.list}
			if l, ok := lo[k]; !ok || c.line < l {
				lo[k] = c.line
			}
			hi[k] = max(hi[k], c.line)
		}
	}
	for _, c := range cands {
		k := list{c.snippet, c.list}
		if l, ok := lo[k]; ok && c.item && c.line > l && c.line < hi[k] {
			c.selected = true
		}
	}
}

// duplicate reports whether an already selected sentence says the same.
func duplicate(c *candidate, cands []*candidate) bool {
	for _, o := range cands {
		if o.selected && (o.text == c.text || overlap(o.terms, c.terms) > 0.8) {
			return true
		}
	}
	return false
}

func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for t := range a {
		if b[t] {
			n++
		}
	}
	return float64(n) / float64(min(len(a), len(b)))
}

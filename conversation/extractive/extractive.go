// Package extractive answers questions with the best sentences of the
// retrieved snippets, verbatim, and cites the snippets it used. It is the
// safe answer mode: it can only say what the help centre says, and it is
// the baseline a generative model must beat.
package extractive

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// Defaults for Options.
const (
	DefaultMaxSentences = 3
	DefaultSnippets     = 3
	// DefaultMinScore is the least score a best sentence needs: about one
	// matched distinctive content term.
	DefaultMinScore = 0.5
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
}

// An Answerer builds replies from snippet sentences. It is safe for
// concurrent use.
type Answerer struct {
	opts Options
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
	return &Answerer{opts: opts}
}

// A candidate is one sentence of one snippet.
type candidate struct {
	snippet  int // rank of its snippet
	line     int // line number within the snippet
	pos      int // sentence number within the snippet
	text     string
	terms    map[string]bool
	numbers  bool
	intro    bool // ends with ':' and introduces the lines after it
	score    float64
	selected bool
}

// Answer implements conversation.Answerer: it picks the sentence that best
// matches the question's content terms (weighted by how rare they are
// among the candidate sentences, helped by the snippet's title and section
// and by its rank, and, for "how much / how long / when" questions, by
// containing a number), adds up to MaxSentences-1 further sentences that
// score nearly as well or continue it, and cites their snippets. It
// streams the reply word by word through q.Delta. With no sentence
// matching well enough it returns a Fallback answer.
func (a *Answerer) Answer(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
	if err := ctx.Err(); err != nil {
		return conversation.Answer{}, err
	}
	picked := a.pick(q)
	if len(picked) == 0 {
		return conversation.Answer{Fallback: true}, nil
	}
	var lines []string
	var cites []knowledge.Citation
	seen := make(map[string]bool)
	prevSnippet, prevLine := -1, -1
	for _, c := range picked {
		if c.snippet == prevSnippet && c.line == prevLine && len(lines) > 0 {
			lines[len(lines)-1] += " " + c.text
		} else {
			lines = append(lines, c.text)
		}
		prevSnippet, prevLine = c.snippet, c.line
		sn := q.Snippets[c.snippet]
		if !seen[sn.Source] {
			seen[sn.Source] = true
			cites = append(cites, sn.Citation())
		}
	}
	text := strings.Join(lines, "\n")
	if err := stream(ctx, text, q.Delta); err != nil {
		return conversation.Answer{}, err
	}
	return conversation.Answer{Text: text, Citations: cites}, nil
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

// pick returns the chosen sentences in snippet and reading order.
func (a *Answerer) pick(q conversation.Query) []*candidate {
	qterms := grounding.TermSet(q.Question)
	if len(qterms) == 0 {
		return nil
	}
	// A follow-up ("and for the yearly plan?") leans on the previous
	// question: its terms count, at a third of the weight.
	ctxTerms := make(map[string]bool)
	for i := len(q.History) - 1; i >= 0; i-- {
		if q.History[i].Role == "user" {
			for t := range grounding.TermSet(q.History[i].Text) {
				if !qterms[t] {
					ctxTerms[t] = true
				}
			}
			break
		}
	}
	cands := a.candidates(q.Snippets)
	if len(cands) == 0 {
		return nil
	}
	weight := rarity(cands, qterms, ctxTerms)
	quantity := asksQuantity(q.Question)
	var best *candidate
	for _, c := range cands {
		c.score = a.score(c, q.Snippets[c.snippet], weight, quantity)
		if best == nil || c.score > best.score {
			best = c
		}
	}
	if best.score < a.opts.MinScore {
		return nil
	}
	best.selected = true
	n := 1
	// The sentences after a list intro are the list.
	if best.intro {
		for _, c := range cands {
			if c.snippet == best.snippet && c.line > best.line && c.line <= best.line+4 {
				c.selected = true
			}
		}
	}
	// The next sentence of the same paragraph often finishes the thought
	// ("... within 14 days. After that, ..."): take it when it is on topic.
	for _, c := range cands {
		if n >= a.opts.MaxSentences {
			break
		}
		if c.snippet == best.snippet && c.line == best.line && c.pos == best.pos+1 && c.score >= 0.4*best.score {
			c.selected = true
			n++
		}
	}
	// Then the runners-up that score nearly as well.
	ranked := append([]*candidate(nil), cands...)
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	for _, c := range ranked {
		if n >= a.opts.MaxSentences || c.score < 0.75*best.score {
			break
		}
		if !c.selected && !duplicate(c, cands) {
			c.selected = true
			n++
		}
	}
	var out []*candidate
	for _, c := range cands {
		if c.selected {
			out = append(out, c)
		}
	}
	return out
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

// candidates splits the top snippets into sentences, headings excluded.
func (a *Answerer) candidates(snippets []knowledge.Snippet) []*candidate {
	var out []*candidate
	for i, s := range snippets {
		if i >= a.opts.Snippets {
			break
		}
		pos := 0
		for li, l := range grounding.Lines(s.Text) {
			if l.Heading {
				continue
			}
			for k, text := range l.Sentences {
				out = append(out, &candidate{
					snippet: i,
					line:    li,
					pos:     pos,
					text:    text,
					terms:   grounding.TermSet(text),
					numbers: len(grounding.Numbers(text)) > 0,
					intro:   l.ListIntro && k == len(l.Sentences)-1,
				})
				pos++
			}
		}
	}
	return out
}

// rarity weights the question's terms (1) and its context terms (1/3) by
// how few candidate sentences contain them, so that "visa" counts more
// than "refund" when every sentence is about refunds.
func rarity(cands []*candidate, qterms, context map[string]bool) map[string]float64 {
	df := make(map[string]int)
	for _, c := range cands {
		for t := range c.terms {
			if qterms[t] || context[t] {
				df[t]++
			}
		}
	}
	n := float64(len(cands))
	w := make(map[string]float64)
	for t := range qterms {
		w[t] = math.Log(1 + n/float64(1+df[t]))
	}
	for t := range context {
		w[t] = math.Log(1+n/float64(1+df[t])) / 3
	}
	return w
}

// score rates one sentence for the question.
func (a *Answerer) score(c *candidate, s knowledge.Snippet, weight map[string]float64, quantity bool) float64 {
	heading := grounding.TermSet(s.Title + "\n" + s.Section)
	sum := 0.0
	for t, w := range weight {
		switch {
		case c.terms[t]:
			sum += w
		case heading[t]:
			sum += w / 2 // the sentence sits under a heading that matches
		}
	}
	if sum == 0 {
		return 0
	}
	words := len(strings.Fields(c.text))
	switch {
	case words < 4:
		sum *= 0.7
	case words > 45:
		sum *= 0.8
	}
	if quantity {
		if c.numbers {
			sum *= 1.35
		} else {
			sum *= 0.8
		}
	}
	return sum / (1 + 0.15*float64(c.snippet))
}

// quantityCues mark questions whose answer is a number, price, duration
// or time.
var quantityCues = []string{
	"how much", "how many", "how long", "how soon", "how fast", "how old", "how big", "how heavy", "how often",
	"when", "what time", "what hours", "cost", "price", "fee", "charge", "pay", "limit", "maximum", "minimum",
	"max", "min", "days", "hours", "weeks", "months", "deadline", "until", "size", "weight", "percent",
	"discount", "rate", "expensive", "cheap", "euro", "€", "$", "£",
}

// asksQuantity reports whether the question asks for a number.
func asksQuantity(question string) bool {
	q := " " + strings.Join(grounding.Words(question), " ") + " "
	for _, c := range quantityCues {
		if strings.Contains(q, " "+c+" ") || (c == "€" || c == "$" || c == "£") && strings.Contains(question, c) {
			return true
		}
	}
	return false
}

// Package generative answers questions with a language model
// (engine.Generator) prompted with the retrieved snippets, and keeps only
// what the snippets support.
//
// The prompt comes from prompt.Build, the function the trainer's data
// generator uses too. The reply streams sentence by sentence: each
// sentence is checked by the grounding guard as soon as it is complete,
// and only supported sentences reach the user. When the model says it
// does not know, the answer is the honest fallback; when the guard leaves
// nothing, the fallback Answerer (extractive by default) answers instead.
//
// That is free decoding, for capable models. A small model is better used
// with constrained decoding (the default when the Generator is also an
// engine.Scorer): the reply may only be sentences of the snippets or the
// honest "I don't know" (prompt.Unknown), and the model chooses among
// them by how likely it is to write each one, as it was trained to, with
// its citation marker. The reply is then grounded by construction; see
// extractive.Reranker for how the model's choice and the lexical one are
// combined.
package generative

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/conversation/prompt"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// DefaultMaxTokens is the reply length limit when Options.MaxTokens is zero.
const DefaultMaxTokens = 200

// Options configure an Answerer. Generator is required.
type Options struct {
	// Generator writes the reply.
	Generator engine.Generator
	// System is the system prompt. Empty means
	// conversation.DefaultSystemPrompt. Give the Manager the same one so
	// that its echo filter protects it.
	System string
	// Budget is the prompt's token budget. Zero means prompt.DefaultBudget.
	Budget int
	// Count counts tokens for the budget, ideally with the model's
	// tokenizer. Nil means prompt.Approx.
	Count func(string) int
	// MaxTokens limits the reply. Zero or less means DefaultMaxTokens.
	MaxTokens int
	// Sampling chooses tokens; the zero value is greedy decoding.
	Sampling engine.Sampling
	// PlainText sends the prompt as Prompt.Text instead of chat messages,
	// for models without a chat template.
	PlainText bool
	// Guard checks every sentence against the snippets.
	Guard grounding.Guard
	// Fallback answers when the guard leaves nothing or the model fails.
	// Nil means an extractive.Answerer with default options.
	Fallback conversation.Answerer
	// Logger receives model failures. Nil means slog.Default().
	Logger *slog.Logger
	// Free selects free decoding even when the Generator can score
	// (engine.Scorer) and so could decode constrained.
	Free bool
	// RerankWeight and DeclineMargin weigh the model's choice in
	// constrained decoding; zero means extractive's defaults, which were
	// chosen for the built-in model.
	RerankWeight, DeclineMargin float64
	// MinAnswerability is the extractive check of each reply
	// (extractive.Options.MinAnswerability) for constrained decoding and
	// the default Fallback; zero means extractive's default.
	MinAnswerability float64
	// OnChoice, when set, is told of every choice of constrained
	// decoding (see extractive.Options.OnChoice).
	OnChoice func(extractive.Choice)
}

// An Answerer answers with a model. It is safe for concurrent use if its
// Generator is.
type Answerer struct {
	opts        Options
	constrained *extractive.Answerer // nil for free decoding
}

var _ conversation.Answerer = (*Answerer)(nil)

// New returns an Answerer. It fails without a Generator.
func New(opts Options) (*Answerer, error) {
	if opts.Generator == nil {
		return nil, errors.New("new generative answerer: no generator")
	}
	if opts.System == "" {
		opts.System = conversation.DefaultSystemPrompt
	}
	if opts.MaxTokens <= 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	if opts.Fallback == nil {
		opts.Fallback = extractive.New(extractive.Options{MinAnswerability: opts.MinAnswerability})
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Logger = opts.Logger.WithGroup("generative")
	a := &Answerer{opts: opts}
	if sc, ok := opts.Generator.(engine.Scorer); ok && !opts.Free {
		a.constrained = extractive.New(extractive.Options{Rerank: a.reranker(sc), RerankWeight: opts.RerankWeight,
			DeclineMargin: opts.DeclineMargin, MinAnswerability: opts.MinAnswerability, OnChoice: opts.OnChoice})
	}
	return a, nil
}

// Constrained reports whether the Answerer decodes constrained to the
// snippets' sentences.
func (a *Answerer) Constrained() bool { return a.constrained != nil }

// reranker returns the extractive.Reranker of constrained decoding: the
// model's mean log-probability per token of replying with each sentence,
// followed by its snippet's citation marker as the trainer writes it, and
// of replying prompt.Unknown.
//
// The model reads a prompt whose snippets hold just the candidate
// sentences (in reading order, under their snippets' titles): every
// sentence it rates is then in front of it, however long the retrieved
// snippets are, and the prompt looks like the short snippets it was
// trained on.
func (a *Answerer) reranker(sc engine.Scorer) extractive.Reranker {
	return func(ctx context.Context, q conversation.Query, sentences []string, snippet []int) ([]float64, float64, error) {
		q.Snippets, snippet = excerpts(q.Snippets, sentences, snippet)
		p := a.Prompt(q)
		// What the budget left out of the prompt is not the model's to
		// rate: its score is NaN, and it keeps its lexical place.
		var conts []string
		var rated []int
		for i, s := range sentences {
			if k := snippet[i]; k < len(p.Snippets) && strings.Contains(p.Snippets[k].Text, s) {
				conts = append(conts, fmt.Sprintf("%s [%d]", s, k+1))
				rated = append(rated, i)
			}
		}
		conts = append(conts, prompt.Unknown)
		means := make([]float64, len(sentences))
		for i := range means {
			means[i] = math.NaN()
		}
		scores, err := sc.Score(ctx, a.request(p), conts)
		if errors.Is(err, engine.ErrContext) {
			// A sentence too long for the model's context: choose
			// lexically rather than fail the turn.
			a.opts.Logger.Debug("sentences too long to score; choosing lexically", "err", err)
			return means, math.Inf(-1), nil
		}
		if err != nil {
			return nil, 0, err
		}
		for j, i := range rated {
			means[i] = scores[j].Mean()
		}
		return means, scores[len(rated)].Mean(), nil
	}
}

// excerpts returns snippets cut down to the given sentences (sentence i
// is of snippets[snippet[i]]), best-ranked snippet first and each one's
// sentences in reading order, and each sentence's index in the result.
func excerpts(snippets []knowledge.Snippet, sentences []string, snippet []int) ([]knowledge.Snippet, []int) {
	order := slices.Clone(snippet)
	slices.Sort(order)
	order = slices.Compact(order)
	out := make([]knowledge.Snippet, len(order))
	at := make([]int, len(sentences))
	for j, k := range order {
		var mine []int
		for i := range sentences {
			if snippet[i] == k {
				mine = append(mine, i)
				at[i] = j
			}
		}
		text := snippets[k].Text
		slices.SortStableFunc(mine, func(x, y int) int {
			return cmp.Compare(readingPos(text, sentences[x]), readingPos(text, sentences[y]))
		})
		parts := make([]string, len(mine))
		for n, i := range mine {
			parts[n] = sentences[i]
		}
		out[j] = snippets[k]
		out[j].Text = strings.Join(parts, " ")
	}
	return out, at
}

// readingPos is where sentence s starts in text, or after its end when
// s is not there verbatim (a table row rendered as a sentence).
func readingPos(text, s string) int {
	if i := strings.Index(text, s); i >= 0 {
		return i
	}
	return len(text)
}

// request is the generation request of prompt p.
func (a *Answerer) request(p prompt.Prompt) engine.Request {
	req := engine.Request{MaxTokens: a.opts.MaxTokens, Sampling: a.opts.Sampling}
	if a.opts.PlainText {
		req.Prompt = p.Text
		req.Stop = []string{"\nUser:", "\nSystem:"}
	} else {
		req.Messages = p.Messages
	}
	return req
}

// Prompt returns the prompt the Answerer sends for q.
func (a *Answerer) Prompt(q conversation.Query) prompt.Prompt {
	var hist []engine.ChatMessage
	for _, t := range q.History {
		hist = append(hist, engine.ChatMessage{Role: t.Role, Content: t.Text})
	}
	return prompt.Build(prompt.Input{
		System:   a.opts.System,
		Snippets: q.Snippets,
		History:  hist,
		Question: q.Question,
		Budget:   a.opts.Budget,
		Count:    a.opts.Count,
	})
}

// Answer implements conversation.Answerer.
func (a *Answerer) Answer(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
	if a.constrained != nil {
		ans, err := a.constrained.Answer(ctx, q)
		if err != nil && ctx.Err() == nil {
			a.opts.Logger.Warn("model failed; answering extractively", "err", err)
			return a.opts.Fallback.Answer(ctx, q)
		}
		return ans, err
	}
	p := a.Prompt(q)
	req := a.request(p)
	s := newStream(a.opts.Guard, p.Snippets, q.Delta)
	_, err := a.opts.Generator.Generate(ctx, req, s.add)
	if err != nil {
		if ctx.Err() != nil {
			return conversation.Answer{}, ctx.Err()
		}
		if s.deltaErr != nil {
			return conversation.Answer{}, s.deltaErr
		}
		if s.kept == 0 {
			a.opts.Logger.Warn("model failed; answering extractively", "err", err)
			return a.opts.Fallback.Answer(ctx, q)
		}
		// Keep what was already shown; the rest is lost.
	}
	if err := s.flush(); err != nil {
		return conversation.Answer{}, err
	}
	if s.kept == 0 {
		if s.unknown {
			return conversation.Answer{Fallback: true, Dropped: s.dropped}, nil
		}
		ans, err := a.opts.Fallback.Answer(ctx, q)
		ans.Dropped += s.dropped
		return ans, err
	}
	return conversation.Answer{Text: s.text.String(), Citations: s.citations, Dropped: s.dropped}, nil
}

// A stream cuts generated text into sentences and passes on the ones the
// guard supports.
type stream struct {
	guard     grounding.Guard
	ev        *grounding.Evidence
	snippets  []knowledge.Snippet
	delta     func(string) error
	buf       strings.Builder // text not yet judged
	text      strings.Builder // kept text
	pending   []string        // neutral sentences waiting for a supported one
	kept      int
	dropped   int
	unknown   bool // the model said it does not know
	cited     map[int]bool
	citations []knowledge.Citation
	deltaErr  error
}

func newStream(g grounding.Guard, snippets []knowledge.Snippet, delta func(string) error) *stream {
	return &stream{guard: g, ev: grounding.NewEvidence(snippets), snippets: snippets, delta: delta, cited: map[int]bool{}}
}

// add takes one generated piece; it is the Generator's onToken.
func (s *stream) add(piece string) error {
	s.buf.WriteString(piece)
	for {
		text := s.buf.String()
		end := sentenceEnd(text)
		if end < 0 {
			return nil
		}
		s.buf.Reset()
		s.buf.WriteString(text[end:])
		if err := s.judge(text[:end]); err != nil {
			s.deltaErr = err
			return err
		}
	}
}

// flush judges what is left after generation.
func (s *stream) flush() error {
	rest := s.buf.String()
	s.buf.Reset()
	return s.judge(rest)
}

// sentenceEnd returns the end of the first complete sentence in text (after
// its terminator and following space), or -1.
func sentenceEnd(text string) int {
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			return i + 1
		case '.', '!', '?':
			if i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n') {
				return i + 2
			}
		}
	}
	return -1
}

// refRE matches citation markers such as "[1]" or "[2, 3]".
var refRE = regexp.MustCompile(`\s*\[(\d+(?:\s*,\s*\d+)*)\]`)

// unknownRE matches a model saying it has no answer.
var unknownRE = regexp.MustCompile(`(?i)\b(don'?t|do not|can'?t|cannot|couldn'?t) (know|find|tell)|\bnot sure\b|\bno information\b`)

// judge keeps or drops one sentence (or line).
func (s *stream) judge(raw string) error {
	sentence := strings.TrimSpace(refRE.ReplaceAllString(raw, ""))
	if sentence == "" {
		return nil
	}
	if unknownRE.MatchString(sentence) {
		s.unknown = true
		s.dropped++
		return nil
	}
	if i, ok := s.guard.Support(sentence, s.ev); ok {
		for _, m := range refRE.FindAllStringSubmatch(raw, -1) {
			for _, n := range strings.Split(m[1], ",") {
				if k, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && k >= 1 && k <= len(s.snippets) {
					s.cite(k - 1)
				}
			}
		}
		s.cite(i)
		out := append(s.pending, sentence)
		s.pending = nil
		for _, o := range out {
			if err := s.emit(o); err != nil {
				return err
			}
		}
		s.kept++
		return nil
	}
	if len(grounding.TermSet(sentence)) == 0 && len(grounding.Numbers(sentence)) == 0 {
		// No content at all ("Sure!"): keep it only next to an answer.
		s.pending = append(s.pending, sentence)
		return nil
	}
	s.dropped++
	return nil
}

func (s *stream) emit(sentence string) error {
	piece := sentence
	if s.text.Len() > 0 {
		piece = " " + sentence
	}
	s.text.WriteString(piece)
	if s.delta != nil {
		if err := s.delta(piece); err != nil {
			return fmt.Errorf("stream reply: %w", err)
		}
	}
	return nil
}

func (s *stream) cite(i int) {
	if i < 0 || i >= len(s.snippets) || s.cited[i] {
		return
	}
	s.cited[i] = true
	s.citations = append(s.citations, s.snippets[i].Citation())
}

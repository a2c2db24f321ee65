// Package synth generates grounded support dialogues to train the
// generative answerer on: prompts assembled by prompt.Build, exactly as
// the conversation pipeline assembles them, from one to three snippets of
// a procedurally drawn fictional help centre (or of a real knowledge base
// the caller names), and answers that copy the snippet sentence holding
// the asked fact, with its citation marker. About one question in seven
// cannot be answered from its snippets; its answer is the honest "I don't
// know" with an offer of a human. Some questions are follow-ups that only
// make sense after an earlier turn ("And for the Plus plan?").
//
// Example(i) is a pure function of the seed and i, so a trainer can
// resume at any index.
package synth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/switchboard/switchboard/conversation/prompt"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/tokenizer"
	"github.com/switchboard/switchboard/knowledge"
)

// Unknown is the answer to a question the snippets do not answer.
const Unknown = prompt.Unknown

// ErrHeldOut reports a knowledge folder that must never be trained on.
var ErrHeldOut = errors.New("synth: held-out knowledge must not be used for training")

// ErrNoArticles is a knowledge folder with no sentence to learn from.
var ErrNoArticles = errors.New("synth: the folder has no articles with text")

// Options configure a Generator. The zero value generates fictional help
// centres only.
type Options struct {
	Seed uint64
	// Knowledge are knowledge folders whose articles are mixed into the
	// data (the demo knowledge base, an operator's own for fine-tuning).
	// A folder named "heldout" is refused.
	Knowledge []string
	// KnowledgeShare is the fraction of examples drawn from Knowledge
	// (0.25 when zero and Knowledge is set).
	KnowledgeShare float64
	// Unanswerable is the fraction of unanswerable questions (0.15 when zero).
	Unanswerable float64
	// FollowUps is the fraction of answerable questions asked as a
	// follow-up turn (0.15 when zero).
	FollowUps float64
	// Drills is the fraction of fictional-centre examples whose history
	// holds two to five earlier questions about other facts of the same
	// snippets, answered as the model should answer them (0.7 when zero,
	// none when negative). Every assistant turn is learnt, so these give
	// several times the copying practice per token of a single turn.
	Drills float64
	// Copies is the fraction of Knowledge examples that ask for any one
	// sentence of their snippets by some of its own words, after one to
	// three such turns about other sentences (copy drills; none when
	// zero). Asked by heading, the answer is always a snippet's first
	// sentence, and a model learns where to look instead of reading: the
	// built-in model wrote the sentences of articles it had not seen at
	// 6 to 9 nats a token, as if it had never seen them in its prompt.
	Copies float64
	// Questions are questions files (see Question) about the Knowledge
	// folders: questions as real users ask them, each with the sentence
	// that answers it.
	Questions []string
	// QuestionShare is the fraction of examples drawn from Questions
	// (0.3 when zero and Questions is set).
	QuestionShare float64
	// Budget is the prompt's token budget given to prompt.Build (zero
	// means prompt.DefaultBudget); Count measures tokens (nil means
	// prompt.Approx).
	Budget int
	Count  func(string) int
}

// An Example is one training dialogue turn.
type Example struct {
	Prompt       prompt.Prompt // as the pipeline assembles it
	Answer       string        // what the model should reply
	Unanswerable bool
	FollowUp     bool
	FromKB       bool // drawn from Options.Knowledge
	Curated      bool // drawn from Options.Questions
	Drills       int  // earlier question-and-answer turns about the same snippets
}

// A Generator produces Examples. It is safe for concurrent use.
type Generator struct {
	opts    Options
	chunks  []knowledge.Chunk // from Options.Knowledge, usable ones only
	words   []string          // their content words, for copy drills
	folders []folder          // the same chunks, folder by folder
	curated []curated
	lost    []Question
}

// New returns a Generator, loading the knowledge folders.
func New(ctx context.Context, o Options) (*Generator, error) {
	if o.Unanswerable == 0 {
		o.Unanswerable = 0.15
	}
	if o.FollowUps == 0 {
		o.FollowUps = 0.15
	}
	if o.Drills == 0 {
		o.Drills = 0.7
	}
	if o.KnowledgeShare == 0 && len(o.Knowledge) > 0 {
		o.KnowledgeShare = 0.25
	}
	g := &Generator{opts: o}
	for _, dir := range o.Knowledge {
		if isHeldOut(dir) {
			return nil, fmt.Errorf("load %s: %w", dir, ErrHeldOut)
		}
		chunks, err := knowledge.Load(ctx, dir, knowledge.LoadOptions{})
		if err != nil {
			return nil, fmt.Errorf("load knowledge %s: %w", dir, err)
		}
		var f folder
		for _, c := range chunks {
			if len(sentences(c.Text)) > 0 {
				f.chunks = append(f.chunks, c)
			}
		}
		if len(f.chunks) == 0 {
			// A fine-tune on it would learn from nothing of the operator's.
			return nil, fmt.Errorf("load knowledge %s: %w", dir, ErrNoArticles)
		}
		g.chunks = append(g.chunks, f.chunks...)
		g.folders = append(g.folders, f)
	}
	if o.Copies > 0 {
		seen := map[string]bool{}
		for _, c := range g.chunks {
			for _, w := range contentWords(c.Text) {
				if !seen[w] {
					seen[w] = true
					g.words = append(g.words, w)
				}
			}
		}
	}
	if err := g.loadQuestions(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// isHeldOut reports whether a path is, or is inside, a folder named
// "heldout".
func isHeldOut(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	for _, part := range strings.Split(filepath.ToSlash(abs), "/") {
		if strings.EqualFold(part, "heldout") {
			return true
		}
	}
	return false
}

// Example returns example i.
func (g *Generator) Example(i int64) Example {
	r := rand.New(rand.NewPCG(g.opts.Seed, uint64(i)))
	// (Without questions no random number is drawn for them: the data
	// stay those of the generator before they existed.)
	if len(g.curated) > 0 && r.Float64() < g.opts.QuestionShare {
		return g.fromCurated(context.Background(), r)
	}
	if len(g.chunks) > 0 && r.Float64() < g.opts.KnowledgeShare {
		return g.fromKB(r)
	}
	return g.fromCentre(r)
}

// snippetOf renders an article's facts (a random subset holding want, if
// given, in article order) as a snippet.
func snippetOf(r *rand.Rand, c centre, a article, want *fact, max int) knowledge.Snippet {
	var kept []string
	for i := range a.facts {
		f := &a.facts[i]
		if f == want || (len(kept) < max && r.IntN(3) > 0) {
			kept = append(kept, f.sentence)
		}
	}
	if len(kept) == 0 {
		kept = append(kept, a.facts[r.IntN(len(a.facts))].sentence)
	}
	return knowledge.Snippet{DocID: a.slug + ".md", Title: a.title, Source: a.slug + ".md", Text: strings.Join(kept, " ")}
}

func (g *Generator) fromCentre(r *rand.Rand) Example {
	c := newCentre(r)
	ai := r.IntN(len(c.articles))
	a := c.articles[ai]
	fi := r.IntN(len(a.facts))
	target := &a.facts[fi]
	ex := Example{}
	var hist []engine.ChatMessage
	question := pick(r, target.asks)

	// Snippets: the target's article (unless unanswerable), plus
	// distractors from other articles.
	var snips []knowledge.Snippet
	targetAt := -1
	switch {
	case r.Float64() < g.opts.Unanswerable:
		ex.Unanswerable = true
		if target.variant != "" && len(a.facts) > 1 && r.IntN(2) == 0 {
			// Hard case: the article is there, the asked variant is not.
			var others []string
			for i := range a.facts {
				if i != fi {
					others = append(others, a.facts[i].sentence)
				}
			}
			snips = append(snips, knowledge.Snippet{DocID: a.slug + ".md", Title: a.title, Source: a.slug + ".md", Text: strings.Join(others, " ")})
		} else if r.IntN(3) == 0 {
			question = pick(r, unanswerable)
		}
	default:
		snips = append(snips, snippetOf(r, c, a, target, 3))
		targetAt = 0
		if target.followUp != nil && len(a.facts) > 1 && r.Float64() < g.opts.FollowUps {
			// An earlier turn asked about a sibling variant.
			prev := &a.facts[(fi+1+r.IntN(len(a.facts)-1))%len(a.facts)]
			snips[0] = knowledge.Snippet{DocID: a.slug + ".md", Title: a.title, Source: a.slug + ".md", Text: joinFacts(a.facts)}
			hist = []engine.ChatMessage{
				{Role: "user", Content: style(r, pick(r, prev.asks))},
				{Role: "assistant", Content: prev.sentence + " [1]"},
			}
			question = pick(r, target.followUp)
			ex.FollowUp = true
		}
	}
	nd := r.IntN(3)
	if len(snips) == 0 {
		nd = 1 + r.IntN(2)
	}
	for _, j := range r.Perm(len(c.articles)) {
		if len(snips) >= 1+nd || len(snips) >= 3 {
			break
		}
		if j == ai {
			continue
		}
		o := c.articles[j]
		snips = append(snips, snippetOf(r, c, o, nil, 2))
	}
	// The right snippet is usually ranked first, not always.
	if targetAt == 0 && len(snips) > 1 && r.IntN(3) == 0 && !ex.FollowUp {
		k := 1 + r.IntN(len(snips)-1)
		snips[0], snips[k] = snips[k], snips[0]
		targetAt = k
	}
	if g.opts.Drills > 0 && !ex.FollowUp && r.Float64() < g.opts.Drills {
		// (Without drills no random number is drawn: the data stay those
		// of the generator before drills existed.)
		hist = drill(r, c, snips, target, 2+r.IntN(4))
	}
	p := g.build(snips, hist, style(r, question))
	ex.Prompt = p
	ex.Drills = p.History / 2
	switch {
	case ex.Unanswerable:
		ex.Answer = Unknown
	case targetAt >= len(p.Snippets) || !strings.Contains(p.Snippets[targetAt].Text, target.sentence):
		// The budget cut the answer out: then it is unanswerable.
		ex.Unanswerable, ex.Answer = true, Unknown
	default:
		ex.Answer = fmt.Sprintf("%s [%d]", target.sentence, targetAt+1)
	}
	return ex
}

// drill returns up to n earlier turns asking about facts of the centre
// (other than target) stated in snips, each answered with its sentence
// and the marker of the snippet stating it; now and then one asks what
// no snippet says and is answered Unknown.
func drill(r *rand.Rand, c centre, snips []knowledge.Snippet, target *fact, n int) []engine.ChatMessage {
	type stated struct {
		f *fact
		k int
	}
	var avail []stated
	for ai := range c.articles {
		for fi := range c.articles[ai].facts {
			f := &c.articles[ai].facts[fi]
			if f == target {
				continue
			}
			for k, s := range snips {
				if strings.Contains(s.Text, f.sentence) {
					avail = append(avail, stated{f, k})
					break
				}
			}
		}
	}
	var hist []engine.ChatMessage
	for _, i := range r.Perm(len(avail))[:min(n, len(avail))] {
		if r.IntN(8) == 0 {
			hist = append(hist, engine.ChatMessage{Role: "user", Content: style(r, pick(r, unanswerable))},
				engine.ChatMessage{Role: "assistant", Content: Unknown})
			continue
		}
		a := avail[i]
		hist = append(hist, engine.ChatMessage{Role: "user", Content: style(r, pick(r, a.f.asks))},
			engine.ChatMessage{Role: "assistant", Content: fmt.Sprintf("%s [%d]", a.f.sentence, a.k+1)})
	}
	return hist
}

func joinFacts(fs []fact) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.sentence
	}
	return strings.Join(s, " ")
}

func (g *Generator) build(snips []knowledge.Snippet, hist []engine.ChatMessage, q string) prompt.Prompt {
	return prompt.Build(prompt.Input{Snippets: snips, History: hist, Question: q, Budget: g.opts.Budget, Count: g.opts.Count})
}

// fromKB asks about a chunk of the knowledge folders: an FAQ entry's
// question, or an article section's heading, answered by the chunk's
// first sentence; or, as unanswerable, a question the drawn chunks do not
// cover.
func (g *Generator) fromKB(r *rand.Rand) Example {
	if g.opts.Copies > 0 && r.Float64() < g.opts.Copies {
		return g.fromCopy(r)
	}
	ci := r.IntN(len(g.chunks))
	c := g.chunks[ci]
	sents := sentences(c.Text)
	// Keep snippets short: the first sentences up to ~300 bytes.
	snips := []knowledge.Snippet{chunkSnippet(c, joinUpTo(sents, 300))}
	for _, j := range r.Perm(len(g.chunks))[:min(len(g.chunks), 1+r.IntN(2))] {
		if j != ci && g.chunks[j].DocID != c.DocID {
			o := g.chunks[j]
			snips = append(snips, chunkSnippet(o, firstSentences(o.Text, 200)))
		}
	}
	ex := Example{FromKB: true}
	q := kbQuestion(r, c)
	if r.Float64() < g.opts.Unanswerable {
		ex.Unanswerable = true
		snips = snips[1:]
		if len(snips) == 0 || r.IntN(2) == 0 {
			q = pick(r, unanswerable)
		}
	} else if r.IntN(3) == 0 && len(snips) > 1 {
		snips[0], snips[1] = snips[1], snips[0]
	}
	ex.Prompt = g.build(snips, nil, style(r, q))
	ex.Answer = Unknown
	if !ex.Unanswerable {
		ex.Answer = Unknown
		ex.Unanswerable = true
		for k, s := range ex.Prompt.Snippets {
			if s.Source == c.Source && strings.Contains(s.Text, sents[0]) {
				ex.Answer = fmt.Sprintf("%s [%d]", sents[0], k+1)
				ex.Unanswerable = false
			}
		}
	}
	return ex
}

// kbQuestion turns a chunk's title or heading into a question.
func kbQuestion(r *rand.Rand, c knowledge.Chunk) string {
	h := c.Title
	if len(c.Section) > 0 {
		h = c.Section[len(c.Section)-1]
	}
	if strings.HasSuffix(h, "?") {
		return h
	}
	lower := strings.ToLower(h[:1]) + h[1:]
	return fmt.Sprintf(pick(r, []string{"Can you tell me about %s?", "I have a question about %s.", "What should I know about %s?", "%s?"}), lower)
}

// style varies a question's surface: greetings, case, punctuation.
func style(r *rand.Rand, q string) string {
	switch r.IntN(8) {
	case 0:
		q = strings.ToLower(q)
	case 1:
		q = strings.TrimSuffix(q, "?")
	case 2:
		q = pick(r, []string{"Hi, ", "Hello! ", "Hey, ", "Quick question: ", "Hi there. "}) + lowerFirst(q)
	case 3:
		q += pick(r, []string{" Thanks!", " Thank you.", " Please help."})
	}
	return q
}

func lowerFirst(s string) string {
	if s == "" || (len(s) > 1 && unicode.IsUpper(rune(s[1]))) {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// sentences splits plain text into sentences (and list items), dropping
// ones too short to state a fact.
func sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*0123456789. "))
		for len(line) > 0 {
			end := len(line)
			for i := 0; i+1 < len(line); i++ {
				if (line[i] == '.' || line[i] == '!' || line[i] == '?') && line[i+1] == ' ' && i+2 < len(line) && unicode.IsUpper(rune(line[i+2])) {
					end = i + 1
					break
				}
			}
			s := strings.TrimSpace(line[:end])
			if len(strings.Fields(s)) >= 4 {
				out = append(out, s)
			}
			line = strings.TrimSpace(line[end:])
		}
	}
	return out
}

func firstSentences(text string, maxBytes int) string {
	ss := sentences(text)
	if len(ss) == 0 {
		return strings.TrimSpace(text)
	}
	return joinUpTo(ss, maxBytes)
}

// joinUpTo joins the first of ss (whatever its length) and as many of
// those after it as fit in maxBytes.
func joinUpTo(ss []string, maxBytes int) string {
	out := ss[0]
	for _, s := range ss[1:] {
		if len(out)+len(s) > maxBytes {
			break
		}
		out += " " + s
	}
	return out
}

// chunkSnippet is chunk c as a snippet whose text is text, a part of
// c's (its links, which point into c's text, are left out).
func chunkSnippet(c knowledge.Chunk, text string) knowledge.Snippet {
	s := c.Snippet(0)
	s.Text, s.Links = text, nil
	return s
}

// Choices returns the replies constrained decoding would offer for ex:
// every sentence of its snippets with that snippet's citation marker, as
// answers are written, and Unknown. The expected Answer is always one of
// them (a list flattened into a knowledge-base snippet does not split
// where its answer ends, so it is added).
func (ex Example) Choices() []string {
	var out []string
	for k, s := range ex.Prompt.Snippets {
		for _, sent := range sentences(s.Text) {
			out = append(out, fmt.Sprintf("%s [%d]", sent, k+1))
		}
	}
	if ex.Answer != Unknown && !slices.Contains(out, ex.Answer) {
		out = append(out, ex.Answer)
	}
	return append(out, Unknown)
}

// Tokens renders ex with template t (ChatML for the zero Template) as the
// runtime does for the prompt, then the answer and end-of-turn token:
// ids, and which of them are to be learnt: the answer's and its end
// token, and those of every assistant turn of the history, which are
// answers given the same way.
func (ex Example) Tokens(tok *tokenizer.Tokenizer, t engine.Template) (ids []int, learn []bool, err error) {
	ids, learn, end, err := ex.promptTokens(tok, t)
	if err != nil {
		return nil, nil, err
	}
	ans := tok.Encode(ex.Answer)
	ids = append(append(ids, ans...), end)
	for range len(ans) + 1 {
		learn = append(learn, true)
	}
	return ids, learn, nil
}

// ChoiceTokens renders ex as a choice among its Choices, for a ranking
// loss: the prompt's tokens and which of them are learnt (as Tokens
// gives them), each choice's tokens followed by the end-of-turn token,
// as engine.Model.Score rates them, and the index of the Answer.
func (ex Example) ChoiceTokens(tok *tokenizer.Tokenizer, t engine.Template) (prompt []int, learn []bool, replies [][]int, right int, err error) {
	prompt, learn, end, err := ex.promptTokens(tok, t)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	for i, c := range ex.Choices() {
		if c == ex.Answer {
			right = i
		}
		replies = append(replies, append(tok.Encode(c), end))
	}
	return prompt, learn, replies, right, nil
}

// promptTokens renders ex's prompt, marking the tokens of its history's
// assistant turns as learnt, and returns the end-of-turn token.
func (ex Example) promptTokens(tok *tokenizer.Tokenizer, t engine.Template) (ids []int, learn []bool, end int, err error) {
	msgs := ex.Prompt.Messages
	ids = t.Encode(tok, msgs)
	end, ok := tok.ID("<|im_end|>")
	if !ok {
		return nil, nil, 0, fmt.Errorf("encode example: the vocabulary has no <|im_end|>")
	}
	learn = make([]bool, len(ids))
	for i, m := range msgs {
		if m.Role != "assistant" {
			continue
		}
		// The turn's tokens start where the prompt up to it ends (with
		// the template's "assistant" header) and run to its end token.
		start := len(t.Encode(tok, msgs[:i]))
		if start > len(ids) || !slices.Equal(t.Encode(tok, msgs[:i]), ids[:start]) {
			continue // this template does not render turns as prefixes
		}
		for j := start; j < len(ids); j++ {
			learn[j] = true
			if ids[j] == end {
				break
			}
		}
	}
	return ids, learn, end, nil
}

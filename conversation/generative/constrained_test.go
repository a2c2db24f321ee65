package generative_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/generative"
	"github.com/switchboard/switchboard/conversation/prompt"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// fakeScorer is a model that can score: it rates each continuation with
// score (nil: all equal) and records what it was offered.
type fakeScorer struct {
	fakeGenerator
	score   func(cont string) float64
	err     error
	offered []string
	scored  engine.Request
}

func (f *fakeScorer) Score(ctx context.Context, req engine.Request, conts []string) ([]engine.Score, error) {
	f.offered, f.scored = conts, req
	if f.err != nil {
		return nil, f.err
	}
	out := make([]engine.Score, len(conts))
	for i, c := range conts {
		out[i] = engine.Score{LogProb: -3, Tokens: 1}
		if f.score != nil {
			out[i].LogProb = f.score(c)
		}
	}
	return out, nil
}

var prices = []knowledge.Snippet{
	{Title: "Plus", Source: "plus.md", Text: "The Plus plan costs €9.99 a month."},
	{Title: "Basic", Source: "basic.md", Text: "The Basic plan costs €4.99 a month."},
	{Title: "Refunds", Source: "refunds.md", Text: "Card refunds arrive within 5–10 business days."},
}

// confident weighs a model's choice heavily (the built-in model's
// defaults hardly do).
var confident = generative.Options{RerankWeight: 0.5, DeclineMargin: 1}

// prefer scores continuations holding want high and the rest low.
func prefer(want string) func(string) float64 {
	return func(c string) float64 {
		if strings.Contains(c, want) {
			return -0.1
		}
		return -5
	}
}

func TestConstrainedModelChooses(t *testing.T) {
	q := conversation.Query{Question: "what does a plan cost per month?", Snippets: prices, Confidence: 0.9}
	for _, tt := range []struct{ want, not, source string }{
		{"Plus plan costs €9.99", "€4.99", "plus.md"},
		{"Basic plan costs €4.99", "€9.99", "basic.md"},
	} {
		want := tt.want
		sc := &fakeScorer{score: prefer(want)}
		opts := confident
		var choices []extractive.Choice
		opts.OnChoice = func(c extractive.Choice) { choices = append(choices, c) }
		a := newAnswerer(t, sc, opts)
		if !a.Constrained() {
			t.Fatal("a Generator that can score did not get constrained decoding")
		}
		ans, err := a.Answer(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Fallback || !strings.Contains(ans.Text, want) || strings.Contains(ans.Text, tt.not) {
			t.Errorf("model prefers %q: reply %q (fallback %v)", want, ans.Text, ans.Fallback)
		}
		if len(ans.Citations) != 1 || ans.Citations[0].Source != tt.source {
			t.Errorf("citations %v, want %s", ans.Citations, tt.source)
		}
		// Offered: snippet sentences with their citation markers, and
		// the honest "I don't know".
		if !slices.Contains(sc.offered, prompt.Unknown) || !slices.ContainsFunc(sc.offered, func(c string) bool {
			return strings.HasSuffix(c, "€9.99 a month. [1]")
		}) {
			t.Errorf("offered %q", sc.offered)
		}
		if len(sc.req.Messages) != 0 {
			t.Error("constrained decoding generated freely")
		}
		// The choice is reported as made: candidates best lexical
		// score first, the model's favourite chosen.
		if len(choices) != 1 {
			t.Fatalf("%d choices reported, want 1", len(choices))
		}
		c := choices[0]
		if c.Question != q.Question || len(c.Sentences) < 2 || len(c.Lexical) != len(c.Sentences) || len(c.Model) != len(c.Sentences) {
			t.Fatalf("choice %+v", c)
		}
		if !slices.IsSortedFunc(c.Lexical, func(x, y float64) int { return cmp.Compare(y, x) }) {
			t.Errorf("lexical scores %v not best first", c.Lexical)
		}
		if c.Chosen < 0 || !strings.Contains(c.Sentences[c.Chosen], want) || slices.Max(c.Model) != c.Model[c.Chosen] {
			t.Errorf("chosen %d of %q (model %v), want the sentence with %q", c.Chosen, c.Sentences, c.Model, want)
		}
	}
}

func TestConstrainedDeclines(t *testing.T) {
	q := conversation.Query{Question: "what does a plan cost per month?", Snippets: prices, Confidence: 0.9}
	opts := confident
	var choices []extractive.Choice
	opts.OnChoice = func(c extractive.Choice) { choices = append(choices, c) }
	a := newAnswerer(t, &fakeScorer{score: prefer(prompt.Unknown)}, opts)
	ans, err := a.Answer(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Fallback || ans.Text != "" {
		t.Errorf("model would rather not answer: got %+v, want a fallback", ans)
	}
	if len(choices) != 1 || choices[0].Chosen != -1 || choices[0].Decline <= slices.Max(choices[0].Model) {
		t.Errorf("choices %+v, want one, declined", choices)
	}
}

// TestConstrainedMinAnswerability: constrained decoding checks its reply
// as the extractive answerer does (Options.MinAnswerability), for the
// knowledge index's queries (Similarities set).
func TestConstrainedMinAnswerability(t *testing.T) {
	rated := func(texts []string) []float64 { return make([]float64, len(texts)) }
	q := conversation.Query{Question: "what does the Plus plan cost per month?", Snippets: prices, Confidence: 0.9, Similarities: rated}
	for _, tt := range []struct {
		min      float64
		fallback bool
	}{{-1, false}, {0.99, true}} {
		opts := confident
		opts.MinAnswerability = tt.min
		ans, err := newAnswerer(t, &fakeScorer{score: prefer("Plus plan")}, opts).Answer(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Fallback != tt.fallback {
			t.Errorf("MinAnswerability %v: reply %+v, want fallback %v", tt.min, ans, tt.fallback)
		}
	}
}

func TestConstrainedModelFailures(t *testing.T) {
	q := conversation.Query{Question: "what does the plus plan cost per month?", Snippets: prices, Confidence: 0.9}
	// Too long for the model's context: the lexical choice answers.
	// The model rated nothing, so nothing is its choice.
	long := &fakeScorer{err: fmt.Errorf("score: %w", engine.ErrContext)}
	var choices []extractive.Choice
	ans, err := newAnswerer(t, long, generative.Options{OnChoice: func(c extractive.Choice) { choices = append(choices, c) }}).Answer(context.Background(), q)
	if err != nil || ans.Fallback || !strings.Contains(ans.Text, "€9.99") {
		t.Errorf("context overflow: %+v, %v; want the lexical answer", ans, err)
	}
	if len(choices) != 1 || slices.ContainsFunc(choices[0].Model, func(m float64) bool { return !math.IsNaN(m) }) {
		t.Errorf("context overflow: choices %+v, want one with no sentence rated", choices)
	}
	// Any other failure: the fallback answerer.
	broken := &fakeScorer{err: errors.New("weights on fire")}
	ans, err = newAnswerer(t, broken, generative.Options{}).Answer(context.Background(), q)
	if err != nil || ans.Text != sentinelFallback.Text {
		t.Errorf("model failure: %+v, %v; want the fallback answerer's", ans, err)
	}
	// A cancelled turn is not answered by anyone.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cancelled := &fakeScorer{err: context.Canceled}
	if _, err := newAnswerer(t, cancelled, generative.Options{}).Answer(ctx, q); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestFreeDecodingOnRequest(t *testing.T) {
	sc := &fakeScorer{fakeGenerator: fakeGenerator{pieces: tokens("The Plus plan costs €9.99 a month [1].")}}
	a := newAnswerer(t, sc, generative.Options{Free: true})
	if a.Constrained() {
		t.Fatal("Free: true still constrained")
	}
	ans, err := a.Answer(context.Background(), conversation.Query{Question: "plus price?", Snippets: prices})
	if err != nil || !strings.Contains(ans.Text, "€9.99") || sc.offered != nil {
		t.Errorf("free decoding: %+v, %v (scored %q)", ans, err, sc.offered)
	}
}

// TestConstrainedPromptHoldsEverySentence checks that the model is asked
// to rate only sentences it can read: the scoring prompt holds every
// offered sentence, under the snippet number its marker gives, however
// far into a long snippet the sentence was, and leaves out the rest.
func TestConstrainedPromptHoldsEverySentence(t *testing.T) {
	var filler []string
	for i := range 60 {
		filler = append(filler, fmt.Sprintf("Filler sentence number %d says nothing about plans.", i))
	}
	snippets := []knowledge.Snippet{
		{Title: "Plans", Source: "plans.md", Text: strings.Join(filler, " ") + " The Plus plan costs €9.99 a month."},
		{Title: "Opening hours", Source: "hours.md", Text: "We are open from 9 to 5."},
		{Title: "Basic", Source: "basic.md", Text: "The Basic plan costs €4.99 a month."},
	}
	sc := &fakeScorer{}
	a := newAnswerer(t, sc, generative.Options{Budget: 300})
	q := conversation.Query{Question: "what does the plus plan cost per month?", Snippets: snippets, Confidence: 0.9}
	if _, err := a.Answer(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if len(sc.scored.Messages) == 0 {
		t.Fatal("nothing scored")
	}
	system := sc.scored.Messages[0].Content
	for _, f := range filler {
		if strings.Contains(system, f) && !slices.ContainsFunc(sc.offered, func(c string) bool { return strings.HasPrefix(c, f) }) {
			t.Errorf("the scoring prompt holds %q, which was not offered:\n%s", f, system)
		}
	}
	markerRE := regexp.MustCompile(`^(.*) \[(\d)\]$`)
	for _, c := range sc.offered {
		if c == prompt.Unknown {
			continue
		}
		m := markerRE.FindStringSubmatch(c)
		if m == nil {
			t.Fatalf("offered %q without a marker", c)
		}
		// The snippet numbered m[2] in the prompt holds the sentence.
		at := strings.Index(system, "\n["+m[2]+"] ")
		if at < 0 {
			t.Fatalf("offered %q, but the scoring prompt has no snippet [%s]:\n%s", c, m[2], system)
		}
		block := system[at:]
		if end := strings.Index(block[1:], "\n\n["); end >= 0 {
			block = block[:1+end]
		}
		if !strings.Contains(block, m[1]) {
			t.Errorf("offered %q, but snippet [%s] of the scoring prompt does not hold it:\n%s", c, m[2], system)
		}
	}
	if !slices.ContainsFunc(sc.offered, func(c string) bool { return strings.Contains(c, "€9.99") }) {
		t.Errorf("offered %q: the best sentence, deep in a long snippet, is missing", sc.offered)
	}
}

// TestConstrainedUnratedKeepTheirPlace checks that a sentence the prompt
// had no room for is reported as not rated (NaN), not as the model's
// favourite, and is neither pushed down nor up by the model's scores.
func TestConstrainedUnratedKeepTheirPlace(t *testing.T) {
	var long []string
	for i := range 8 {
		long = append(long, fmt.Sprintf("Plan detail number %d: the plan costs what %s it says.", i, strings.Repeat("the price list on the plan page ", 4)))
	}
	// The best-ranked snippet fills the prompt; the best sentence is in
	// the last one.
	snippets := []knowledge.Snippet{
		{Title: "Plan details", Source: "details.md", Text: strings.Join(long, " ")},
		{Title: "Plus", Source: "plus.md", Text: "The Plus plan costs €9.99 a month."},
		{Title: "Basic", Source: "basic.md", Text: "The Basic plan costs €4.99 a month."},
	}
	sc := &fakeScorer{score: prefer("Plan detail")}
	opts := confident
	var choices []extractive.Choice
	opts.OnChoice = func(c extractive.Choice) { choices = append(choices, c) }
	opts.Budget = 320
	a := newAnswerer(t, sc, opts)
	q := conversation.Query{Question: "what does the basic plan cost per month?", Snippets: snippets, Confidence: 0.9}
	if _, err := a.Answer(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if len(choices) != 1 {
		t.Fatalf("%d choices, want 1", len(choices))
	}
	c := choices[0]
	unrated := 0
	for i, s := range c.Sentences {
		offered := slices.ContainsFunc(sc.offered, func(o string) bool { return strings.HasPrefix(o, s+" [") })
		if math.IsNaN(c.Model[i]) == offered {
			t.Errorf("sentence %q: offered %v, model score %v", s, offered, c.Model[i])
		}
		if !offered {
			unrated++
		}
	}
	if unrated == 0 || unrated == len(c.Sentences) {
		t.Fatalf("%d of %d sentences unrated; the test needs some of each: %q", unrated, len(c.Sentences), c.Sentences)
	}
	if !math.IsNaN(c.Model[0]) {
		t.Fatalf("the best lexical sentence %q was rated; the test needs it unrated", c.Sentences[0])
	}
	if c.Chosen != 0 {
		t.Errorf("chose %d of %q, not the unrated lexical best", c.Chosen, c.Sentences)
	}

	// Beside unrated sentences, the model's scores still move the ones
	// it rated.
	choices = nil
	sc.score = prefer("€4.99")
	q.Question = "what does the plus plan or the basic plan cost per month?"
	q.Snippets = []knowledge.Snippet{snippets[1], snippets[2], snippets[0]}
	if _, err := a.Answer(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	c = choices[0]
	if !slices.ContainsFunc(c.Model, math.IsNaN) || c.Chosen < 0 || !strings.Contains(c.Sentences[c.Chosen], "€4.99") {
		t.Errorf("model prefers Basic: chose %d of %q (model %v)", c.Chosen, c.Sentences, c.Model)
	}
}

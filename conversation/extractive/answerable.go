package extractive

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Signals are what the answerer knows about a reply it is about to give:
// how well retrieval covered the question, how well the chosen sentences
// match it, and what they leave out. Answerability weighs them into the
// probability that the reply is right.
type Signals struct {
	Confidence float64 // retrieval's (Query.Confidence)
	Coverage   float64 // the share of the question the chosen sentences and their headings cover
	Best       float64 // the best sentence's score
	Total      float64 // the weight of all the question's terms: about the score of a sentence holding them all
	// MissingMax is the largest share of the question's weight that one
	// term the reply lacks carries; MissingAll the share of the terms
	// that no retrieved sentence or heading holds.
	MissingMax, MissingAll float64
	Terms                  int  // the question's terms
	Snippet                int  // the rank of the best sentence's snippet
	AsksFigure             bool // the question asks for a figure ("how much", "how long")
	HasNumbers             bool // the best sentence holds a number
}

// signals describes the reply of the chosen sentences (covered: the
// terms they and their headings hold) with best the best of them.
func signals(confidence float64, best *candidate, cands []*candidate, terms []string, weight map[string]float64,
	qterms map[string]bool, covered map[string]float64, kind question) Signals {
	s := Signals{Confidence: confidence, Best: best.score, Terms: len(qterms), Snippet: best.snippet,
		AsksFigure: kind.quantity != noQuantity, HasNumbers: best.numbers}
	retrieved := func(t string) bool {
		for _, c := range cands {
			if c.terms[t] || c.context[t] {
				return true
			}
		}
		return false
	}
	var got, missAll float64
	for _, t := range terms {
		if !qterms[t] {
			continue
		}
		w := weight[t]
		s.Total += w
		got += w * covered[t]
		if covered[t] == 0 {
			s.MissingMax = max(s.MissingMax, w)
		}
		if !retrieved(t) {
			missAll += w
		}
	}
	s.Coverage, s.MissingMax, s.MissingAll = got/s.Total, s.MissingMax/s.Total, missAll/s.Total
	return s
}

// features are the inputs of the logistic model, in the order of
// featureNames. None grows with the size of the knowledge: a term's
// weight does (rarity), so the best score counts only as a share of the
// question's weight, and a help centre of three articles is judged as
// one of three hundred. The products let it weigh retrieval's confidence
// differently for weak and strong sentence matches.
func (s Signals) features() [numFeatures]float64 {
	c := s.Confidence
	return [numFeatures]float64{
		1, c, s.Coverage, s.MissingMax, s.MissingAll, float64(s.Terms) / 5, float64(s.Snippet) / 3,
		indicator(s.AsksFigure), indicator(s.AsksFigure && s.HasNumbers), c * s.Coverage, c * c,
		math.Log(s.Best/max(s.Total, 1e-9) + 1e-3),
	}
}

const numFeatures = 12

var featureNames = [numFeatures]string{"bias", "confidence", "coverage", "missing_max",
	"missing_all", "terms", "snippet", "asks_figure", "figure_numbers", "confidence*coverage",
	"confidence^2", "log_best_share"}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Answerability is a logistic model of whether a reply is right, given
// its Signals. The embedded one is learned from the training help
// centres (LearnAnswerability; TestLearnedAnswerability in
// cmd/switchboard regenerates it with -update).
type Answerability [numFeatures]float64

// P returns the probability that a reply with signals s is right.
func (w *Answerability) P(s Signals) float64 {
	f := s.features()
	z := 0.0
	for i, x := range f {
		z += w[i] * x
	}
	return 1 / (1 + math.Exp(-z))
}

// An Outcome is one reply the answerer gave while learning: its signals
// and whether it was right (an answer with the expected fact, citing the
// expected article) or not (a wrong answer, or any answer to an
// out-of-scope question).
type Outcome struct {
	Signals Signals
	Right   bool
}

// Learning settings of LearnAnswerability: batch gradient descent on the
// mean log-loss with a little L2, from zero weights. Deterministic, so
// the embedded model is what its test regenerates. 2,000 steps fit it
// (5,000 change no figure but one wrong answer); the first 400 had
// stopped short of it. Fitted, it answered the dev sets 1,723 of 3,642
// right and 451 wrong (400 steps: 1,726 and 458) and the training
// centres 2,382 right, 885 wrong and 494 of 642 out of scope fallen back
// (2,386, 891, 490): fewer wrong answers for each right one lost than
// raising MinAnswerability buys (0.45: dev 1,670 and 416). Held-out and
// demo did not move.
const (
	learnSteps = 2000
	learnRate  = 1.0
	learnL2    = 1e-3
)

// LearnAnswerability fits an Answerability to outcomes.
func LearnAnswerability(outcomes []Outcome) Answerability {
	var w Answerability
	if len(outcomes) == 0 {
		return w
	}
	xs := make([][numFeatures]float64, len(outcomes))
	for i, o := range outcomes {
		xs[i] = o.Signals.features()
	}
	n := float64(len(outcomes))
	for range learnSteps {
		var g [numFeatures]float64
		for i, o := range outcomes {
			z := 0.0
			for j, x := range xs[i] {
				z += w[j] * x
			}
			d := 1/(1+math.Exp(-z)) - indicator(o.Right)
			for j, x := range xs[i] {
				g[j] += d * x
			}
		}
		for j := range w {
			w[j] -= learnRate * (g[j]/n + learnL2*w[j])
		}
	}
	return w
}

// WriteTo writes w as the embedded file holds it: a comment line, then
// one feature name and weight a line.
func (w *Answerability) WriteTo(out io.Writer) (int64, error) {
	var b strings.Builder
	b.WriteString("# feature, weight: learned by LearnAnswerability; regenerate, do not edit\n")
	for i, name := range featureNames {
		fmt.Fprintf(&b, "%s %.4f\n", name, w[i])
	}
	n, err := io.WriteString(out, b.String())
	return int64(n), err
}

// ReadAnswerability reads what WriteTo writes.
func ReadAnswerability(r io.Reader) (Answerability, error) {
	var w Answerability
	seen := 0
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, " ")
		if !ok || seen >= numFeatures || name != featureNames[seen] {
			return w, fmt.Errorf("read answerability: line %d: want %q and a weight", line, featureNames[min(seen, numFeatures-1)])
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return w, fmt.Errorf("read answerability: line %d: %w", line, err)
		}
		w[seen] = v
		seen++
	}
	if err := sc.Err(); err != nil {
		return w, fmt.Errorf("read answerability: %w", err)
	}
	if seen != numFeatures {
		return w, fmt.Errorf("read answerability: %d weights, want %d", seen, numFeatures)
	}
	return w, nil
}

//go:embed answerability.txt
var answerabilityFile string

var learnedAnswerability = sync.OnceValue(func() Answerability {
	return mustRead(ReadAnswerability(strings.NewReader(answerabilityFile)))
})

// LearnedAnswerability returns a copy of the embedded model.
func LearnedAnswerability() Answerability { return learnedAnswerability() }

package extractive

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/switchboard/switchboard/conversation"
)

// A Choice is one choice among candidate sentences that a Reranker took
// part in: it says what the lexical scores and the Reranker each
// preferred, and what was chosen.
type Choice struct {
	Question  string
	Sentences []string  // the candidates, best lexical score first
	Lexical   []float64 // their lexical scores
	Model     []float64 // the Reranker's scores
	Decline   float64   // the Reranker's score for not answering
	Chosen    int       // the index of the sentence chosen; -1 when declined
}

// A Reranker rates candidate sentences as replies to q: it returns one
// score per sentence and the score of declining to answer, on the same
// scale, higher meaning more likely (for a language model, the mean
// log-probability per token of writing the sentence as the reply; see the
// generative package). The sentences are of q.Snippets; snippet is the
// index of each one's snippet. A score of NaN means the Reranker did not
// rate that sentence (it did not fit in front of the model): it keeps its
// lexical place, as if the model rated it best, and it is not counted as
// the model's choice.
type Reranker func(ctx context.Context, q conversation.Query, sentences []string, snippet []int) (scores []float64, decline float64, err error)

// Reranking weights: a Reranker's choice is made among the RerankTop
// sentences with the best lexical scores: each one's score moves by
// the rerank weight times the best lexical score times its model score's
// distance below the best model score. When declining beats the best
// sentence's model score by more than the decline margin, the reply is a
// Fallback.
//
// The weight was chosen for the built-in model on the demo eval set
// (configs/eval): with the model shipped today every weight above zero
// cost answers there (weight 0.1: 68 of 136 right against 81 lexically),
// so the model only breaks near-ties. No decline margin ever caught an
// out-of-scope question there that the lexical guards let through, and
// margins that declined at all only lost answers (margin 4: 73), so by
// default the model never declines: the margin is infinite. (A margin
// of 8, which declined nothing on the demo set, was the default until
// the held-out set showed it declining 7 of 74 answerable questions
// once the model read short excerpts; that set informed this default.)
//
// The weight was 0.02 until the lexical choice weighed sentences by
// meaning too (meaningWeight) and read four snippets: the model's votes
// then cost more than they won, and generative mode answered 1,509 of the
// dev sets' 3,422 questions right (1,520 extractively), held-out 54 of 74
// (55) and demo 92 of 136 (92). At 0.01 it answered 1,517, 55 and 94; at
// 0.005, 1,518, 55 and 94.
const (
	RerankTop           = 6
	DefaultRerankWeight = 0.01
)

// DefaultDeclineMargin is infinite: the built-in model never declines.
var DefaultDeclineMargin = math.Inf(1)

// rerank asks the Reranker to choose among the best lexical candidates
// (scored already); declined reports that it would rather not answer.
func (a *Answerer) rerank(ctx context.Context, q conversation.Query, cands []*candidate) (best *candidate, declined bool, err error) {
	top := append([]*candidate(nil), cands...)
	sort.SliceStable(top, func(i, j int) bool { return top[i].score > top[j].score })
	top = top[:min(len(top), RerankTop)]
	for len(top) > 1 && top[len(top)-1].score <= 0 {
		top = top[:len(top)-1]
	}
	texts := make([]string, len(top))
	snippet := make([]int, len(top))
	for i, c := range top {
		texts[i], snippet[i] = c.text, c.snippet
	}
	scores, decline, err := a.opts.Rerank(ctx, q, texts, snippet)
	if err != nil {
		return nil, false, fmt.Errorf("rerank sentences: %w", err)
	}
	if len(scores) != len(top) {
		return nil, false, fmt.Errorf("rerank sentences: %d scores for %d sentences", len(scores), len(top))
	}
	hi := math.Inf(-1)
	for _, s := range scores {
		if !math.IsNaN(s) {
			hi = max(hi, s)
		}
	}
	lexical := make([]float64, len(top))
	for i, c := range top {
		lexical[i] = c.score
	}
	// The model's preference moves scores on the lexical scale, so that
	// the runners-up it dislikes drop out of the reply too.
	chosen := 0
	for i, c := range top {
		if !math.IsNaN(scores[i]) {
			c.score += a.opts.RerankWeight * lexical[0] * (scores[i] - hi)
		}
		if c.score > top[chosen].score {
			chosen = i
		}
	}
	// A model that rated no sentence has not read enough to decline.
	declined = !math.IsInf(hi, -1) && decline > hi+a.opts.DeclineMargin
	if a.opts.OnChoice != nil {
		c := Choice{Question: q.Question, Sentences: texts, Lexical: lexical, Model: scores, Decline: decline, Chosen: chosen}
		if declined {
			c.Chosen = -1
		}
		a.opts.OnChoice(c)
	}
	return top[chosen], declined, nil
}

package extractive

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// headingCredit is how much a question term found only in the title or
// section of a sentence's snippet counts: in the sentence's score, and
// towards the coverage of the chosen sentences.
const headingCredit = 0.75

// rarity weights the question's terms (1) and its context terms (1/3) by
// how few candidate sentences contain them, so that "visa" counts more
// than "refund" when every sentence is about refunds, and the question's
// terms by how often answers repeat them (Repeats): retrieval finds the
// candidates by the question's topic ("dog"), so the verb around it
// ("bring") is rare among them, and it won: "can i bring my dog" was
// answered "You're welcome to bring clients, colleagues and friends",
// over three sentences about dogs.
func rarity(cands []*candidate, qterms, context map[string]bool, repeats knowledge.Repeats) map[string]float64 {
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
		if r, ok := repeats[t]; ok {
			w[t] *= r
		}
	}
	for t := range context {
		w[t] = math.Log(1+n/float64(1+df[t])) / 3
	}
	return w
}

// dropMeasures removes from qterms the numbers that question writes as
// measures (knowledge.Measures: "im 76", "ordered it 20 mins ago") and
// no candidate holds, and returns how many terms are left. A number the
// snippets do hold, or one that is part of a name ("WM-7500"), still
// counts.
func dropMeasures(qterms map[string]bool, question string, cands []*candidate) int {
	measures := knowledge.Measures(question)
	for t := range qterms {
		if measures[t] && !slices.ContainsFunc(cands, func(c *candidate) bool { return c.terms[t] || c.context[t] }) {
			delete(qterms, t)
		}
	}
	return len(qterms)
}

// aboutTheArticle begins a sentence that says what an article covers
// ("This article explains when you can get your money back…"): it holds
// the words of many questions and answers none of them.
var aboutTheArticle = regexp.MustCompile(`(?i)^(?:this (?:article|page|guide|section)|in this (?:article|guide|section)|on this page|here you can|below you)\b`)

// aboutWeight scales the score of such a sentence: it is still the reply
// when nothing else matches ("privacy?"). On the twenty training help
// centres 0.2 and 0.5 each answered 2 more of 4,337 questions right and
// 2–3 fewer wrongly; few of their articles open so.
const aboutWeight = 0.2

// neighbourCredit is how much a question term counts for a sentence
// that lacks it when a neighbouring sentence of the same paragraph has
// it. A paragraph spreads one thought over its sentences ("Returns are
// free within 30 days. After that, each one costs £4.95."), so the
// sentence that answers often leaves the question's subject to its
// neighbour. Chosen on the twenty help centres of configs/train, which
// nothing else in this package was tuned on: 0.2 to 0.4 all answered
// about 40 more of their 4,337 answer questions right than no credit
// (1,451), with the same out-of-scope fallback (410 of 578); 0.3 gave
// 1,491, and one fewer on both demo and held-out sets.
const neighbourCredit = 0.3

// meaningWeight is how much a sentence's similarity in meaning to the
// question (conversation.Query.Similarities: the cosine in the
// knowledge's latent space) moves its score, as a share of the best
// sentence's score. The words people ask with are often not the
// article's ("anmeldung" for "Registrierungsgebühr", "couch" for
// "sofa"); the latent space, made from which words share the
// knowledge's chunks, brings such sentences closer where counting shared
// words cannot. It moves only sentences that share a word with the
// question, so it chooses among them. Chosen over the 33 configs/dev
// sets, held-out, demo and the 23 training centres with their own
// knowledge (extractive; answers right / wrong):
//
//	weight  dev (3,422)   held-out (74)  demo (136)  training (4,888)
//	0       1,455 / 540   51 / 12        91 / 24     2,212 / 994
//	0.3     1,468 / 530   52 / 11        91 / 24     2,229 / 988
//	0.6     1,489 / 511   53 / 10        90 / 25     2,241 / 977
//	1       1,495 / 506   53 / 10        90 / 24     2,245 / 973
//	1.5     1,483 / 518   51 / 12        91 / 24     2,252 / 965
//
// Out-of-scope fallback did not move on dev (331 of 410) and lost one
// of 642 on the training centres.
const meaningWeight = 1.0

// weighMeaning adds to the score of every sentence that matches the
// question meaningWeight times the best score times its similarity in
// meaning to the question, when similar (Query.Similarities) is set.
// A step or list item is compared with its section's heading before it:
// the heading says what "Open the app and go to Account > Subscription."
// is for ("Cancel your plan"), as it does in counting shared words
// (candidate.context). Prose sentences are compared alone: with every
// sentence headed so, the training centres answered 22 more questions
// right but held-out 3 fewer; with steps and items only, the dev sets
// answered 7 more right and 6 fewer wrongly, the training centres 3 more
// and 3 fewer, held-out and demo the same but one fewer wrong answer on
// the demo.
func weighMeaning(cands []*candidate, snippets []knowledge.Snippet, similar func([]string) []float64) {
	if similar == nil {
		return
	}
	var matched []*candidate
	var texts []string
	top := 0.0
	for _, c := range cands {
		if c.score > 0 {
			matched = append(matched, c)
			text := c.text
			if sec := snippets[c.snippet].Section; sec != "" && (c.numbered || c.item) {
				text = sec + ". " + text
			}
			texts = append(texts, text)
			top = max(top, c.score)
		}
	}
	if len(matched) == 0 {
		return
	}
	sims := similar(texts)
	if len(sims) != len(matched) {
		return
	}
	for i, c := range matched {
		c.score += meaningWeight * top * sims[i]
	}
}

// creditNeighbours adds to the score of every sentence that matches the
// question neighbourCredit times the weight of the question terms that
// the sentences just before and after it in its paragraph have and it
// lacks.
func creditNeighbours(cands []*candidate, terms []string, weight map[string]float64, qterms map[string]bool) {
	extra := make([]float64, len(cands))
	for i, c := range cands {
		if c.score == 0 {
			continue
		}
		for _, j := range [2]int{i - 1, i + 1} {
			if j < 0 || j >= len(cands) || cands[j].snippet != c.snippet || cands[j].line != c.line {
				continue
			}
			for _, t := range terms {
				if qterms[t] && cands[j].terms[t] && !c.terms[t] && !c.context[t] {
					extra[i] += weight[t]
				}
			}
		}
	}
	for i, c := range cands {
		c.score += neighbourCredit * extra[i]
	}
}

// noFigure scales the score of a sentence without a figure for a
// question that asks for one ("how much …?"): it rarely answers it, but
// questions word figures loosely ("how long do i have to …" asks for a
// deadline that may be "before it is shipped").
//
// With headingCredit in scoring (a heading term used to count half) it
// was chosen on the twenty help centres of configs/train, which nothing
// else here was tuned on: 0.9 with 0.75 answered 1,512 of their 4,337
// answer questions right against 1,491 with 0.75 and ½, with one more
// out-of-scope question answered (409 of 578 fall back); nearby values
// (0.85–1 with 0.7–0.9) gave 1,508–1,517. The demo, held-out and dev
// sets went from 172 to 177 of 369.
const noFigure = 0.9

// codeWeight scales the score of a line of code for a question that
// does not ask for code (codeCues): an API reference's example request
// holds the words of many questions ("parcel", "weight", "label") and
// answers none of them, so "max parcel weight?" was answered with a
// 24-line curl command instead of "The parcel.weight must be between 1
// and 31500 grams." On the evaluation sets 0.5 and 0.7 each answered one
// more question right (of 2,165) and changed nothing else. It is a
// preference between candidates, applied once the best of them has
// passed MinScore: an answer that only code gives is still quoted.
const codeWeight = 0.5

// preferProse weighs down the lines of code among cands (codeWeight)
// and returns the best candidate after it.
func preferProse(cands []*candidate) *candidate {
	var best *candidate
	for _, c := range cands {
		if c.code {
			c.score *= codeWeight
		}
		if best == nil || c.score > best.score {
			best = c
		}
	}
	return best
}

// score rates one sentence for the question, summing the weights of
// terms (sorted) that it or its headings hold.
func (a *Answerer) score(c *candidate, terms []string, weight map[string]float64, kind question, qterms map[string]bool) float64 {
	headed := kind.steps && c.numbered && underHeading(c, qterms)
	if c.question {
		return 0 // a question the article asks answers nothing itself
	}
	sum := 0.0
	for _, t := range terms {
		w := weight[t]
		switch {
		case c.terms[t]:
			sum += w
		case c.context[t] && headed:
			sum += w
		case c.context[t]:
			sum += w * headingCredit // the sentence sits under a heading that matches
		}
	}
	sum += a.associated(c, terms, weight, qterms)
	if sum == 0 {
		return 0
	}
	words := len(strings.Fields(c.text))
	switch {
	case words < 4 && !c.item:
		// A list item is short by nature; its intro says the rest.
		sum *= 0.7
	case words > 45:
		sum *= 0.8
	}
	if kind.steps && (c.numbered || c.steps) {
		sum *= stepsBoost
	}
	switch quantity := kind.quantity; {
	case quantity == noQuantity:
	case hasFigure(c.text, quantity):
		sum *= 1.5
	case quantity == money && costsNothing(c.text):
		sum *= 1.2
	case c.numbers:
		sum *= 1.1
	default:
		sum *= noFigure
	}
	if headed {
		return sum
	}
	return sum / (1 + 0.15*float64(c.snippet))
}

// underHeading reports whether a step and its own heading (its
// section's, or the title where the snippet has no section) together
// hold every term of the question. A procedure's steps rarely repeat its
// heading ("Reset a forgotten password", then "1. Open the app"), so for
// a how-to question such a step counts the heading's terms fully, and
// the rank of its section in retrieval does not count against it: a
// section that only mentions the task ("… or reset your password") is
// often retrieved first, and answering with it left the user without
// the steps. An article's title heads all its sections: under
// "Cancelling or pausing your plan", the steps of "Cancel your plan" are
// not how to pause.
func underHeading(c *candidate, qterms map[string]bool) bool {
	for t := range qterms {
		if !c.terms[t] && !c.own[t] {
			return false
		}
	}
	return len(qterms) > 0
}

// stepsBoost favours the steps of a procedure, and the sentence leading
// into them, for a question asking how to do something.
const stepsBoost = 1.3

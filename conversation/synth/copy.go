package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// A placed sentence is a sentence of a snippet, with the snippet's index.
type placed struct {
	text string
	k    int
}

// fromCopy is a copy drill: two or three runs of sentences from the
// knowledge folders' articles as snippets, and questions each made of
// words of one of their sentences, answered with that sentence and its
// snippet's marker. The sentence can be any of a snippet's, so the model
// must find it by its words and copy it; now and then the words are of
// a sentence no snippet holds, and the answer is Unknown.
func (g *Generator) fromCopy(r *rand.Rand) Example {
	var snips []knowledge.Snippet
	var all []placed
	for _, ci := range r.Perm(len(g.chunks))[:min(len(g.chunks), 2+r.IntN(2))] {
		c := g.chunks[ci]
		ss := sentences(c.Text) // never empty (New keeps such chunks only)
		start := r.IntN(len(ss))
		k := len(snips)
		snips = append(snips, chunkSnippet(c, g.scramble(r, joinUpTo(ss[start:], 300))))
		for _, s := range sentences(snips[k].Text) {
			all = append(all, placed{s, k})
		}
	}
	if len(all) == 0 {
		return g.fromCentre(r)
	}
	texts := make([]string, len(all))
	for i, p := range all {
		texts[i] = p.text
	}
	order := r.Perm(len(all))
	var hist []engine.ChatMessage
	for _, i := range order[1:min(len(order), 1+r.IntN(4))] {
		hist = append(hist, engine.ChatMessage{Role: "user", Content: style(r, wordsQuestion(r, all[i].text, texts))},
			engine.ChatMessage{Role: "assistant", Content: fmt.Sprintf("%s [%d]", all[i].text, all[i].k+1)})
	}
	target := all[order[0]]
	ex := Example{FromKB: true, Answer: Unknown, Unanswerable: true}
	q := wordsQuestion(r, target.text, texts)
	if r.Float64() < g.opts.Unanswerable {
		// Words of a sentence the snippets do not hold.
		c := g.chunks[r.IntN(len(g.chunks))]
		if ss := sentences(c.Text); len(ss) > 0 {
			s := ss[r.IntN(len(ss))]
			if !slices.Contains(texts, s) {
				q, target = wordsQuestion(r, s, append(texts, s)), placed{k: -1}
			}
		}
	}
	ex.Prompt = g.build(snips, hist, style(r, q))
	ex.Drills = ex.Prompt.History / 2
	if k := target.k; k >= 0 && k < len(ex.Prompt.Snippets) && strings.Contains(ex.Prompt.Snippets[k].Text, target.text) {
		ex.Answer, ex.Unanswerable = fmt.Sprintf("%s [%d]", target.text, k+1), false
	}
	return ex
}

// scrambled is the share of a copy drill's words replaced by others.
const scrambled = 0.25

// scramble returns text with a share of its words (of four letters or
// more) replaced by words of other articles, and of its digits by other
// digits: the model cannot have learnt such text by heart, so it learns
// to copy what its prompt says. Without it, the drills over the
// training articles taught them by heart, and the sentences of unseen
// ones were written at 4 to 5 nats a token after 1,400 steps.
func (g *Generator) scramble(r *rand.Rand, text string) string {
	var b strings.Builder
	word := func(w string) {
		if len([]rune(w)) >= 4 && len(g.words) > 0 && r.Float64() < scrambled {
			w = g.words[r.IntN(len(g.words))]
		}
		b.WriteString(w)
	}
	start := -1
	for i, c := range text {
		switch {
		case unicode.IsLetter(c):
			if start < 0 {
				start = i
			}
			continue
		case start >= 0:
			word(text[start:i])
			start = -1
		}
		if unicode.IsDigit(c) && r.Float64() < scrambled {
			c = rune('0' + r.IntN(10))
		}
		b.WriteRune(c)
	}
	if start >= 0 {
		word(text[start:])
	}
	return b.String()
}

// wordsQuestion asks for sentence s by one to three of its words, the
// ones fewest of the other sentences hold, in any order.
func wordsQuestion(r *rand.Rand, s string, others []string) string {
	words := contentWords(s)
	if len(words) == 0 {
		return s
	}
	held := make(map[string]int, len(words)) // how many other sentences hold each word
	for _, o := range others {
		if o == s {
			continue
		}
		theirs := contentWords(o)
		for _, w := range words {
			if slices.Contains(theirs, w) {
				held[w]++
			}
		}
	}
	r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	slices.SortStableFunc(words, func(a, b string) int { return held[a] - held[b] })
	words = words[:min(len(words), 1+r.IntN(3))]
	r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	return fmt.Sprintf(pick(r, copyAsks), strings.Join(words, " "))
}

// copyAsks are the ways a copy drill asks.
var copyAsks = []string{"%s?", "what about %s?", "%s - how does that work?", "question about %s", "can you tell me about %s?",
	"%s, what are the rules?", "how does %s work?", "what do you say about %s?", "info on %s please"}

// contentWords are the distinct words of s of four letters or more,
// lower-case, without the commonest ones.
func contentWords(s string) []string {
	var out []string
	for _, w := range words(s) {
		if len([]rune(w)) >= 4 && !copyStop[w] && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// copyStop are common words that ask for nothing.
var copyStop = map[string]bool{"that": true, "this": true, "with": true, "your": true, "from": true, "have": true,
	"will": true, "they": true, "them": true, "then": true, "there": true, "their": true, "what": true, "when": true,
	"which": true, "into": true, "only": true, "also": true, "more": true, "than": true, "been": true, "were": true,
	"does": true, "each": true, "after": true, "before": true, "about": true, "until": true, "just": true, "some": true}

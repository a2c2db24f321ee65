// Package grounding checks that a reply says only what the retrieved
// snippets say, and holds the small text analysis (sentences, content
// terms, numbers) that the answerers and the check share.
//
// It imports nothing of the conversation pipeline, so the answerers, the
// pipeline and the trainer's data generator can all use it.
package grounding

import (
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// DefaultMinOverlap is the share of a sentence's content terms that one
// snippet must contain for the sentence to count as supported.
const DefaultMinOverlap = 0.6

// A Guard removes the sentences of a reply that the snippets do not
// support. A sentence is supported when at least MinOverlap of its content
// terms appear in one snippet (its title or text) and every number in it
// appears in some snippet. A sentence without content terms or numbers
// ("Sure!") is kept but supports nothing on its own.
//
// The zero Guard is ready to use. A Guard is a value; it is safe for
// concurrent use.
type Guard struct {
	// MinOverlap is the share of content terms that must be found, in
	// (0, 1]. Zero or less means DefaultMinOverlap.
	MinOverlap float64
}

// A Verdict is what a Guard decided about one reply.
type Verdict struct {
	Text     string   // the kept sentences, in order, lines kept apart
	Kept     int      // sentences kept that carry content
	Neutral  int      // sentences kept that carry no content
	Dropped  []string // the removed sentences
	Grounded bool     // at least one content sentence was kept
}

// Evidence is the pre-analysed content of a set of snippets.
type Evidence struct {
	terms   []map[string]bool // per snippet
	numbers map[string]bool   // over all snippets
}

// NewEvidence analyses snippets once, for many checks.
func NewEvidence(snippets []knowledge.Snippet) *Evidence {
	ev := &Evidence{numbers: make(map[string]bool)}
	for _, s := range snippets {
		text := s.Title + "\n" + s.Section + "\n" + s.Text
		ev.terms = append(ev.terms, TermSet(text))
		for _, n := range EvidenceNumbers(text) {
			ev.numbers[n] = true
		}
	}
	return ev
}

// Check applies the guard to reply.
func (g Guard) Check(reply string, snippets []knowledge.Snippet) Verdict {
	return g.CheckEvidence(reply, NewEvidence(snippets))
}

// CheckEvidence is Check with snippets analysed by NewEvidence.
func (g Guard) CheckEvidence(reply string, ev *Evidence) Verdict {
	var v Verdict
	var lines []string
	code := false // the last line kept was code, after an opening fence
	for _, l := range Lines(reply) {
		var kept []string
		for _, s := range l.Sentences {
			switch g.judge(s, ev) {
			case supported:
				v.Kept++
				kept = append(kept, s)
			case neutral:
				v.Neutral++
				kept = append(kept, s)
			default:
				v.Dropped = append(v.Dropped, s)
			}
		}
		if len(kept) == 0 {
			continue
		}
		if l.Code != code {
			lines, code = append(lines, knowledge.CodeFence), l.Code
		}
		lines = append(lines, strings.Join(kept, " "))
	}
	if code {
		lines = append(lines, knowledge.CodeFence)
	}
	v.Grounded = v.Kept > 0
	if v.Grounded {
		v.Text = strings.Join(lines, "\n")
	}
	return v
}

// Supported reports whether one sentence is supported by ev.
func (g Guard) Supported(sentence string, ev *Evidence) bool {
	return g.judge(sentence, ev) == supported
}

// Support returns the index of the snippet that best supports sentence
// (the one holding most of its content terms), and whether the sentence
// is supported at all; a sentence without content reports (-1, false).
func (g Guard) Support(sentence string, ev *Evidence) (int, bool) {
	if g.judge(sentence, ev) != supported {
		return -1, false
	}
	terms := TermSet(sentence)
	best, bestN := -1, -1
	for i, set := range ev.terms {
		n := 0
		for t := range terms {
			if set[t] {
				n++
			}
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	return best, true
}

type judgement int

const (
	unsupported judgement = iota
	supported
	neutral
)

func (g Guard) judge(sentence string, ev *Evidence) judgement {
	nums := Numbers(sentence)
	for _, n := range nums {
		if !ev.numbers[n] {
			return unsupported
		}
	}
	terms := TermSet(sentence)
	for _, n := range nums {
		delete(terms, n) // numbers were checked above, on their own terms
	}
	if len(terms) == 0 {
		if len(nums) > 0 {
			return supported
		}
		return neutral
	}
	min := g.MinOverlap
	if min <= 0 || min > 1 {
		min = DefaultMinOverlap
	}
	for _, set := range ev.terms {
		found := 0
		for t := range terms {
			if set[t] {
				found++
			}
		}
		if float64(found) >= min*float64(len(terms)) {
			return supported
		}
	}
	return unsupported
}

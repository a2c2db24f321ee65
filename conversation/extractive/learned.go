package extractive

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/knowledge"
)

// The answerer's tables learned from configs/train over the terms it
// reads English with (grounding.Terms) by knowledge.LearnAssociations and
// knowledge.LearnRepeats; TestLearnedTables regenerates them with
// -update. Learned with each language's own stems, the other languages'
// entries filled gaps of English's under the same spelling ("part",
// "pass", "comment") and changed English replies; those languages'
// entries (from one training centre each) now meet few of their terms.
var (
	//go:embed associations.txt
	associationsFile string
	//go:embed repeats.txt
	repeatsFile string
)

var (
	learnedAssociations = sync.OnceValue(func() knowledge.Associations {
		return mustRead(knowledge.ReadAssociations(strings.NewReader(associationsFile)))
	})
	learnedRepeats = sync.OnceValue(func() knowledge.Repeats {
		return mustRead(knowledge.ReadRepeats(strings.NewReader(repeatsFile)))
	})
)

func mustRead[T any](t T, err error) T {
	if err != nil {
		panic(err) // the files are embedded and tested
	}
	return t
}

// associateCredit is how much a question term counts for a sentence that
// lacks it but holds one of its associates, times the associate's share:
// "should i take pictures after a crash?" is answered "Take photos of the
// scene, the vehicles and any damage." Chosen on the twenty training help
// centres, each measured with associations learned from the other
// nineteen: 0.5 answered 25 more of their 4,337 answer questions right
// (1,741) and 29 fewer wrongly, with no other evaluation set changed but
// pet insurance (one more right); 0.3 gained 18, and 1 gained 30 but
// lost two on demo and one on held-out.
//
// The learned Repeats then replaced a hand-picked list of light verbs
// (bring, want, go…, at half weight), measured the same way with all
// three tables learned from nineteen centres: 1,769 → 1,811 right and 966
// → 919 wrong, out-of-scope fallback 407 → 408 of 578; held-out 48 → 50
// of 74, demo 86 → 88 of 136, furniture 25 → 26 of 81, pet insurance
// 29 → 28 of 78. Without the full weight for associates, pet insurance
// lost 3 and the training centres gained 11 fewer.
const associateCredit = 0.5

// associated is the credit of c for the question terms it lacks (term
// or heading) but holds an associate of. The term counts at its full
// weight there, not scaled by how often answers repeat it: an answer
// that says it otherwise is why they do not.
func (a *Answerer) associated(c *candidate, terms []string, weight map[string]float64, qterms map[string]bool) float64 {
	sum := 0.0
	for _, t := range terms {
		if !qterms[t] || c.terms[t] || c.context[t] {
			continue
		}
		best := 0.0
		for _, x := range a.assoc[t] {
			if c.terms[x.Term] {
				best = max(best, x.P)
			}
		}
		w := weight[t]
		if r, ok := a.repeats[t]; ok {
			w /= r
		}
		sum += w * best * associateCredit
	}
	return sum
}

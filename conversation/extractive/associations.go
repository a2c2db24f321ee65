package extractive

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/knowledge"
)

// associations is learned from configs/train by
// knowledge.LearnAssociations over the terms the answerer reads
// (grounding.Terms); TestAnswerAssociations regenerates it with -update.
//
//go:embed associations.txt
var associationsFile string

var learnedAssociations = sync.OnceValue(func() knowledge.Associations {
	a, err := knowledge.ReadAssociations(strings.NewReader(associationsFile))
	if err != nil {
		panic(err) // the file is embedded and tested
	}
	return a
})

// associateCredit is how much a question term counts for a sentence that
// lacks it but holds one of its associates, times the associate's share:
// "should i take pictures after a crash?" is answered "Take photos of the
// scene, the vehicles and any damage." Chosen on the twenty training help
// centres, each measured with associations learned from the other
// nineteen: 0.5 answered 25 more of their 4,337 answer questions right
// (1,741) and 29 fewer wrongly, with no other evaluation set changed but
// pet insurance (one more right); 0.3 gained 18, and 1 gained 30 but
// lost two on demo and one on held-out.
const associateCredit = 0.5

// associated is the credit of c for the question terms it lacks (term
// or heading) but holds an associate of.
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
		sum += weight[t] * best * associateCredit
	}
	return sum
}

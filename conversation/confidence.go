package conversation

import (
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// Coverage is the Manager's confidence when the Searcher has none of its
// own: the largest share of the query's distinct content terms that one of
// the snippets (title and text) contains, in [0, 1]. A query without
// content terms ("hi!") has coverage 0.
func Coverage(query string, snippets []knowledge.Snippet) float64 {
	q := grounding.TermSet(query)
	if len(q) == 0 {
		return 0
	}
	best := 0.0
	for _, s := range snippets {
		set := grounding.TermSet(s.Title + "\n" + s.Text)
		found := 0
		for t := range q {
			if set[t] {
				found++
			}
		}
		best = max(best, float64(found)/float64(len(q)))
	}
	return best
}

package knowledge

import (
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Associations map a word people ask with to words the sentence that
// answers them says instead: "pictures" to "photos", "bounced" to
// "failed", "amex" to "american express". Each Associate carries the
// share of the training questions asking with the word whose answer held
// the associate. They are learned from the question and answer pairs of
// the training help centres (configs/train), not written by hand, so
// that what they know is what support questions ask, and every help
// centre benefits from the others' paraphrases.
type Associations map[string][]Associate

// An Associate is a word the answer says, with P, the share of the
// questions asking with the word (and not saying the associate
// themselves) whose answer held it.
type Associate struct {
	Term string
	P    float64
}

// LearnAssociations counts, over pairs, how often each question term the
// answer lacks meets each answer term the question lacks, and keeps the
// pairs that opt allows. question and answer analyse a text into its
// terms the way the associations will be used: as a question is
// searched and as an answer is held.
func LearnAssociations(pairs []QAPair, question, answer func(string) []string, opt LearnOptions) Associations {
	opt = opt.withDefaults()
	type pair struct{ q, a string }
	count := map[pair]int{}
	sources := map[pair]map[string]bool{}
	asked := map[string]int{}   // questions whose answer lacks the term
	answers := map[string]int{} // answers holding the term
	for _, p := range pairs {
		q, inA := make(map[string]bool), make(map[string]bool)
		for _, t := range question(p.Question) {
			q[t] = true
		}
		var a []string
		for _, t := range answer(p.Answer) {
			if !inA[t] {
				inA[t] = true
				a = append(a, t)
				answers[t]++
			}
		}
		for qt := range q {
			if inA[qt] {
				continue
			}
			asked[qt]++
			for _, at := range a {
				if q[at] {
					continue
				}
				k := pair{qt, at}
				count[k]++
				if sources[k] == nil {
					sources[k] = map[string]bool{}
				}
				sources[k][p.Source] = true
			}
		}
	}
	out := Associations{}
	for k, n := range count {
		if n < opt.MinCount || len(sources[k]) < opt.MinSources {
			continue
		}
		p := float64(n) / float64(asked[k.q])
		if p < opt.MinP || p/(float64(answers[k.a])/float64(len(pairs))) < opt.MinLift {
			continue
		}
		out[k.q] = append(out[k.q], Associate{Term: k.a, P: p})
	}
	for _, as := range out {
		slices.SortFunc(as, func(x, y Associate) int {
			return cmp.Or(cmp.Compare(y.P, x.P), strings.Compare(x.Term, y.Term))
		})
	}
	return out
}

// WriteTo writes a as lines "term associate p", sorted, after a comment
// line saying what the file is.
func (a Associations) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	b.WriteString("# question term, answer term, share: learned by LearnAssociations; regenerate, do not edit\n")
	for _, t := range slices.Sorted(maps.Keys(a)) {
		for _, x := range a[t] {
			fmt.Fprintf(&b, "%s %s %.3f\n", t, x.Term, x.P)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// ReadAssociations reads what Associations.WriteTo wrote.
func ReadAssociations(r io.Reader) (Associations, error) {
	out := Associations{}
	err := readTable(r, 3, func(f []string, p float64) {
		out[f[0]] = append(out[f[0]], Associate{Term: f[1], P: p})
	})
	if err != nil {
		return nil, fmt.Errorf("read associations: %w", err)
	}
	return out, nil
}

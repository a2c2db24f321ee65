package knowledge

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Repeats map a question term to how often the sentence that answers a
// question asking with it repeats it, against the average question term,
// where that is less: a half for "bring", a quarter (the least) for
// "want", "dad" or "actually", which people wrap their question in and
// answers do not say. Terms answers
// repeat as often as the average, or more, are not in it. Learned, like
// Associations, from the training help centres' questions and answers,
// it tells an answerer how much a term of a question says about which
// sentence answers it.
type Repeats map[string]float64

// LearnRepeats counts, over pairs, the questions asking with each term
// (as question analyses them) and those of them whose answer (as answer
// analyses it) holds the term too, and returns the smoothed share of each
// term asked in at least opt.MinCount questions, divided by the share of
// all terms, where that is below 1 (but never below opt.Floor).
func LearnRepeats(pairs []QAPair, question, answer func(string) []string, opt LearnOptions) Repeats {
	opt = opt.withDefaults()
	asked, repeated := map[string]int{}, map[string]int{}
	var allAsked, allRepeated int
	for _, p := range pairs {
		inA := make(map[string]bool)
		for _, t := range answer(p.Answer) {
			inA[t] = true
		}
		seen := make(map[string]bool)
		for _, t := range question(p.Question) {
			if seen[t] {
				continue
			}
			seen[t] = true
			asked[t]++
			allAsked++
			if inA[t] {
				repeated[t]++
				allRepeated++
			}
		}
	}
	out := Repeats{}
	if allAsked == 0 || allRepeated == 0 {
		return out
	}
	prior := float64(allRepeated) / float64(allAsked)
	for t, n := range asked {
		if n < opt.MinCount {
			continue
		}
		share := (float64(repeated[t]) + opt.Smoothing*prior) / (float64(n) + opt.Smoothing)
		if r := max(opt.Floor, share/prior); r < 1 {
			out[t] = r
		}
	}
	return out
}

// WriteTo writes r as lines "term repeats", sorted, after a comment line
// saying what the file is.
func (r Repeats) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	b.WriteString("# question term, how often answers repeat it against the average: learned by LearnRepeats; regenerate, do not edit\n")
	for _, t := range slices.Sorted(maps.Keys(r)) {
		fmt.Fprintf(&b, "%s %.3f\n", t, r[t])
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// ReadRepeats reads what Repeats.WriteTo wrote.
func ReadRepeats(rd io.Reader) (Repeats, error) {
	out := Repeats{}
	if err := readTable(rd, 2, func(f []string, r float64) { out[f[0]] = r }); err != nil {
		return nil, fmt.Errorf("read repeats: %w", err)
	}
	return out, nil
}

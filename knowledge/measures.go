package knowledge

import (
	"unicode"
	"unicode/utf8"
)

// Measures returns the numbers that text writes as measures: on their
// own ("im 76") or with a unit after them ("20mins", "7kg", "over
// 65s"), as people say how old, how heavy or how long ago. A number
// joined to letters before it or to a hyphen is part of a name ("WM-7500",
// "P60", "gig2", "2-year") and is none. The search and the answerer
// count a measure the knowledge never writes as no missing word: the
// articles state a limit ("aged 74 or under") where the asker states
// their own case, and counted, the asker's number was the question's
// rarest word, missing from every chunk, and the reply fell back.
func Measures(text string) map[string]bool {
	var out map[string]bool
	for i := 0; i < len(text); {
		if !isDigitAt(text, i) {
			i++
			continue
		}
		j := i
		for isDigitAt(text, j) || j < len(text) && (text[j] == '.' || text[j] == ',') && isDigitAt(text, j+1) {
			j++
		}
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		named := unicode.IsLetter(before) || before == '-' || j < len(text) && text[j] == '-'
		if !named {
			if out == nil {
				out = make(map[string]bool)
			}
			out[text[i:j]] = true
		}
		i = j
	}
	return out
}

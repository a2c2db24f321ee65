package conversation

import (
	_ "embed"
	"strings"
)

// realWordsText lists, for each language other than English that the bot
// reads, the words of that language one spelling slip from a handoff
// keyword that are not forms of it: Spanish "pagar" is paying, not a slip
// of "pasar", and French "argent" is money, not an agent. Each line is a
// language code and its words. TestRealWordsFile generates it from the
// word lists Debian packages (wngerman, wfrench, wspanish, witalian,
// wportuguese, wdutch); English has realWords, chosen by how common the
// words are, since an English dictionary holds rare words that are
// slips users make ("homan").
//
//go:embed realwords.txt
var realWordsText string

// realWordsIn holds realWordsText's words by language code.
var realWordsIn = readRealWords(realWordsText)

func readRealWords(text string) map[string]map[string]bool {
	out := make(map[string]map[string]bool)
	for _, line := range strings.Split(text, "\n") {
		lang, words, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		out[lang] = toWordSet(words, out[lang])
	}
	return out
}

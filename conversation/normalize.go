package conversation

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns a user's text as the pipeline reads it: compatibility
// forms folded (NFKC: full-width "ｒｅｆｕｎｄ", mathematical bold
// letters, ligatures) and invisible format characters removed (Unicode
// category Cf: zero-width spaces and joiners, soft hyphens, byte order
// marks, bidirectional controls). "ref\u200bund" was read as "ref" and
// the German "und", and answered with the German fallback. Control
// characters go too, but for line breaks and tabs: a terminal's escape
// codes or a NUL in a message reached the agents as they were.
func Normalize(text string) string {
	text = norm.NFKC.String(text)
	if !strings.ContainsFunc(text, isFormat) {
		return text
	}
	return strings.Map(func(r rune) rune {
		if isFormat(r) {
			return -1
		}
		return r
	}, text)
}

func isFormat(r rune) bool {
	if r < 0xa0 { // ASCII and C1: controls
		return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'
	}
	return unicode.Is(unicode.Cf, r)
}

package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldTable maps the common precomposed Latin letters and ligatures to
// their ASCII base (a fast path for what NFKD plus mark stripping gives),
// and the letters that do not decompose but are folded to a base all the
// same (ß, æ, ø, ł, đ, þ, œ, dotless ı; Greek final ς to σ, as upper case
// has one sigma). Other letters go through NFKD (see fold).
var foldTable = map[rune]string{
	'À': "a", 'Á': "a", 'Â': "a", 'Ã': "a", 'Ä': "a", 'Å': "a", 'Ā': "a", 'Ă': "a", 'Ą': "a",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'Æ': "ae", 'æ': "ae",
	'Ç': "c", 'ç': "c", 'Ć': "c", 'ć': "c", 'Ĉ': "c", 'ĉ': "c", 'Ċ': "c", 'ċ': "c", 'Č': "c", 'č': "c",
	'Ď': "d", 'ď': "d", 'Đ': "d", 'đ': "d", 'Ð': "d", 'ð': "d",
	'È': "e", 'É': "e", 'Ê': "e", 'Ë': "e", 'Ē': "e", 'Ĕ': "e", 'Ė': "e", 'Ę': "e", 'Ě': "e",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'Ĝ': "g", 'ĝ': "g", 'Ğ': "g", 'ğ': "g", 'Ġ': "g", 'ġ': "g", 'Ģ': "g", 'ģ': "g",
	'Ĥ': "h", 'ĥ': "h", 'Ħ': "h", 'ħ': "h",
	'Ì': "i", 'Í': "i", 'Î': "i", 'Ï': "i", 'Ĩ': "i", 'Ī': "i", 'Ĭ': "i", 'Į': "i", 'İ': "i",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i", 'ı': "i",
	'Ĳ': "ij", 'ĳ': "ij",
	'Ĵ': "j", 'ĵ': "j",
	'Ķ': "k", 'ķ': "k",
	'Ĺ': "l", 'ĺ': "l", 'Ļ': "l", 'ļ': "l", 'Ľ': "l", 'ľ': "l", 'Ŀ': "l", 'ŀ': "l", 'Ł': "l", 'ł': "l",
	'Ñ': "n", 'ñ': "n", 'Ń': "n", 'ń': "n", 'Ņ': "n", 'ņ': "n", 'Ň': "n", 'ň': "n",
	'Ò': "o", 'Ó': "o", 'Ô': "o", 'Õ': "o", 'Ö': "o", 'Ø': "o", 'Ō': "o", 'Ŏ': "o", 'Ő': "o",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ŏ': "o", 'ő': "o",
	'Œ': "oe", 'œ': "oe",
	'Ŕ': "r", 'ŕ': "r", 'Ŗ': "r", 'ŗ': "r", 'Ř': "r", 'ř': "r",
	'Ś': "s", 'ś': "s", 'Ŝ': "s", 'ŝ': "s", 'Ş': "s", 'ş': "s", 'Š': "s", 'š': "s", 'ß': "ss", 'ẞ': "ss", 'ſ': "s",
	'Ţ': "t", 'ţ': "t", 'Ť': "t", 'ť': "t", 'Ŧ': "t", 'ŧ': "t", 'Þ': "th", 'þ': "th",
	'Ù': "u", 'Ú': "u", 'Û': "u", 'Ü': "u", 'Ũ': "u", 'Ū': "u", 'Ŭ': "u", 'Ů': "u", 'Ű': "u", 'Ų': "u",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'Ŵ': "w", 'ŵ': "w",
	'Ý': "y", 'ý': "y", 'ÿ': "y", 'Ÿ': "y", 'Ŷ': "y", 'ŷ': "y",
	'Ź': "z", 'ź': "z", 'Ż': "z", 'ż': "z", 'Ž': "z", 'ž': "z",
	'ﬀ': "ff", 'ﬁ': "fi", 'ﬂ': "fl", 'ﬃ': "ffi", 'ﬄ': "ffl", 'ﬅ': "st", 'ﬆ': "st",
	'\u2018': "'", '\u2019': "'", '\u201A': "'", '\u2032': "'",
	'\u00A0': " ", '\u2007': " ", '\u202F': " ",
	'ς': "σ",
}

// fold returns s lowercased, with accents, ligatures and combining marks
// removed and compatibility forms (full-width letters, ligatures,
// superscripts) replaced by their plain letters, so that "Café", "CAFE",
// "ｃａｆｅ" and "Cafe\u0301" analyse alike; in other scripts too (ș,
// ệ, ά, ё lose their marks). Chinese, Japanese and Korean text is left as
// it is: decomposing Hangul syllables or kana with voicing marks would
// change the characters its bigrams are made of.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
			// A combining mark (NFD text): NFKD + strip marks drops it.
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(unicode.ToLower(r - 0xFF01 + '!'))
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			if f, ok := foldTable[r]; ok {
				b.WriteString(f)
				continue
			}
			if !isCJK(r) {
				var buf [utf8.UTFMax]byte
				n := utf8.EncodeRune(buf[:], r)
				if d := norm.NFKD.Properties(buf[:n]).Decomposition(); d != nil {
					for _, dr := range string(d) {
						if !unicode.Is(unicode.Mn, dr) {
							if f, ok := foldTable[dr]; ok {
								b.WriteString(f)
							} else {
								b.WriteRune(unicode.ToLower(dr))
							}
						}
					}
					continue
				}
			}
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

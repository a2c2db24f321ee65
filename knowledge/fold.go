package knowledge

import (
	"strings"
	"unicode"
)

// foldTable maps precomposed Latin letters, ligatures and a few special
// letters to their ASCII base, the part of Unicode NFKD + mark stripping that
// matters for help-centre text. golang.org/x/text is not a dependency of this
// module, so the table is kept here; combining marks are removed separately
// (see fold), which covers text that arrives already decomposed.
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
	'Ś': "s", 'ś': "s", 'Ŝ': "s", 'ŝ': "s", 'Ş': "s", 'ş': "s", 'Š': "s", 'š': "s", 'ß': "ss", 'ſ': "s",
	'Ţ': "t", 'ţ': "t", 'Ť': "t", 'ť': "t", 'Ŧ': "t", 'ŧ': "t", 'Þ': "th", 'þ': "th",
	'Ù': "u", 'Ú': "u", 'Û': "u", 'Ü': "u", 'Ũ': "u", 'Ū': "u", 'Ŭ': "u", 'Ů': "u", 'Ű': "u", 'Ų': "u",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'Ŵ': "w", 'ŵ': "w",
	'Ý': "y", 'ý': "y", 'ÿ': "y", 'Ÿ': "y", 'Ŷ': "y", 'ŷ': "y",
	'Ź': "z", 'ź': "z", 'Ż': "z", 'ż': "z", 'Ž': "z", 'ž': "z",
	'ﬀ': "ff", 'ﬁ': "fi", 'ﬂ': "fl", 'ﬃ': "ffi", 'ﬄ': "ffl", 'ﬅ': "st", 'ﬆ': "st",
	'\u2018': "'", '\u2019': "'", '\u201A': "'", '\u2032': "'",
	'\u00A0': " ", '\u2007': " ", '\u202F': " ",
}

// fold returns s lowercased, with Latin accents, ligatures and combining
// marks removed and full-width ASCII mapped to ASCII, so that "Café",
// "CAFE" and "ｃａｆｅ" analyse alike.
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
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

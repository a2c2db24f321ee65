package knowledge

import "sync"

// A question for a phone number names it with words the sentence that
// gives it rarely holds: "phone number?" is answered by "Call us on 0161
// 496 0720", whose chunk held neither word, so the confidence of the
// search was under the threshold with the right section found first.
// When a question asks for a phone number, its names for one ("phone",
// "number", "nr") count as found in a chunk that holds one.

// NamesPhone reports whether the folded word names a phone number
// ("phone", "number", "nr").
func NamesPhone(word string) bool { return phoneNames[word] }

var phoneNames = setOf(`phone telephone number nr hotline telefon telefonnummer rufnummer nummer numero telefono
telefone telefoonnummer`)

// AsksPhone reports whether the folded word asks for a phone number
// ("phone", "call", "hotline"): a question must hold one, so that "order
// number" or "number of guests" asks for no phone number. The search and
// the answerer both read questions so.
func AsksPhone(word string) bool { return phoneAsks[word] }

var phoneAsks = setOf(`phone telephone call ring hotline whatsapp telefon telefonnummer rufnummer anrufen
appeler telefono llamar chiamare telefone ligar telefoonnummer bellen`)

// phones records which chunks hold a phone number.
type phones struct {
	once sync.Once
	has  []bool
}

// holdsPhone reports whether the chunk doc holds a phone number.
func (ix *Index) holdsPhone(doc int32) bool {
	p := &ix.phones
	p.once.Do(func() {
		p.has = make([]bool, len(ix.chunks))
		for i, ch := range ix.chunks {
			p.has[i] = HasPhoneNumber(ch.Text)
		}
	})
	return p.has[doc]
}

// HasPhoneNumber reports whether text holds seven or more digits in one
// run, with at most two spaces, brackets, dots, slashes or dashes
// between two of them, nine or more when dots part them ("01.23.45.67.89",
// not the date "12.03.2026"). A clock time breaks the run at its colon:
// "08:00 to 20:00" is no phone number. It reads bytes rather than
// running a regular expression, as it reads every chunk.
func HasPhoneNumber(text string) bool {
	digits, gap, dots := 0, 0, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			digits++
			gap = 0
			if digits >= 9 || digits >= 7 && !dots {
				return true
			}
		case digits > 0 && gap < 2 && (c == ' ' || c == '(' || c == ')' || c == '.' || c == '/' || c == '-'):
			gap++
			dots = dots || c == '.'
		default:
			digits, gap, dots = 0, 0, false
		}
	}
	return false
}

package knowledge

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A question for a phone number, an e-mail address or opening hours
// names it with words the sentence that gives it rarely holds: "phone
// number?" is answered by "Call us on 0161 496 0720", "email address
// for support" by "You can email care@panfresh.co.uk", "chat hours" by
// "Our chat team is available from 8am to 10pm", whose chunks held
// neither "number", "address" nor "hours", so the confidence of the
// search was under the threshold with the right section found first.
// When a question asks for a contact detail, its names for one ("phone",
// "number", "nr"; "email", "address"; "hours", "open", "shut") count as
// found in a chunk that holds one.

// A Contact is a kind of contact detail: how to reach the help centre's
// people, and when.
type Contact int

const (
	Phone Contact = iota // a phone number
	Email                // an e-mail address
	Hours                // opening hours: times of day
	numContacts
)

// contactWords are the folded words that name and ask for each kind, and
// how a text holds one.
var contactWords = [numContacts]struct {
	names, asks map[string]bool
	in          func(text string) bool
}{
	Phone: {
		names: setOf(`phone telephone number nr hotline telefon telefonnummer rufnummer nummer numero telefono
telefone telefoonnummer`),
		asks: setOf(`phone telephone call ring hotline whatsapp telefon telefonnummer rufnummer anrufen
appeler telefono llamar chiamare telefone ligar telefoonnummer bellen`),
		in: HasPhoneNumber,
	},
	Email: {
		names: setOf(`email mail address emailadresse mailadresse adresse courriel correo direccion indirizzo
endereco emailadres mailadres adres`),
		asks: setOf(`email mail courriel correo`),
		in:   HasEmailAddress,
	},
	Hours: {
		names: hoursWords,
		asks:  hoursWords,
		in:    clockTime.MatchString,
	},
}

// hoursWords name opening hours ("chat hours", "what time do you shut"),
// which a time of day gives. Not "time": "what time does the tube start
// running" was read as asking for the opening hours of a help centre
// that gives some, and answered with them.
var hoursWords = setOf(`hours hour open opening opens close closing closes shut
offnungszeiten geoffnet offen erreichbar horaires horaire ouvert ouverts ferme heures
horario horarios abierto abren cierran orari orario aperto aperti aberto abertos
openingstijden geopend bereikbaar`)

// clockTime matches a time of day: "8am", "10 pm", "08:00", "9:00–17:30",
// "7 Uhr", "9h30".
var clockTime = regexp.MustCompile(`(?i)\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|uhr)\b|\b\d{1,2}[:h]\d{2}\b`)

// addressWords make an e-mail word ask for an address ("email address",
// "adresse mail", "email de contacto"); emailAddressWords ask for one on
// their own ("Mailadresse").
var (
	addressWords      = setOf(`address adresse adres direccion endereco indirizzo contact contacto kontakt contatto`)
	emailAddressWords = setOf(`emailadresse mailadresse emailadres mailadres`)
)

// Names reports whether the folded word names a detail of kind c
// ("phone", "number", "nr"; "email", "address"; "hours", "open").
func (c Contact) Names(word string) bool { return contactWords[c].names[word] }

// contactsNamed returns the kinds of contact detail the folded word
// names, a bit each (queryTerm.contacts).
func contactsNamed(word string) uint8 {
	var names uint8
	for c := range numContacts {
		if c.Names(word) {
			names |= 1 << c
		}
	}
	return names
}

// In reports whether text holds a detail of kind c.
func (c Contact) In(text string) bool { return contactWords[c].in(text) }

// AskedIn reports whether the folded words of a question ask for a
// detail of kind c. A phone number is asked for by a word such as
// "phone", "call" or "hotline", so that "order number" or "number of
// guests" asks for none. An e-mail address is asked for by "email" with
// a word for an address ("email address", "adresse mail"), or by an
// e-mail word that ends the question ("whats your support email"):
// "can you scan my post and email it to me" asks for a service, and was
// read as asking for an address. Opening hours are asked for by any of
// their words. The search and the answerer both read questions so.
func (c Contact) AskedIn(words []string) bool {
	asks := contactWords[c].asks
	if c != Email {
		return slices.ContainsFunc(words, func(w string) bool { return asks[w] })
	}
	email, address := false, false
	for _, w := range words {
		email = email || asks[w]
		address = address || addressWords[w] || emailAddressWords[w]
		if emailAddressWords[w] {
			return true
		}
	}
	return email && address || len(words) > 0 && asks[words[len(words)-1]]
}

// contactChunks records which chunks hold each kind of contact detail.
type contactChunks [numContacts]struct {
	once sync.Once
	has  []bool
}

// holdsNamed reports whether the chunk doc holds a contact detail of a
// kind set in the bits of named (queryTerm.contacts).
func (ix *Index) holdsNamed(named uint8, doc int32) bool {
	for c := range numContacts {
		if named&(1<<c) != 0 && ix.holdsContact(c, doc) {
			return true
		}
	}
	return false
}

// holdsContact reports whether the chunk doc holds a detail of kind c.
func (ix *Index) holdsContact(c Contact, doc int32) bool {
	p := &ix.contacts[c]
	p.once.Do(func() {
		p.has = make([]bool, len(ix.chunks))
		for i, ch := range ix.chunks {
			p.has[i] = c.In(ch.Text)
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

// HasEmailAddress reports whether text holds an e-mail address: a run
// of name characters, "@", and a domain with a dot in it.
func HasEmailAddress(text string) bool {
	for i := 1; i < len(text)-1; i++ {
		if text[i] == '@' && emailChar(text[i-1]) && domainAt(text[i+1:]) {
			return true
		}
	}
	return false
}

// domainAt reports whether s begins with a domain: labels of letters,
// digits and hyphens, at least two of them, joined by dots.
func domainAt(s string) bool {
	labels, n := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
			n++
			continue
		}
		if n == 0 {
			break
		}
		labels++
		n = 0
		if i == len(s) || s[i] != '.' {
			break
		}
	}
	return labels >= 2
}

func emailChar(c byte) bool { return isAlnum(c) || strings.IndexByte("._%+-", c) >= 0 }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

package extractive

import (
	"regexp"
	"strconv"

	"github.com/switchboard/switchboard/conversation/grounding"
)

// Ages. People say how old they are ("im 76 can i get an annual
// policy", "meine tochter ist 15") where the articles state a limit
// ("available to travellers aged 74 or under"): the asker's age is in no
// article, and the limit's sentence shares few other words with the
// question, so the reply fell back or quoted a sentence about the policy
// in general. A question that states an age, or asks about one, asks for
// an age limit, as "how much" asks for a price.

// ageVerbs come right before a stated age: "im 17", "my son is 20",
// "ich bin 21", "tiene 70 años", "tem 14 anos", "hij wordt 18".
var ageVerbs = map[string]bool{
	"im": true, "i'm": true, "am": true, "is": true, "aged": true, "turning": true, "turned": true, "turns": true,
	"bin": true, "ist": true, "wird": true, "werde": true,
	"tengo": true, "tiene": true, "cumple": true, "cumplo": true, "compie": true,
	"tenho": true, "tem": true, "ben": true, "wordt": true,
}

// weakAgeVerbs state an age only after a person ("mijn zoon van 15",
// "el pequeño de 14") or before a word for years ("ma fille a 16 ans"):
// "a", "van" and "de" say much else ("a 55 inch tv", "tv van 75 inch").
var weakAgeVerbs = map[string]bool{"a": true, "ai": true, "ha": true, "ho": true, "van": true, "faz": true, "de": true}

// people are who a stated age belongs to, in the six languages.
var people = map[string]bool{
	"son": true, "daughter": true, "kid": true, "child": true, "dad": true, "mum": true, "mom": true, "brother": true,
	"sister": true, "sohn": true, "tochter": true, "kind": true, "vater": true, "mutter": true,
	"fils": true, "fille": true, "enfant": true, "pere": true, "mere": true,
	"hijo": true, "hija": true, "nino": true, "nina": true, "padre": true, "madre": true, "pequeno": true,
	"figlio": true, "figlia": true, "bambino": true, "filho": true, "filha": true, "crianca": true,
	"zoon": true, "dochter": true, "vader": true, "moeder": true,
}

// ageUnits come right after a stated age.
var ageUnits = map[string]bool{
	"yo": true, "jahrig": true, "jahrige": true, "jahriger": true, "jahrigen": true, "jarig": true, "jarige": true,
}

// yearWords, followed by "old" (or "alt", "oud"), or preceded by an age
// verb, make the number before them an age: "my 12 year old", "70 años".
var yearWords = map[string]bool{
	"year": true, "years": true, "yr": true, "yrs": true, "jahre": true, "jahren": true,
	"ans": true, "anos": true, "anni": true, "jaar": true,
}

// statesAge reports whether the folded words of a question state
// someone's age.
func statesAge(words []string) bool {
	for i, w := range words {
		if !ageNumber(w) {
			continue
		}
		var prev, next, after string
		if i > 0 {
			prev = words[i-1]
		}
		if i+1 < len(words) {
			next = words[i+1]
		}
		if i+2 < len(words) {
			after = words[i+2]
		}
		switch {
		case ageUnits[next]:
			return true
		case yearWords[next] && (after == "old" || after == "alt" || after == "oud" || ageVerbs[prev] || weakAgeVerbs[prev]):
			return true
		case ageVerbs[prev] && !measuresElse(next) && !yearWords[next]:
			return true
		case weakAgeVerbs[prev] && i > 1 && people[words[i-2]] && !measuresElse(next):
			return true
		}
	}
	return false
}

// notAge are words after a number that measure something else than an
// age ("im 20 kg over"), besides units of time ("is 15 mins late":
// durationUnits, shortTimeUnits).
var notAge = map[string]bool{
	"kg": true, "kilo": true,
	"kilos": true, "g": true, "cm": true, "mm": true, "m": true, "km": true, "miles": true, "mb": true, "gb": true,
	"euro": true, "euros": true, "eur": true, "pounds": true, "quid": true, "dollars": true, "percent": true,
	"p": true, "k": true, "x": true, "am": true, "pm": true, "uhr": true, "items": true, "people": true,
	"times": true, "of": true, "inch": true, "inches": true, "zoll": true, "pouces": true, "pulgadas": true,
	"pollici": true, "polegadas": true, "out": true, "st": true, "nd": true, "rd": true, "th": true,
}

// measuresElse reports whether the word after a number makes it measure
// something else than an age.
func measuresElse(unit string) bool {
	return notAge[unit] || durationUnits[unit] || shortTimeUnits[unit]
}

// ageNumber reports whether w is a number that could be a person's age.
func ageNumber(w string) bool {
	n, err := strconv.Atoi(w)
	return err == nil && n > 0 && n <= 120 && len(w) <= 3
}

// ageCues mark questions about an age limit.
var ageCues = []string{"age", "ages", "how old", "old enough", "too old", "too young", "underage",
	"alter", "wie alt", "alt genug", "altersgrenze", "mindestalter", "quel age", "edad", "cuantos anos",
	"eta", "quanti anni", "idade", "quantos anos", "leeftijd", "hoe oud"}

// ageWords in a sentence with a number make it state an age limit.
var ageWords = map[string]bool{
	"age": true, "aged": true, "ages": true, "old": true, "older": true, "younger": true, "adult": true,
	"adults": true, "child": true, "children": true, "kids": true, "teen": true, "teens": true,
	"teenager": true, "teenagers": true, "minor": true, "minors": true, "birthday": true,
	"alt": true, "alter": true, "jahre": true, "jahren": true, "kinder": true, "kind": true, "erwachsene": true,
	"jugendliche": true, "minderjahrige": true, "volljahrig": true,
	"ans": true, "agee": true, "agees": true, "enfant": true, "enfants": true, "mineur": true, "mineurs": true,
	"adulte": true, "adultes": true, "majeur": true, "majeurs": true,
	"anos": true, "edad": true, "nino": true, "ninos": true, "menor": true, "menores": true, "mayores": true,
	"adulto": true, "adultos": true,
	"anni": true, "eta": true, "bambini": true, "bambino": true, "minore": true, "minori": true, "maggiorenne": true,
	"idade": true, "crianca": true, "criancas": true,
	"jaar": true, "leeftijd": true, "kinderen": true, "volwassenen": true, "minderjarig": true,
	"minderjarigen": true, "jongeren": true,
}

// ageLimit matches a limit stated without an age word: "18 or over",
// "16 and older", "18+".
var ageLimit = regexp.MustCompile(`(?i)\b\d{1,2}(?:\+|\s+(?:or|and)\s+(?:over|older|above|under|younger)\b)`)

// statesAgeLimit reports whether text states an age, as the articles
// state limits: a number a person's age could be, with a word for an age
// or for people of one ("aged", "children", "Jahre"), or "18+".
func statesAgeLimit(text string) bool {
	if ageLimit.MatchString(text) {
		return true
	}
	number, word := false, false
	for _, w := range grounding.Words(text) {
		number = number || ageNumber(w)
		word = word || ageWords[w]
	}
	return number && word
}

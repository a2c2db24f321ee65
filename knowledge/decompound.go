package knowledge

import "strings"

// German writes compounds as one word that questions write apart, and
// the other way round: an article's "Versandkosten" is asked about as
// "was kostet der Versand", a question's "Retourenpaket" is a "Paket"
// for a "Retoure" in the article. A German chunk's compound term is
// indexed with its two parts as well, when both are terms of the German
// chunks; a question's compound the index lacks is searched as its
// parts.

// compoundMin is the fewest letters of a compound part: shorter stems
// ("tag", "arm") make false splits.
const compoundMin = 4

// linking are the letters German puts between the parts of a compound
// ("Lieferungs|zeit", "Retouren|paket"), longest first.
var linking = []string{"es", "en", "s", "n", "e", ""}

// splitCompound returns the two parts of the German term t when it is
// a compound of terms has holds, longer right part first; nil otherwise.
func splitCompound(t string, has func(string) bool) []string {
	return split(t, func(left, right string) bool { return has(left) && has(right) })
}

// split returns the first two parts of t, longer right part first, that
// both (each at least compoundMin letters, the linking letters cut from
// the left) accepts; nil when none.
func split(t string, both func(left, right string) bool) []string {
	if len(t) < 2*compoundMin {
		return nil
	}
	for i := compoundMin; i <= len(t)-compoundMin; i++ {
		left, right := t[:i], t[i:]
		for _, l := range linking {
			if stem, ok := strings.CutSuffix(left, l); ok && len(stem) >= compoundMin && both(stem, right) {
				return []string{stem, right}
			}
		}
	}
	return nil
}

// splitCompounds adds to each German chunk of analysed the parts of its
// compound terms.
func splitCompounds(analysed []chunkTerms) {
	vocab := make(map[string]bool)
	german := false
	for i := range analysed {
		if analysed[i].lang != langGerman {
			continue
		}
		german = true
		for _, ts := range analysed[i].fields {
			for _, t := range ts {
				vocab[t] = true
			}
		}
	}
	if !german {
		return
	}
	has := func(t string) bool { return vocab[t] }
	parts := make(map[string][]string)
	for i := range analysed {
		at := &analysed[i]
		if at.lang != langGerman {
			continue
		}
		for f, ts := range at.fields {
			for _, t := range ts {
				p, ok := parts[t]
				if !ok {
					p = splitCompound(t, has)
					parts[t] = p
				}
				at.fields[f] = append(at.fields[f], p...)
			}
		}
	}
}

// germanCompound returns the parts of the folded question word when the
// knowledge is German and the word a compound of its terms, or of one of
// them and a word it lacks; nil otherwise. English knowledge is left
// alone: "homework" is no "home" and "work".
func (ix *Index) germanCompound(word string) []string {
	if ix.Language() != "de" {
		return nil
	}
	t := langGerman.stem(word)
	if parts := splitCompound(t, ix.holdsTerm); parts != nil {
		return parts
	}
	// A compound one of whose longer parts the knowledge holds is
	// searched as its parts too: "Telefonnummer" for the "Telefon" of
	// "Kundenservice-Telefon", where no "Nummer" is written. The part the
	// knowledge lacks counts against the confidence, as the whole word
	// did; searched whole, it found nothing.
	known := func(p string) bool { return len(p) > compoundMin && ix.holdsTerm(p) }
	return split(t, func(left, right string) bool { return known(left) || known(right) })
}

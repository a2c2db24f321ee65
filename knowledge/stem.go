package knowledge

// This file implements the English (Porter2) stemmer of the Snowball project,
// as described at snowballstem.org/algorithms/english/stemmer.html. It works
// on lowercase ASCII words; anything else is returned unchanged.

// stemExceptions are whole words with an irregular stem (or none).
var stemExceptions = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
	"sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

// stemInvariantAfter1a are left alone once step 1a has run.
var stemInvariantAfter1a = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true, "earring": true,
	"proceed": true, "exceed": true, "succeed": true,
}

// stem returns the Porter2 stem of the lowercase word w.
func stem(w string) string {
	if len(w) <= 2 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && c != '\'' {
			return w
		}
	}
	if s, ok := stemExceptions[w]; ok {
		return s
	}
	b := []byte(w)
	if b[0] == '\'' {
		b = b[1:]
	}
	if len(b) <= 2 {
		return string(b)
	}
	// Mark consonant y: initial, or after a vowel.
	for i := range b {
		if b[i] == 'y' && (i == 0 || isVowel(b[i-1])) {
			b[i] = 'Y'
		}
	}
	s := &stemmer{b: b}
	s.regions()
	s.step0()
	s.step1a()
	if stemInvariantAfter1a[string(s.b)] {
		return string(s.b)
	}
	s.step1b()
	s.step1c()
	s.step2()
	s.step3()
	s.step4()
	s.step5()
	for i := range s.b {
		if s.b[i] == 'Y' {
			s.b[i] = 'y'
		}
	}
	return string(s.b)
}

type stemmer struct {
	b      []byte
	r1, r2 int // start of the regions R1 and R2; len(b) when empty
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// regionAfter returns the index after the first non-vowel that follows a
// vowel at or after start.
func (s *stemmer) regionAfter(start int) int {
	for i := start + 1; i < len(s.b); i++ {
		if !isVowel(s.b[i]) && isVowel(s.b[i-1]) {
			return i + 1
		}
	}
	return len(s.b)
}

func (s *stemmer) regions() {
	w := string(s.b)
	switch {
	case hasPrefix(w, "gener"), hasPrefix(w, "arsen"):
		s.r1 = 5
	case hasPrefix(w, "commun"):
		s.r1 = 6
	default:
		s.r1 = s.regionAfter(0)
	}
	s.r2 = s.regionAfter(s.r1)
	if s.r1 > len(s.b) {
		s.r1 = len(s.b)
	}
	if s.r2 > len(s.b) {
		s.r2 = len(s.b)
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func (s *stemmer) hasSuffix(suf string) bool {
	return len(s.b) >= len(suf) && string(s.b[len(s.b)-len(suf):]) == suf
}

// longest returns the longest of sufs that ends the word, or "".
func (s *stemmer) longest(sufs ...string) string {
	best := ""
	for _, suf := range sufs {
		if len(suf) > len(best) && s.hasSuffix(suf) {
			best = suf
		}
	}
	return best
}

func (s *stemmer) inR1(suf string) bool { return len(s.b)-len(suf) >= s.r1 }
func (s *stemmer) inR2(suf string) bool { return len(s.b)-len(suf) >= s.r2 }

func (s *stemmer) replace(suf, with string) {
	s.b = append(s.b[:len(s.b)-len(suf)], with...)
}

// containsVowel reports whether b[:end] has a vowel.
func (s *stemmer) containsVowel(end int) bool {
	for i := 0; i < end; i++ {
		if isVowel(s.b[i]) {
			return true
		}
	}
	return false
}

// endsShortSyllable reports whether the word ends in a short syllable: a
// vowel followed by a non-vowel other than w, x or Y and preceded by a
// non-vowel, or a vowel at the start of the word followed by a non-vowel.
func (s *stemmer) endsShortSyllable() bool {
	n := len(s.b)
	if n == 2 {
		return isVowel(s.b[0]) && !isVowel(s.b[1])
	}
	if n >= 3 {
		c := s.b[n-1]
		return !isVowel(s.b[n-3]) && isVowel(s.b[n-2]) && !isVowel(c) && c != 'w' && c != 'x' && c != 'Y'
	}
	return false
}

func (s *stemmer) isShort() bool { return s.r1 >= len(s.b) && s.endsShortSyllable() }

func (s *stemmer) step0() {
	if suf := s.longest("'", "'s", "'s'"); suf != "" {
		s.replace(suf, "")
	}
}

func (s *stemmer) step1a() {
	switch suf := s.longest("sses", "ied", "ies", "s", "us", "ss"); suf {
	case "sses":
		s.replace(suf, "ss")
	case "ied", "ies":
		if len(s.b)-len(suf) > 1 {
			s.replace(suf, "i")
		} else {
			s.replace(suf, "ie")
		}
	case "s":
		// Delete if the part before has a vowel not just before the s.
		if s.containsVowel(len(s.b) - 2) {
			s.replace(suf, "")
		}
	}
}

func (s *stemmer) step1b() {
	switch suf := s.longest("eed", "eedly", "ed", "edly", "ing", "ingly"); suf {
	case "eed", "eedly":
		if s.inR1(suf) {
			s.replace(suf, "ee")
		}
	case "ed", "edly", "ing", "ingly":
		if !s.containsVowel(len(s.b) - len(suf)) {
			return
		}
		s.replace(suf, "")
		switch {
		case s.hasSuffix("at"), s.hasSuffix("bl"), s.hasSuffix("iz"):
			s.b = append(s.b, 'e')
		case s.endsDouble():
			s.b = s.b[:len(s.b)-1]
		case s.isShort():
			s.b = append(s.b, 'e')
		}
	}
}

func (s *stemmer) endsDouble() bool {
	n := len(s.b)
	if n < 2 || s.b[n-1] != s.b[n-2] {
		return false
	}
	switch s.b[n-1] {
	case 'b', 'd', 'f', 'g', 'm', 'n', 'p', 'r', 't':
		return true
	}
	return false
}

func (s *stemmer) step1c() {
	n := len(s.b)
	if n > 2 && (s.b[n-1] == 'y' || s.b[n-1] == 'Y') && !isVowel(s.b[n-2]) {
		s.b[n-1] = 'i'
	}
}

var step2Suffixes = map[string]string{
	"tional": "tion", "enci": "ence", "anci": "ance", "abli": "able", "entli": "ent",
	"izer": "ize", "ization": "ize", "ational": "ate", "ation": "ate", "ator": "ate",
	"alism": "al", "aliti": "al", "alli": "al", "fulness": "ful", "ousli": "ous",
	"ousness": "ous", "iveness": "ive", "iviti": "ive", "biliti": "ble", "bli": "ble",
	"ogi": "og", "fulli": "ful", "lessli": "less", "li": "",
}

var step2List = keys(step2Suffixes)

func (s *stemmer) step2() {
	suf := s.longest(step2List...)
	if suf == "" || !s.inR1(suf) {
		return
	}
	switch suf {
	case "ogi":
		if len(s.b) < 4 || s.b[len(s.b)-4] != 'l' {
			return
		}
	case "li":
		if len(s.b) < 3 || !validLiEnding(s.b[len(s.b)-3]) {
			return
		}
	}
	s.replace(suf, step2Suffixes[suf])
}

func validLiEnding(c byte) bool {
	switch c {
	case 'c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't':
		return true
	}
	return false
}

var step3Suffixes = map[string]string{
	"tional": "tion", "ational": "ate", "alize": "al", "icate": "ic", "iciti": "ic",
	"ical": "ic", "ful": "", "ness": "", "ative": "",
}

var step3List = keys(step3Suffixes)

func (s *stemmer) step3() {
	suf := s.longest(step3List...)
	if suf == "" || !s.inR1(suf) {
		return
	}
	if suf == "ative" && !s.inR2(suf) {
		return
	}
	s.replace(suf, step3Suffixes[suf])
}

var step4List = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment",
	"ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion",
}

func (s *stemmer) step4() {
	suf := s.longest(step4List...)
	if suf == "" || !s.inR2(suf) {
		return
	}
	if suf == "ion" {
		n := len(s.b) - len(suf)
		if n == 0 || (s.b[n-1] != 's' && s.b[n-1] != 't') {
			return
		}
	}
	s.replace(suf, "")
}

func (s *stemmer) step5() {
	n := len(s.b)
	if n == 0 {
		return
	}
	switch s.b[n-1] {
	case 'e':
		if s.inR2("e") {
			s.b = s.b[:n-1]
			return
		}
		if s.inR1("e") {
			s.b = s.b[:n-1]
			if s.endsShortSyllable() {
				s.b = append(s.b, 'e') // preceded by a short syllable: keep it
			}
		}
	case 'l':
		if s.inR2("l") && n >= 2 && s.b[n-2] == 'l' {
			s.b = s.b[:n-1]
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

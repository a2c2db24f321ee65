package grounding

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard/switchboard/knowledge"
)

// MaxTextBytes bounds the text the functions of this file look at; longer
// input is cut (at a rune boundary), so that a hostile message or article
// costs bounded time.
const MaxTextBytes = 64 << 10

// clip returns s cut to at most MaxTextBytes, at a rune boundary.
func clip(s string) string {
	if len(s) <= MaxTextBytes {
		return s
	}
	i := MaxTextBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// Sentences splits text into sentences. It understands the Markdown of
// help-centre articles: every non-empty line is a sentence boundary,
// heading and list markers and emphasis are removed, links keep their text,
// and a table row becomes "cell: cell, cell" (separator rows vanish).
// Within a line it splits after '.', '!' or '?' followed by a space and
// not part of an abbreviation ("e.g.") or a number ("€9.99").
// Headings are returned too; use Lines for the line kinds.
func Sentences(text string) []string {
	var out []string
	for _, l := range Lines(text) {
		out = append(out, l.Sentences...)
	}
	return out
}

// A Line is one line of Markdown text with its sentences.
type Line struct {
	Heading   bool     // the line was a "#" heading
	ListIntro bool     // the line's last sentence ends with ':' (a list or table follows), or a table follows it
	Item      bool     // the line was a list item ("- ", "* ", "1. ") or a table row
	Numbered  bool     // the line was a numbered list item ("1. ", "2) "): a step
	Header    bool     // the line was a table's header row (also an Item)
	Code      bool     // the line is one of a code block (also an Item), kept as written
	CodeStart bool     // the first line of a code block: the block before it, right above, is another
	Intro     int      // for an item: the index of its ListIntro line; -1 when none
	Sentences []string // cleaned sentences, at least one
	// Context is text the line depends on without repeating it: for a
	// table row, the table's header row; for a list item, its intro.
	Context string
}

// Lines splits text into cleaned Markdown lines; see Sentences.
func Lines(text string) []Line {
	var out []Line
	var header []string // cells of the current table's header row
	intro := -1         // index in out of the ListIntro line the current list follows
	code := false       // inside a code block (knowledge.CodeFence)
	start := false      // the next line of code starts its block
	for _, raw := range strings.Split(clip(text), "\n") {
		if strings.TrimSpace(raw) == knowledge.CodeFence {
			code = !code
			start = code
			continue
		}
		if code {
			// A line of code is one "sentence", as written: its
			// indentation and dots ("api.example.com") are code.
			if raw = strings.TrimRight(raw, " \t"); strings.TrimSpace(raw) != "" {
				l := codeLine(raw, intro, out)
				l.CodeStart, start = start, false
				out = append(out, l)
			}
			continue
		}
		raw = strings.TrimSpace(raw)
		if !strings.HasPrefix(raw, "|") {
			header = nil
		}
		if raw == "" {
			continue
		}
		heading, item, numbered, isHeader := false, false, false, false
		context := ""
		switch {
		case strings.HasPrefix(raw, "|"):
			cells := TableCells(raw)
			if len(cells) == 0 {
				continue // a separator row
			}
			item = true
			if header == nil {
				isHeader = true
				header = cells
				raw = joinCells(cells)
				if prev := len(out) - 1; intro < 0 && prev >= 0 && !out[prev].Item && !out[prev].Heading {
					// The paragraph right before a table introduces it
					// ("Every locker has three compartment sizes."), as
					// one ending with ':' does.
					out[prev].ListIntro, intro = true, prev
				}
				break
			}
			raw = tableRow(header, cells)
			context = joinCells(header)
		case strings.HasPrefix(raw, "#"):
			heading = true
			raw = strings.TrimLeft(raw, "#")
		default:
			stripped := stripListMarker(raw)
			item = stripped != raw
			numbered = item && raw[0] >= '0' && raw[0] <= '9'
			raw = stripped
		}
		clean := strings.TrimSpace(stripInline(raw))
		if clean == "" {
			continue
		}
		var ss []string
		if heading {
			ss = []string{clean}
		} else {
			ss = splitSentences(clean)
		}
		if len(ss) == 0 {
			continue
		}
		l := Line{
			Heading:   heading,
			ListIntro: strings.HasSuffix(ss[len(ss)-1], ":"),
			Item:      item,
			Numbered:  numbered,
			Header:    isHeader,
			Intro:     -1,
			Sentences: ss,
			Context:   stripInline(context),
		}
		switch {
		case item && intro >= 0:
			l.Intro = intro
			introText := out[intro].Sentences[len(out[intro].Sentences)-1]
			l.Context = strings.TrimSpace(introText + " " + l.Context)
		case !item:
			intro = -1
		}
		if l.ListIntro {
			intro = len(out)
		}
		out = append(out, l)
	}
	return out
}

// codeLine is a Line of a code block, an item of the list intro
// (index into out) when there is one ("Send the key as a bearer token:").
func codeLine(raw string, intro int, out []Line) Line {
	l := Line{Item: true, Code: true, Intro: -1, Sentences: []string{raw}}
	if intro >= 0 {
		l.Intro = intro
		l.Context = out[intro].Sentences[len(out[intro].Sentences)-1]
	}
	return l
}

// TableCells returns the cells of a Markdown table row, an escaped pipe
// ("\\|") a pipe in its cell; none for a separator row ("|---|:--:|").
func TableCells(l string) []string {
	// Only the outer pipes go: an empty first header cell ("| | Normal
	// price |") is a column too.
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(l, "|")
	l = strings.TrimSuffix(l, "|")
	var cells []string
	sep := true
	for _, c := range splitCells(l) {
		c = strings.TrimSpace(c)
		if strings.Trim(c, "-: ") != "" {
			sep = false
		}
		cells = append(cells, c)
	}
	if sep {
		return nil
	}
	return cells
}

// splitCells splits a row's text at its pipes, except escaped ones
// ("\\|"), which stay in the cell as plain pipes.
func splitCells(l string) []string {
	if !strings.Contains(l, `\|`) {
		return strings.Split(l, "|")
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '\\' && i+1 < len(l) && l[i+1] == '|':
			cur.WriteByte('|')
			i++
		case l[i] == '|':
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(l[i])
		}
	}
	return append(cells, cur.String())
}

// joinCells joins the non-empty cells of a row with commas.
func joinCells(cells []string) string {
	var kept []string
	for _, c := range cells {
		if c != "" {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, ", ")
}

// tableRow renders a table row as a sentence: "PayPal: within 3 business
// days" for two columns, the value named by its column when it has no
// words to say what it is ("Scotland: Public holidays 9", not
// "Scotland: 9"); with more, each value is named by its column ("Plus:
// Monthly price €9.99, Yearly price €99.90, ...").
func tableRow(header, cells []string) string {
	switch {
	case len(cells) == 1:
		return cells[0]
	case len(cells) == 2:
		if len(header) == 2 && header[1] != "" && !hasWord(cells[1]) {
			return cells[0] + ": " + header[1] + " " + cells[1]
		}
		return cells[0] + ": " + cells[1]
	}
	// Values in words are named with a colon, one from the next by a
	// semicolon: "BP-101: Meaning Session expired, What to do Sign in
	// again" ran together.
	worded := false
	for _, c := range cells[1:] {
		worded = worded || hasWord(c)
	}
	name, sep := " ", ", "
	if worded {
		name, sep = ": ", "; "
	}
	parts := make([]string, 0, len(cells)-1)
	for i, c := range cells[1:] {
		if c == "" {
			continue
		}
		if i+1 < len(header) && header[i+1] != "" && !hasPrefixFold(c, header[i+1]) {
			c = header[i+1] + name + c // "Zone 2" is not "Zone Zone 2"
		}
		parts = append(parts, c)
	}
	return cells[0] + ": " + strings.Join(parts, sep)
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// alnumRuns splits a word of letters and digits at each change between
// them ("wm7140": "wm", "7140"); it returns nil for a word of one kind.
func alnumRuns(w string) []string {
	var out []string
	start, digit := 0, false
	for i, r := range w {
		d := unicode.IsDigit(r)
		if i > 0 && d != digit {
			out = append(out, w[start:i])
			start = i
		}
		digit = d
	}
	if len(out) == 0 {
		return nil
	}
	return append(out, w[start:])
}

// hasWord reports whether s has a run of three letters: "within 3 days"
// does, "9", "£4.99" and "2 x 30 min" do not.
func hasWord(s string) bool {
	run := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if run++; run >= 3 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// markdownEscapable are the characters a backslash escapes in Markdown.
const markdownEscapable = "\\`*_{}[]()#+-.!|<>"

// stripListMarker removes a leading "-", "*", "+", ">" or "1." marker.
func stripListMarker(l string) string {
	for {
		t := strings.TrimLeft(l, " \t")
		switch {
		case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), strings.HasPrefix(t, "+ "), strings.HasPrefix(t, "> "):
			l = t[2:]
			continue
		}
		i := 0
		for i < len(t) && i < 4 && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
			return t[i+2:]
		}
		return t
	}
}

// stripInline removes emphasis and code markers and turns [text](url)
// into text. The text of a code span is kept as it is ("`pp_test_`"
// stays "pp_test_"), a backslash-escaped character as the character
// (`\*` is "*"), and a footnote mark as the mark ("Australia*": an
// asterisk after a word with no emphasis open).
func stripInline(s string) string {
	if !strings.ContainsAny(s, "*_`[\\") {
		return s
	}
	var b strings.Builder
	code := false               // inside a `code span`, whose text is kept as it is
	italic := false             // an emphasis asterisk is open
	ident, identEnd := false, 0 // whether the word before identEnd is an identifier
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '`' {
			code = !code
			continue
		}
		if code {
			b.WriteByte(c)
			continue
		}
		switch c {
		case '\\':
			if i+1 < len(s) && strings.IndexByte(markdownEscapable, s[i+1]) >= 0 {
				i++
				b.WriteByte(s[i])
				continue
			}
			b.WriteByte(c)
			continue
		case '*':
			prevWord := i > 0 && isWordByte(s[i-1])
			nextWord := i+1 < len(s) && isWordByte(s[i+1])
			switch {
			case i+1 < len(s) && s[i+1] == '*':
				i++ // bold
			case !prevWord && nextWord:
				italic = true
			case prevWord && !nextWord && !italic,
				prevWord && nextWord && !italic:
				b.WriteByte(c) // a footnote mark ("Australia*") or a grade ("A*AA")
			case !prevWord && !nextWord && (i+1 == len(s) || s[i+1] == ' ') && (i == 0 || s[i-1] == ' '):
				b.WriteByte(c) // no emphasis between spaces: "marked * in the table"
			default:
				italic = false
			}
			continue
		case '_':
			// Only emphasis underscores: at a word edge, and not in an
			// identifier ("pp_test_", "snake_case").
			prevWord := i > 0 && isWordByte(s[i-1])
			nextWord := i+1 < len(s) && isWordByte(s[i+1])
			if i >= identEnd {
				// Once per word, so that a long run of underscores costs
				// linear time.
				ident, identEnd = identifier(s, i)
			}
			if prevWord && nextWord || ident {
				b.WriteByte(c)
			}
			continue
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end > 0 && i+end+1 < len(s) && s[i+end+1] == '(' {
				if close := strings.IndexByte(s[i+end+1:], ')'); close > 0 {
					b.WriteString(s[i+1 : i+end])
					i = i + end + 1 + close
					continue
				}
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// identifier reports whether the word around s[i] (up to spaces) has an
// underscore between two word characters, as a name in code has, and
// returns the index where the word ends.
func identifier(s string, i int) (bool, int) {
	start, end := i, i
	for start > 0 && s[start-1] != ' ' {
		start--
	}
	for end < len(s) && s[end] != ' ' {
		end++
	}
	w := s[start:end]
	for k := 1; k+1 < len(w); k++ {
		if w[k] == '_' && isWordByte(w[k-1]) && isWordByte(w[k+1]) {
			return true, end
		}
	}
	return false, end
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// abbreviations end with a '.' that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "no": true, "approx": true, "incl": true, "excl": true, "min": true, "max": true,
	"st": true, "ca": true, "cf": true, "fig": true, "p": true, "pp": true, "nr": true,
}

// splitSentences splits one cleaned line into sentences.
func splitSentences(l string) []string {
	var out []string
	start := 0
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		// Swallow runs like "?!" and closing quotes or brackets.
		j := i + 1
		for j < len(l) && strings.IndexByte(".!?\"')]", l[j]) >= 0 {
			j++
		}
		if j < len(l) && l[j] != ' ' {
			i = j - 1
			continue
		}
		if c == '.' && isAbbreviation(l[start:i]) {
			continue
		}
		// The next sentence should start with something sentence-like,
		// inside a bracket or quote too: "24.94% p.a. (variable), your
		// rate is…" goes on.
		k := j
		for k < len(l) && strings.IndexByte(" (\"'[", l[k]) >= 0 {
			k++
		}
		if k < len(l) {
			r, _ := utf8.DecodeRuneInString(l[k:])
			if unicode.IsLower(r) {
				continue
			}
		}
		if s := strings.TrimSpace(l[start:j]); s != "" {
			out = append(out, s)
		}
		start = j
		i = j - 1
	}
	if s := strings.TrimSpace(l[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether text (up to a '.') ends with a known
// abbreviation or a single letter ("U.S").
func isAbbreviation(text string) bool {
	k := strings.LastIndexAny(text, " (")
	w := strings.ToLower(text[k+1:])
	if abbreviations[w] {
		return true
	}
	return len(w) == 1 && w[0] >= 'a' && w[0] <= 'z'
}

// Words returns the lowercase words of s (letters, digits, apostrophes
// inside words), in order, with accents folded for common Latin letters.
func Words(s string) []string {
	s = clip(s)
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, strings.Trim(b.String(), "'"))
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '\'' || r == '\u2019':
			if b.Len() > 0 {
				b.WriteByte('\'')
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteString(foldRune(r))
		default:
			flush()
		}
	}
	flush()
	// Trimming a trailing apostrophe may leave an empty word.
	n := 0
	for _, w := range out {
		if w != "" {
			out[n] = w
			n++
		}
	}
	return out[:n]
}

// foldRune lowercases r and strips the accent of common Latin letters.
func foldRune(r rune) string {
	r = unicode.ToLower(r)
	if r < 0x80 {
		return string(r)
	}
	if f, ok := fold[r]; ok {
		return f
	}
	return string(r)
}

var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}

// Terms returns the content terms of s: its words without stop words (of
// English, and those knowledge tells German, French and Spanish by),
// stemmed, in order (with repeats). Numbers are kept as terms. "e-mail"
// is one term, "email", and a few words that mean the same as a more
// common one are replaced by it ("annual" by "year").
func Terms(s string) []string { return TermsIn(s, "en") }

// TermsIn is Terms for text in the language lang (a code
// knowledge.LanguageOf returns): words of a language other than English
// are stemmed as the knowledge index stems them (knowledge.Term), so that
// "Fahrräder" meets "Fahrrad" and "reservieren" "reserviert", which
// English's light stemming leaves apart.
func TermsIn(s, lang string) []string {
	stem := Stem
	if lang != "" && lang != "en" {
		stem = func(w string) string { return knowledge.Term(lang, w) }
	}
	words := Words(s)
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := strings.TrimSuffix(words[i], "'s")
		if w == "e" && i+1 < len(words) && strings.HasPrefix(words[i+1], "mail") {
			// "e-mail" and "email" are one word.
			i++
			w = "e" + words[i]
		}
		if s, ok := synonyms[w]; ok {
			w = s
		}
		if parts := alnumRuns(w); parts != nil {
			// "wm7140" is "WM-7140" (words split at hyphens).
			for _, p := range parts {
				if !stopWords[p] && len(p) >= 2 || IsDigits(p) {
					out = append(out, Stem(p))
				}
			}
			continue
		}
		// German, French and Spanish function words are no content
		// either: counted, "wie kann ich mein E-Rezept einlösen" was
		// about "wie", "kann" and "ich" as much as the prescription.
		if stopWords[w] || knowledge.IsStopWord(w) || len(w) < 2 && !IsDigits(w) {
			continue
		}
		if t := stem(w); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// TermSet returns the distinct content terms of s.
func TermSet(s string) map[string]bool { return TermSetIn(s, "en") }

// TermSetIn returns the distinct content terms of s in the language lang
// (TermsIn).
func TermSetIn(s, lang string) map[string]bool {
	set := make(map[string]bool)
	for _, t := range TermsIn(s, lang) {
		set[t] = true
	}
	return set
}

// IsDigits reports whether w is a run of ASCII digits.
func IsDigits(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// Stem reduces an English word to a light stem, so that "refunds",
// "refunded" and "refunding" meet: plural and verb endings are removed,
// nothing more aggressive (a question and an article use the same
// vocabulary far more often than derived forms).
func Stem(w string) string {
	if len(w) <= 3 || IsDigits(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		return undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) > 4 && !strings.HasSuffix(w, "eed"):
		return undouble(w[:len(w)-2])
	case strings.HasSuffix(w, "ed") && len(w) == 4 && w[1] != 'e':
		return w[:3] // used, owed, aged
	case strings.HasSuffix(w, "es") && len(w) > 4 && strings.ContainsRune("sxz", rune(w[len(w)-3])):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "es") && len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return Stem(w[:len(w)-1])
	case strings.HasSuffix(w, "ly") && len(w) >= 6:
		return trimE(w[:len(w)-2]) // yearly, monthly
	case strings.HasSuffix(w, "ment") && len(w) > 6:
		return trimE(w[:len(w)-4]) // payment
	case strings.HasSuffix(w, "al") && len(w) > 6 && !strings.HasSuffix(w, "ial"):
		return trimE(w[:len(w)-2]) // renewal, approval
	}
	return trimE(w)
}

// trimE drops a final silent 'e' so that "charge" and "charging" meet.
func trimE(w string) string {
	if len(w) > 4 && w[len(w)-1] == 'e' && !strings.HasSuffix(w, "ee") {
		return w[:len(w)-1]
	}
	return w
}

// undouble turns "cancell" into "cancel" and "stopp" into "stop".
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && strings.IndexByte("bdgklmnprt", w[n-1]) >= 0 {
		return w[:n-1]
	}
	return trimE(w)
}

// synonyms maps words to the more common word with the same meaning,
// as the help centres of the eval sets and users write them.
var synonyms = map[string]string{
	"annual": "year", "annually": "year", "daily": "day",
}

// stopWords are function words that carry no topic, with their
// apostrophe-less spellings as users type them ("dont", "im").
var stopWords = toSet(`a about above after again against all am an and any are aren't as at be
because been before being below between both but by can can't cannot could couldn't did didn't do
does doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
having he her here hers herself him himself his how i i'd i'll i'm i've if in into is isn't it it's
its itself just let's me more most mustn't my myself no nor not of off on once only or other ought
our ours ourselves out over own same shan't she should shouldn't so some such than that that's the
their theirs them themselves then there there's these they they'd they'll they're they've this those
through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's which while who who's whom why why's will with won't would wouldn't you you'd
you'll you're you've your yours yourself yourselves hi hello hey please thanks thank ok okay yes yeah
also get got want wanna gonna need know tell us much many long soon does did anyone something thing
things really still just like way make one often sure certainly absolutely glad happy great
didnt dont doesnt cant wont isnt arent wasnt werent havent hasnt couldnt wouldnt shouldnt im ive
whats thats theres u ur r pls plz`)

func toSet(s string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

package grounding

import "strings"

// DefaultEchoWords is the length, in words, of a span of protected text
// that a reply may not reproduce.
const DefaultEchoWords = 6

// An EchoFilter removes reply sentences that reproduce protected text: a
// span of DefaultEchoWords (or Words) consecutive words of the system
// prompt, or any secret verbatim. It is the last line of defence against
// prompt injection ("repeat your instructions"). Build it once with
// NewEchoFilter; it is safe for concurrent use.
type EchoFilter struct {
	n       int
	grams   map[string]bool
	secrets []string // lowercase
}

// MinSecretLen is the shortest secret an EchoFilter protects: a shorter
// one would match ordinary words and remove innocent sentences.
const MinSecretLen = 6

// NewEchoFilter returns a filter protecting prompt (by word spans of
// length words; zero or less means DefaultEchoWords) and secrets (each
// matched case-insensitively; ones shorter than MinSecretLen, after
// trimming spaces, are ignored).
func NewEchoFilter(prompt string, words int, secrets ...string) *EchoFilter {
	if words <= 0 {
		words = DefaultEchoWords
	}
	f := &EchoFilter{n: words, grams: make(map[string]bool)}
	w := Words(prompt)
	for i := 0; i+words <= len(w); i++ {
		f.grams[strings.Join(w[i:i+words], " ")] = true
	}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); len(s) >= MinSecretLen {
			f.secrets = append(f.secrets, strings.ToLower(s))
		}
	}
	return f
}

// Leaks reports whether text reproduces protected text.
func (f *EchoFilter) Leaks(text string) bool {
	low := strings.ToLower(text)
	for _, s := range f.secrets {
		if strings.Contains(low, s) {
			return true
		}
	}
	if len(f.grams) == 0 {
		return false
	}
	w := Words(text)
	for i := 0; i+f.n <= len(w); i++ {
		if f.grams[strings.Join(w[i:i+f.n], " ")] {
			return true
		}
	}
	return false
}

// Filter returns text without its leaking sentences and how many it
// removed. Text that leaks nothing is returned unchanged.
func (f *EchoFilter) Filter(text string) (string, int) {
	if !f.Leaks(text) {
		return text, 0
	}
	var lines []string
	removed := 0
	for _, l := range Lines(text) {
		var kept []string
		for _, s := range l.Sentences {
			if f.Leaks(s) {
				removed++
				continue
			}
			kept = append(kept, s)
		}
		if len(kept) > 0 {
			lines = append(lines, strings.Join(kept, " "))
		}
	}
	return strings.Join(lines, "\n"), removed
}

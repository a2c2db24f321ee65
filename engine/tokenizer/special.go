package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A matchEntry is one added token to find in text.
type matchEntry struct {
	text  string
	id    int
	strip stripRule
}

// A matcher finds added tokens in text, leftmost first and longest first
// among those starting at the same place (as Hugging Face's added
// vocabulary does).
type matcher struct {
	byFirst [256][]matchEntry // by first byte, longest first
	n       int
}

func newMatcher(entries []matchEntry) *matcher {
	m := &matcher{n: len(entries)}
	for _, e := range entries {
		m.byFirst[e.text[0]] = append(m.byFirst[e.text[0]], e)
	}
	for _, list := range m.byFirst {
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].text) > len(list[j].text) })
	}
	return m
}

// split calls fn for each piece of text in order: plain text with id -1
// (never empty), or a matched token with its id.
func (m *matcher) split(text string, fn func(frag string, id int)) {
	if m == nil || m.n == 0 {
		if text != "" {
			fn(text, -1)
		}
		return
	}
	start := 0 // start of pending plain text
	for i := 0; i < len(text); {
		e, ok := m.at(text, i)
		if !ok {
			i++
			continue
		}
		plain := text[start:i]
		if e.strip.left {
			plain = strings.TrimRightFunc(plain, unicode.IsSpace)
		}
		if plain != "" {
			fn(plain, -1)
		}
		fn(e.text, e.id)
		i += len(e.text)
		if e.strip.right {
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += size
			}
		}
		start = i
	}
	if start < len(text) {
		fn(text[start:], -1)
	}
}

// at returns the longest entry that text has at byte offset i.
func (m *matcher) at(text string, i int) (matchEntry, bool) {
	for _, e := range m.byFirst[text[i]] {
		if strings.HasPrefix(text[i:], e.text) {
			return e, true
		}
	}
	return matchEntry{}, false
}

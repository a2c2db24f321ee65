package knowledge

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// An FAQEntry is one question and its answer in an FAQ file.
type FAQEntry struct {
	Question string `json:"question" yaml:"question"`
	Answer   string `json:"answer" yaml:"answer"`
}

// faqListKeys are the keys under which an FAQ file that is an object
// (rather than a bare list) may hold its entries.
var faqListKeys = []string{"faq", "faqs", "questions", "entries", "items"}

// parseFAQ reads a JSON or YAML FAQ file: a list of {question, answer}
// objects ("q"/"title" and "a"/"body"/"text" are accepted too), or an
// object holding such a list under one of faqListKeys or as its only list.
func parseFAQ(name string, data []byte, maxEntries int) ([]FAQEntry, error) {
	var raw any
	var err error
	if fileKind(name) == "json" {
		err = json.Unmarshal(data, &raw)
	} else {
		err = yaml.Unmarshal(data, &raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFAQ, err)
	}
	if !looksLikeFAQ(raw) {
		return nil, errNotFAQ
	}
	list, ok := raw.([]any)
	if m, isMap := raw.(map[string]any); isMap {
		list, ok = faqList(m)
	}
	if !ok {
		return nil, fmt.Errorf("%w: want a list of {question, answer} objects", ErrInvalidFAQ)
	}
	if len(list) > maxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrInvalidFAQ, len(list), maxEntries)
	}
	entries := make([]FAQEntry, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: entry %d is not an object", ErrInvalidFAQ, i+1)
		}
		q, a := field(m, questionKeys...), field(m, answerKeys...)
		if q == "" || a == "" {
			return nil, fmt.Errorf("%w: entry %d needs a non-empty question and answer", ErrInvalidFAQ, i+1)
		}
		entries = append(entries, FAQEntry{Question: q, Answer: a})
	}
	return entries, nil
}

// errNotFAQ is a JSON or YAML file with no question or answer in it: a
// site's mkdocs.yml or _config.yml kept beside its articles. It is left
// out, with a warning; failing the load on it stopped every reload.
var errNotFAQ = errors.New("knowledge: not an FAQ file")

// questionKeys and answerKeys name an FAQ entry's fields.
var (
	questionKeys = []string{"question", "q", "title"}
	answerKeys   = []string{"answer", "a", "body", "text"}
)

// looksLikeFAQ reports whether decoded JSON or YAML has a question or an
// answer in it: an entry of a list at its top or one level down with one
// of those fields, or an object with both.
func looksLikeFAQ(raw any) bool {
	hasAny := func(v any) bool {
		m, ok := v.(map[string]any)
		return ok && (hasKey(m, questionKeys) || hasKey(m, answerKeys))
	}
	inList := func(v any) bool {
		l, _ := v.([]any)
		return slices.ContainsFunc(l, hasAny)
	}
	switch v := raw.(type) {
	case []any:
		return inList(v)
	case map[string]any:
		if hasKey(v, questionKeys) && hasKey(v, answerKeys) {
			return true
		}
		for _, x := range v {
			if inList(x) {
				return true
			}
		}
	}
	return false
}

func hasKey(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// faqList finds the entries of an FAQ file that is an object: the list
// under one of faqListKeys, or its only list.
func faqList(m map[string]any) ([]any, bool) {
	for _, k := range faqListKeys {
		if l, ok := m[k].([]any); ok {
			return l, true
		}
	}
	var only []any
	lists := 0
	for _, v := range m {
		if l, ok := v.([]any); ok {
			only = l
			lists++
		}
	}
	return only, lists == 1
}

// field returns the first string value of m under one of names.
func field(m map[string]any, names ...string) string {
	for _, n := range names {
		if v, ok := m[n].(string); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var (
	// htmlMarkup is a tag that says a text is HTML.
	htmlMarkup = regexp.MustCompile(`(?i)</?(?:p|div|br|ul|ol|li|table|tr|h[1-6]|strong|em|a)\b[^>]*>`)
	// headingMarks begin a Markdown heading line; in an answer a heading
	// is a line of its own.
	headingMarks = regexp.MustCompile(`(?m)^#{1,6} `)
)

// faqChunks makes chunks of FAQ entries: each titled by its question and
// anchored by the question's slug. An entry whose answer is HTML with
// headings is an article of a help-centre export (Zendesk's {"title",
// "body"}): it is read as an article, one section per heading, so that
// "How to claim" is a section of its article rather than a line of it.
func faqChunks(name string, entries []FAQEntry, maxRunes int) []Chunk {
	slugs := newSlugger()
	var chunks []Chunk
	for _, e := range entries {
		q := cleanInline(e.Question)
		src := name + "#" + slugs.slug(q)
		answer := e.Answer
		if htmlMarkup.MatchString(answer) {
			answer = htmlArticle(answer)
			if headingMarks.MatchString(answer) {
				for _, c := range parseArticle(name, "# "+q+"\n\n"+headingsBelowTitle(answer), maxRunes) {
					c.Source = src
					chunks = append(chunks, c)
				}
				continue
			}
		}
		for _, t := range splitText(plainText(strings.Split(answer, "\n")), maxRunes) {
			chunks = append(chunks, Chunk{DocID: name, Title: q, Source: src, Text: t})
		}
	}
	return chunks
}

// headingsBelowTitle demotes the "#" headings of an exported article's
// body to "##": its title is the entry's, and a body that repeats it as
// an <h1> would otherwise end the title's section.
func headingsBelowTitle(md string) string {
	return h1Mark.ReplaceAllString(md, "## ")
}

var h1Mark = regexp.MustCompile(`(?m)^# `)

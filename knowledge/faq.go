package knowledge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// An FAQEntry is one question and its answer in an FAQ file, or one
// article of a help-centre export (its title and body).
type FAQEntry struct {
	Question string `json:"question" yaml:"question"`
	Answer   string `json:"answer" yaml:"answer"`
	// URL is the article's page on the help centre ("html_url",
	// "publicUrl" or "url" in the export); empty when it has none.
	URL string `json:"url,omitempty" yaml:"url,omitempty"`
}

// Field names of an entry. An entry is an object with a title-like and a
// body-like field; the first field present of each list is used.
var (
	// questionKeys name an entry's title: an FAQ's question, an
	// article's "title" (Zendesk, Intercom, Freshdesk) or "name" (Help
	// Scout; Zendesk has both). A "name" alone does not make a file an
	// FAQ (see looksLikeEntries): configuration files hold lists of
	// {name, url}.
	questionKeys = append(slices.Clone(titleKeys), "name")
	titleKeys    = []string{"question", "q", "title"}
	// answerKeys name an entry's body: an FAQ's answer, an article's
	// HTML "body" (Zendesk, Intercom) or "text" (Help Scout), or
	// Freshdesk's plain "description_text". Freshdesk's HTML
	// "description" is read too (see body), but a plain "description"
	// is not: a category's or section's is a line about it, not an
	// article.
	answerKeys = []string{"answer", "a", "body", "text", "content", "description_text"}
	// urlKeys name an article's public page, best first: Zendesk's
	// "url" is its API address (see articleURL).
	urlKeys = []string{"html_url", "publicUrl", "public_url", "url"}
)

// entryListKeys are the keys under which an FAQ file or an export holds
// its entries, or the groups they are in: Zendesk's {"articles": […]} or
// {"article": {…}}, Intercom's {"type": "list", "data": […]}, Help
// Scout's {"articles": {"items": […]}}, Freshdesk's categories with
// "folders" with "articles".
var entryListKeys = []string{
	"faq", "faqs", "questions", "entries", "items", "articles", "article",
	"data", "results", "folders", "categories", "sections", "collections",
}

// maxEntryDepth bounds how deep entries are looked for: Freshdesk's are
// four levels down (list, category, folders, articles).
const maxEntryDepth = 8

// errNotFAQ is a JSON or YAML file with no question or answer in it: a
// site's mkdocs.yml or _config.yml kept beside its articles, or an
// export's list of categories. It is left out, with a warning; failing
// the load on it stopped every reload.
var errNotFAQ = errors.New("knowledge: no question or article in the file")

// utf8BOM begins files saved by Windows tools; encoding/json rejects it.
var utf8BOM = []byte("\xef\xbb\xbf")

// parseFAQ reads a JSON, YAML, CSV or Excel FAQ file or help-centre
// export (see csvEntries and xlsxEntries for spreadsheets): a list of
// entries (objects with a title-like and a body-like field, see
// questionKeys and answerKeys), or an object holding such a list under
// one of entryListKeys, as deep as groups of groups go, or as its only
// list. Drafts (see isDraft) are left out. An entry without a title or a
// body, common in drafts, is left out and told to warn (warn may be nil),
// unless no entry is left: then the file is invalid.
func parseFAQ(name string, data []byte, maxEntries int, warn func(path, problem string)) ([]FAQEntry, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var raw any
	var err error
	switch fileKind(name) {
	case "json":
		err = json.Unmarshal(data, &raw)
	case "csv", "xlsx":
		if fileKind(name) == "csv" {
			raw, err = csvEntries(data)
		} else {
			raw, err = xlsxEntries(data)
		}
		if errors.Is(err, errNotFAQ) || errors.Is(err, ErrInvalidFAQ) {
			return nil, err
		}
	default:
		err = yaml.Unmarshal(data, &raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFAQ, err)
	}
	list, err := entryList(raw)
	if err != nil {
		return nil, err
	}
	if len(list) > maxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrInvalidFAQ, len(list), maxEntries)
	}
	entries := make([]FAQEntry, 0, len(list))
	var problems []string
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: entry %d is not an object", ErrInvalidFAQ, i+1)
		}
		if isDraft(m) {
			continue
		}
		q, a := field(m, questionKeys...), body(m)
		if q == "" || a == "" {
			problems = append(problems, fmt.Sprintf("entry %d%s has no %s", i+1, entryName(m), missing(q, a)))
			continue
		}
		entries = append(entries, FAQEntry{Question: q, Answer: a, URL: articleURL(m)})
	}
	if len(entries) == 0 && len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s, and no other entry is left", ErrInvalidFAQ, problems[0])
	}
	if warn != nil {
		for _, p := range problems {
			warn(name, p+"; left out")
		}
	}
	return entries, nil
}

// entryList finds the entries of decoded raw: raw itself when it is a
// list; in an object, the object when it is an entry (Intercom's one
// article), else the entries under entryListKeys (see collectEntries),
// else those of its only list.
func entryList(raw any) ([]any, error) {
	var list []any
	switch v := raw.(type) {
	case []any:
		collectEntries(v, 0, &list)
	case map[string]any:
		if hasKey(v, titleKeys) && hasBody(v) {
			return []any{v}, nil
		}
		if !collectUnder(v, 0, &list) {
			lists := allLists(v)
			if len(lists) > 1 && slices.ContainsFunc(lists, looksLikeEntries) {
				return nil, fmt.Errorf("%w: %d lists, none of them under a key such as \"faq\", \"items\" or \"articles\"", ErrInvalidFAQ, len(lists))
			}
			if len(lists) == 1 {
				collectEntries(lists[0], 0, &list)
			}
		}
	}
	if !looksLikeEntries(list) {
		return nil, errNotFAQ
	}
	return list, nil
}

// collectEntries appends the entries of list to out: its items, less the
// groups (an object without a body holding a list of entries, such as a
// Freshdesk category or folder), whose entries are appended in their
// place.
func collectEntries(list []any, depth int, out *[]any) {
	for _, item := range list {
		// A group's HTML "description" is about it, not an article.
		if m, ok := item.(map[string]any); ok && !hasKey(m, answerKeys) && collectUnder(m, depth+1, out) {
			continue
		}
		*out = append(*out, item)
	}
}

// collectUnder appends the entries under m's entryListKeys to out, and
// reports whether m has any of those keys holding a list or an object.
func collectUnder(m map[string]any, depth int, out *[]any) bool {
	if depth > maxEntryDepth {
		return false
	}
	found := false
	for _, k := range entryListKeys {
		switch v := m[k].(type) {
		case []any:
			collectEntries(v, depth+1, out)
			found = true
		case map[string]any:
			if hasBody(v) {
				*out = append(*out, v) // {"article": {…}}
			} else {
				collectUnder(v, depth+1, out) // {"articles": {"items": […]}}
			}
			found = true
		}
	}
	return found
}

// allLists returns the lists that are values of m.
func allLists(m map[string]any) [][]any {
	var lists [][]any
	for _, v := range m {
		if l, ok := v.([]any); ok {
			lists = append(lists, l)
		}
	}
	return lists
}

// looksLikeEntries reports whether list has an entry in it: an object
// with a question or a body field (a list of {name, url} objects in a
// site's configuration has neither).
func looksLikeEntries(list []any) bool {
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && (hasKey(m, titleKeys) || hasBody(m)) {
			return true
		}
	}
	return false
}

// hasBody reports whether m has a body field (see body), empty or not.
func hasBody(m map[string]any) bool { return hasKey(m, answerKeys) || htmlDescription(m) != "" }

// body returns the body of entry m: Freshdesk's HTML "description" when
// it has one (its headings make sections, its tables rows; its
// "description_text" has neither), else the first of answerKeys.
func body(m map[string]any) string {
	if d := htmlDescription(m); d != "" {
		return d
	}
	return field(m, answerKeys...)
}

// htmlDescription is m's "description" when it is HTML, else "".
func htmlDescription(m map[string]any) string {
	if d, ok := m["description"].(string); ok && htmlMarkup.MatchString(d) {
		return strings.TrimSpace(d)
	}
	return ""
}

// isDraft reports whether m is an unpublished article, which must not be
// indexed or quoted: Zendesk's "draft": true, Intercom's "state":
// "draft", Help Scout's "status": "notpublished", Freshdesk's "status": 1
// (2 is published), or "published": false.
func isDraft(m map[string]any) bool {
	if m["draft"] == true || m["published"] == false {
		return true
	}
	for _, k := range []string{"state", "status"} {
		switch v := m[k].(type) {
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "draft", "notpublished", "unpublished", "not_published":
				return true
			}
		case float64: // JSON
			if k == "status" && v == 1 {
				return true
			}
		case int: // YAML
			if k == "status" && v == 1 {
				return true
			}
		}
	}
	return false
}

// articleURL returns entry m's public page: the first absolute http(s)
// URL under urlKeys that is not an API address (Zendesk's "url" ends in
// ".json"), else "".
func articleURL(m map[string]any) string {
	for _, k := range urlKeys {
		s, _ := m[k].(string)
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.HasSuffix(u.Path, ".json") {
			continue
		}
		return u.String()
	}
	return ""
}

// entryName names entry m in a warning: by its title or id, else "".
func entryName(m map[string]any) string {
	if q := field(m, questionKeys...); q != "" {
		return fmt.Sprintf(" (%q)", q)
	}
	if id, ok := m["id"]; ok && id != nil {
		return fmt.Sprintf(" (id %v)", id)
	}
	return ""
}

// missing says what an entry lacks.
func missing(q, a string) string {
	switch {
	case q == "" && a == "":
		return "title and no body"
	case q == "":
		return "title"
	}
	return "body"
}

func hasKey(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
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

// htmlMarkup is a tag that says a text is HTML.
var htmlMarkup = regexp.MustCompile(`(?i)</?(?:p|div|br|ul|ol|li|table|tr|h[1-6]|strong|em|a)\b[^>]*>`)

// faqChunks makes chunks of FAQ entries: each titled by its question and
// anchored by the question's slug. An answer is read as an article's
// Markdown (HTML as help-centre exports write it, Zendesk's {"title",
// "body"}, converted first): one section per heading, so that "How to
// claim" is a section of its article rather than a line of it, and code
// blocks and reference links read as in an article.
func faqChunks(name string, entries []FAQEntry, maxRunes int) []Chunk {
	slugs := newSlugger()
	var chunks []Chunk
	for _, e := range entries {
		q := cleanInline(e.Question)
		src := name + "#" + slugs.slug(q)
		answer := e.Answer
		if htmlMarkup.MatchString(answer) {
			answer = headingsBelowTitle(htmlArticle(answer))
		}
		for _, c := range parseSections(name, e.URL, q, strings.Split(htmlTables(answer), "\n"), maxRunes) {
			c.Source, c.URL = src, e.URL
			chunks = append(chunks, c)
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

// qMark and aMark begin the lines of an FAQ written as "Q: …" and "A: …" (or
// "Question:" and "Answer:", bold or not).
var (
	qMark = regexp.MustCompile(`(?m)^([ \t>]*)(?:\*\*|__)?(?:Q|Question)(?:[:.](?:\*\*|__)?|(?:\*\*|__)?[:.])[ \t]+`)
	aMark = regexp.MustCompile(`(?m)^([ \t>]*)(?:\*\*|__)?(?:A|Answer)(?:[:.](?:\*\*|__)?|(?:\*\*|__)?[:.])[ \t]+`)
)

// withoutQAMarks removes the marks of an FAQ written as "Q: Can I pause?"
// and "A: Yes, for 3 months.", in an article that has both: a reply
// quoted "A: Yes, for 3 months." An article with only one kind keeps it
// ("A: Zone 1" in a list of zones).
func withoutQAMarks(text string) string {
	if !qMark.MatchString(text) || !aMark.MatchString(text) {
		return text
	}
	return aMark.ReplaceAllString(qMark.ReplaceAllString(text, "$1"), "$1")
}

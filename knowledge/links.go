package knowledge

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Link is a link in an article's text: the words linked and where they
// lead. A reply that quotes the words carries the link (conversation.Reply),
// so "check the status page" stays something a user can click.
type Link struct {
	Text string `json:"text"`
	// URL is an absolute target: a web page, "mailto:" or "tel:".
	URL string `json:"url,omitempty"`
	// Source is a target in the knowledge folder, written as a
	// Citation's ("billing/refunds.md#how-long").
	Source string `json:"source,omitempty"`
}

var (
	// mdInlineLink is [text](target "title"); an image (a "!" before it)
	// is no link.
	mdInlineLink = regexp.MustCompile(`(!?)\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+(?:[^()]|\([^()]*\))*)?\)`)
	// mdReferenceLink is [text][label] or [text][] (the label is the text).
	mdReferenceLink = regexp.MustCompile(`(!?)\[([^\]]+)\]\[([^\]]*)\]`)
	// linkTarget is the line a reference link points to: [label]: target.
	linkTarget = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:\s+<?([^\s>]+)>?`)
	// htmlAnchor is an HTML link in Markdown text.
	htmlAnchor = regexp.MustCompile(`(?is)<a\b(?:[^>"']|"[^"]*"|'[^']*')*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')(?:[^>"']|"[^"]*"|'[^']*')*>(.*?)</a\s*>`)
)

// maxLinksPerChunk bounds the links one chunk keeps.
const maxLinksPerChunk = 32

// sectionLinks returns the links of a section's lines (code excluded) of
// article doc, whose page on the web is base ("" when unknown); defs are
// its reference links' targets by lower-case label.
func sectionLinks(doc, base string, lines []string, defs map[string]string) []Link {
	var out []Link
	add := func(text, target string) {
		text = cleanInline(text)
		if len([]rune(text)) < 2 || strings.ContainsAny(text+target, linkSep+linkFieldSep) {
			return
		}
		if l, ok := resolveLink(doc, base, target); ok {
			l.Text = text
			out = append(out, l)
		}
	}
	code := false
	for _, line := range lines {
		if line == CodeFence {
			code = !code
		}
		if code || !strings.ContainsAny(line, "[<") {
			continue
		}
		for _, m := range mdInlineLink.FindAllStringSubmatch(line, -1) {
			if m[1] == "" {
				add(m[2], m[3])
			}
		}
		for _, m := range mdReferenceLink.FindAllStringSubmatch(line, -1) {
			label := m[3]
			if label == "" {
				label = m[2]
			}
			if target, ok := defs[strings.ToLower(label)]; ok && m[1] == "" {
				add(m[2], target)
			}
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			add(m[3], m[1]+m[2])
		}
	}
	return out
}

// resolveLink reads a link's target in article doc: an absolute web,
// mail or phone target as it is, a relative one as a path in the
// knowledge folder. A target outside the folder, or a site path ("/x")
// whose site is unknown, is no link. An article exported from a help
// centre knows its page (base, its "html_url"): there a relative target
// or a site path ("/hc/en-us/articles/123") is a page of that site, as
// the help centre's own links mean it.
func resolveLink(doc, base, target string) (Link, bool) {
	u, err := url.Parse(strings.TrimSpace(target))
	if err != nil || target == "" {
		return Link{}, false
	}
	if b, err := url.Parse(base); base != "" && err == nil && u.Scheme == "" {
		u = b.ResolveReference(u)
		if u.String() == b.String() {
			return Link{}, false // "#": the article's own page, a script's hook
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return Link{}, false
		}
		return Link{URL: u.String()}, true
	case "mailto", "tel":
		return Link{URL: u.String()}, true
	case "":
	default:
		return Link{}, false
	}
	if u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return Link{}, false
	}
	p := doc
	if u.Path != "" {
		p = path.Join(path.Dir(doc), u.Path)
		if p == ".." || strings.HasPrefix(p, "../") {
			return Link{}, false
		}
	}
	if u.Fragment != "" {
		p += "#" + u.Fragment
	}
	return Link{Source: p}, true
}

// LinksQuoted returns the links of snippets whose words reply quotes,
// once each: a link's words must stand in reply as a phrase of their own
// (not inside a longer word).
func LinksQuoted(reply string, snippets []Snippet) []Link {
	var out []Link
	for _, s := range snippets {
		for _, l := range s.Links {
			if !slices.Contains(out, l) && PhraseAt(reply, l.Text, 0) >= 0 {
				out = append(out, l)
			}
		}
	}
	return out
}

// PhraseAt is where phrase stands in s, from byte i on, with no letter
// or digit joined to either end, or -1: "Plus" stands in "on Plus, you"
// but not in "Plusnet".
func PhraseAt(s, phrase string, i int) int {
	for phrase != "" && i <= len(s) {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return -1
		}
		start, end := i+j, i+j+len(phrase)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return start
		}
		i = start + 1
	}
	return -1
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// linksIn returns the links whose text text quotes, once each.
func linksIn(text string, links []Link) []Link {
	var out []Link
	for _, l := range links {
		if len(out) == maxLinksPerChunk {
			break
		}
		if strings.Contains(text, l.Text) && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// linkExtensions are what a link to another article may leave out of
// its file's name, as documentation sites let it ("rate-limits" for
// rate-limits.md).
var linkExtensions = []string{"", ".md", ".mdx", ".markdown", ".html", ".htm", "/index.md", "/README.md"}

// resolveArticleLinks points each link between articles at a file the
// chunks come from, and drops those that lead to none.
func resolveArticleLinks(chunks []Chunk) {
	docs := make(map[string]bool)
	for _, c := range chunks {
		docs[c.DocID] = true
	}
	for i := range chunks {
		links := chunks[i].Links[:0]
		for _, l := range chunks[i].Links {
			if l.Source != "" {
				doc, frag, _ := strings.Cut(l.Source, "#")
				l.Source = ""
				for _, ext := range linkExtensions {
					if docs[doc+ext] {
						l.Source = doc + ext
						break
					}
				}
				if l.Source == "" {
					continue
				}
				if frag != "" {
					l.Source += "#" + frag
				}
			}
			links = append(links, l)
		}
		chunks[i].Links = links
	}
}

// referenceCue is a word that, before an article's title, makes the title
// a reference to that article: "see Privacy, CCTV and your data for how
// long recordings are kept". Without a cue, a title is often just words
// ("refunds").
var referenceCue = regexp.MustCompile(`(?i)\b(?:see|read|check|visit|siehe|voir|consultez|consulte|zie|lees|vedi|ver|veja)\s+(?:(?:the|our)\s+)?(?:article\s+)?["“„«]?\s*`)

// maxTitleBytes bounds the titles that references are looked for by.
const maxTitleBytes = 200

// linkReferences links the titles of articles that chunks refer to in
// plain words (after a referenceCue, outside code) to those articles, so
// that a reply quoting "see Refunds and deposits" lets the user open it.
// A title two articles share (in any case), or a chunk's own article, is
// not linked.
func linkReferences(ctx context.Context, chunks []Chunk) error {
	titles := newTitleIndex(chunks)
	if len(titles.targets) < 2 {
		return nil
	}
	for i := range chunks {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("link references: %w", err)
			}
		}
		c := &chunks[i]
		own := strings.ToLower(c.Title)
		code := false
		for _, line := range strings.Split(c.Text, "\n") {
			if line == CodeFence {
				code = !code
			}
			if code || line == CodeFence {
				continue
			}
			for _, m := range referenceCue.FindAllStringIndex(line, -1) {
				text, to, ok := titles.at(line[m[1]:])
				if !ok || strings.ToLower(text) == own || len(c.Links) >= maxLinksPerChunk ||
					slices.ContainsFunc(c.Links, func(x Link) bool { return x.Text == text }) {
					continue
				}
				to.Text = text
				c.Links = append(c.Links, to)
			}
		}
	}
	return nil
}

// A titleIndex finds the article a text starts with the title of.
type titleIndex struct {
	targets map[string]Link  // by lower-case title
	lengths map[string][]int // the titles' lengths in bytes by their first word, longest first
}

// newTitleIndex indexes the titles of the chunks' articles, each with a
// link to its article: its page when an export names it, else its file,
// or its entry of a file that holds several articles. A title of more
// than one article, one too long to be written out in a reference, or
// one shorter than two characters or without a letter or digit, is left
// out.
func newTitleIndex(chunks []Chunk) titleIndex {
	titles := map[string]map[string]bool{} // titles by file
	for _, c := range chunks {
		if titles[c.DocID] == nil {
			titles[c.DocID] = map[string]bool{}
		}
		titles[c.DocID][c.Title] = true
	}
	ix := titleIndex{targets: map[string]Link{}, lengths: map[string][]int{}}
	shared := map[string]bool{}
	for _, c := range chunks {
		key := strings.ToLower(c.Title)
		if shared[key] || len(c.Title) > maxTitleBytes || strings.ContainsAny(c.Title, linkSep+linkFieldSep) ||
			strings.IndexFunc(c.Title, isWordRune) < 0 || utf8.RuneCountInString(c.Title) < 2 {
			continue
		}
		to := Link{Source: c.DocID}
		switch {
		case c.URL != "":
			to = Link{URL: c.URL}
		case len(titles[c.DocID]) > 1:
			to = Link{Source: c.Source}
		}
		if prev, ok := ix.targets[key]; ok && prev != to {
			delete(ix.targets, key)
			shared[key] = true
			continue
		}
		ix.targets[key] = to
	}
	for key := range ix.targets {
		w := firstWord(key)
		ix.lengths[w] = append(ix.lengths[w], len(key))
	}
	for w, ls := range ix.lengths {
		slices.Sort(ls)
		slices.Reverse(ls)
		ix.lengths[w] = slices.Compact(ls)
	}
	return ix
}

// at returns the longest title that text starts with, as text writes it,
// and the link to its article: "see Refunds and deposits" refers to that
// article, not to "Refunds".
func (ix titleIndex) at(text string) (string, Link, bool) {
	for _, n := range ix.lengths[firstWord(text)] {
		if n > len(text) {
			continue
		}
		if to, ok := ix.targets[strings.ToLower(text[:n])]; ok && PhraseAt(text, text[:n], 0) == 0 {
			return text[:n], to, true
		}
	}
	return "", Link{}, false
}

// firstWord is the first word of s, lower-case.
func firstWord(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return !isWordRune(r) })
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}

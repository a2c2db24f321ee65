// Package citelink turns the citations of a reply into links a chat
// platform can show: it resolves their URLs against the help site's base
// URL (the adapters' CitationBaseURL).
package citelink

import (
	"net/url"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// Resolve returns cs with every URL made absolute against base: a
// relative URL is resolved against it, a missing one is base joined with
// the source (its leading "/" dropped, so the source stays under base's
// path). A URL that is already absolute is kept. Without a usable base
// (empty, or not an absolute http(s) URL), cs itself is returned.
// Otherwise Resolve returns a new slice and leaves cs as it is.
func Resolve(cs []knowledge.Citation, base string) []knowledge.Citation {
	resolve := against(base)
	if resolve == nil {
		return cs
	}
	out := make([]knowledge.Citation, len(cs))
	for i, c := range cs {
		ref := c.URL
		if ref == "" {
			ref = strings.TrimPrefix(c.Source, "/")
		}
		if u := resolve(ref); u != "" {
			c.URL = u
		}
		out[i] = c
	}
	return out
}

// against returns a function that resolves a reference (a URL, or a
// source path without its leading slash) against base, "" for one that
// does not parse; nil when base is no http(s) URL.
func against(base string) func(ref string) string {
	b, err := url.Parse(base)
	if base == "" || err != nil || (b.Scheme != "https" && b.Scheme != "http") {
		return nil
	}
	return func(ref string) string {
		u, err := url.Parse(ref)
		if err != nil || ref == "" {
			return ""
		}
		return b.ResolveReference(u).String()
	}
}

// A Ref is one citation as a chat message shows it.
type Ref struct {
	knowledge.Citation
	// Label is what the reader sees: the title, or the source when the
	// citation has no title. It is not escaped for any markup.
	Label string
	// Link is the citation's URL when that is an http(s) URL, else its
	// source when that is one, else empty.
	Link string
}

// Refs returns the citations of cs worth showing, in their order: each
// once (exact duplicates are dropped) and none that has neither a title
// nor a source. It is nil when none is left.
func Refs(cs []knowledge.Citation) []Ref {
	seen := make(map[knowledge.Citation]bool)
	var out []Ref
	for _, c := range cs {
		if seen[c] || c.Title == "" && c.Source == "" {
			continue
		}
		seen[c] = true
		r := Ref{Citation: c, Label: c.Title}
		if r.Label == "" {
			r.Label = c.Source
		}
		for _, u := range []string{c.URL, c.Source} {
			if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
				r.Link = u
				break
			}
		}
		out = append(out, r)
	}
	return out
}

// ResolveLinks returns the links of a reply with absolute http(s) or
// mailto URLs: a link to another article resolved against base like a
// citation, and those that cannot be (no base) left out.
func ResolveLinks(links []knowledge.Link, base string) []knowledge.Link {
	resolve := against(base)
	var out []knowledge.Link
	for _, l := range links {
		if l.URL == "" && l.Source != "" && resolve != nil {
			l.URL = resolve(strings.TrimPrefix(l.Source, "/"))
		}
		if l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

// LinkWords rewrites text (a reply in a chat platform's markup) so that
// the first stand-alone occurrence of each link's words, outside code
// blocks (between ``` lines) and other links' words, is written link(l):
// find is how the words stand in text (escaped for the markup), replace
// what takes their place.
func LinkWords(text string, links []knowledge.Link, link func(l knowledge.Link) (find, replace string)) string {
	type span struct {
		start, end int
		replace    string
	}
	// Code blocks are taken already.
	var taken []span
	for at, code := 0, false; ; code = !code {
		i := strings.Index(text[at:], "```")
		if i < 0 {
			if code {
				taken = append(taken, span{start: at, end: len(text)})
			}
			break
		}
		if code {
			taken = append(taken, span{start: at, end: at + i})
		}
		at += i + 3
	}
	free := func(start, end int) bool {
		for _, t := range taken {
			if start < t.end && t.start < end {
				return false
			}
		}
		return true
	}
	var linked []span
	for _, l := range links {
		find, replace := link(l)
		if find == "" {
			continue
		}
		for at := knowledge.PhraseAt(text, find, 0); at >= 0; at = knowledge.PhraseAt(text, find, at+1) {
			if free(at, at+len(find)) {
				s := span{at, at + len(find), replace}
				taken, linked = append(taken, s), append(linked, s)
				break
			}
		}
	}
	slices.SortFunc(linked, func(a, b span) int { return b.start - a.start })
	for _, s := range linked {
		text = text[:s.start] + s.replace + text[s.end:]
	}
	return text
}

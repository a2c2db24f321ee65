// Package citelink turns the citations of a reply into links a chat
// platform can show: it resolves their URLs against the help site's base
// URL (the adapters' CitationBaseURL).
package citelink

import (
	"net/url"
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
	b, err := url.Parse(base)
	if base == "" || err != nil || (b.Scheme != "https" && b.Scheme != "http") {
		return cs
	}
	out := make([]knowledge.Citation, len(cs))
	for i, c := range cs {
		ref := c.URL
		if ref == "" {
			ref = strings.TrimPrefix(c.Source, "/")
		}
		if u, err := url.Parse(ref); err == nil && ref != "" {
			c.URL = b.ResolveReference(u).String()
		}
		out[i] = c
	}
	return out
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

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

package citelink

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/knowledge"
)

func TestResolve(t *testing.T) {
	// The citations of the Slack and Discord adapters' former tests.
	slackCites := []knowledge.Citation{
		{Title: "A", Source: "billing/a.md#x"},
		{Title: "B", Source: "b.md", URL: "/articles/b.md"},
		{Title: "C", Source: "c.md", URL: "https://other.example/c"},
	}
	discordCites := []knowledge.Citation{
		{Title: "A", Source: "a.md"},
		{Title: "B", Source: "b.md", URL: "/articles/b"},
		{Title: "C", URL: "https://other.test/c"},
	}
	tests := []struct {
		name string
		in   []knowledge.Citation
		base string
		want []string // the URLs of the result
	}{
		{"slack: relative urls and sources", slackCites, "https://help.example.com/articles/",
			[]string{"https://help.example.com/articles/billing/a.md#x", "https://help.example.com/articles/b.md", "https://other.example/c"}},
		{"slack: no base", slackCites, "", []string{"", "/articles/b.md", "https://other.example/c"}},
		{"slack: relative base", slackCites, "/articles/", []string{"", "/articles/b.md", "https://other.example/c"}},
		{"discord: relative urls and sources", discordCites, "https://help.example.com/kb/",
			[]string{"https://help.example.com/kb/a.md", "https://help.example.com/articles/b", "https://other.test/c"}},
		{"discord: not a url", discordCites, "not a url", []string{"", "/articles/b", "https://other.test/c"}},
		{"source with a leading slash stays under base", []knowledge.Citation{{Source: "/faq/x.md"}}, "http://h.test/kb/",
			[]string{"http://h.test/kb/faq/x.md"}},
		{"no url, no source", []knowledge.Citation{{Title: "T"}}, "https://h.test/", []string{""}},
		{"ftp base is not usable", []knowledge.Citation{{Source: "a.md"}}, "ftp://h.test/", []string{""}},
		{"no citations", nil, "https://h.test/", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]knowledge.Citation(nil), tt.in...)
			out := Resolve(tt.in, tt.base)
			got := []string{}
			for _, c := range out {
				got = append(got, c.URL)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q) URLs (-want +got):\n%s", tt.base, diff)
			}
			if diff := cmp.Diff(before, tt.in); diff != "" {
				t.Errorf("Resolve(%q) changed its input (-before +after):\n%s", tt.base, diff)
			}
			for i := range out {
				if out[i].Title != tt.in[i].Title || out[i].Source != tt.in[i].Source {
					t.Errorf("Resolve(%q)[%d] = %+v, want title and source of %+v", tt.base, i, out[i], tt.in[i])
				}
			}
		})
	}
}

// Without a usable base the input slice itself comes back (no copy).
func TestResolveNoBaseReturnsInput(t *testing.T) {
	in := []knowledge.Citation{{Title: "A", Source: "a.md"}}
	for _, base := range []string{"", "not a url", "/kb/", "ftp://h.test/"} {
		if got := Resolve(in, base); &got[0] != &in[0] {
			t.Errorf("Resolve(in, %q) copied the citations, want in itself", base)
		}
	}
}

func TestRefs(t *testing.T) {
	tests := []struct {
		name string
		in   []knowledge.Citation
		want []Ref
	}{
		{"none", nil, nil},
		{"empty citations dropped", []knowledge.Citation{{}, {URL: "https://x.test/"}}, nil},
		{"url is the link",
			[]knowledge.Citation{{Title: "Refunds", Source: "refunds.md", URL: "https://h.test/refunds"}},
			[]Ref{{Citation: knowledge.Citation{Title: "Refunds", Source: "refunds.md", URL: "https://h.test/refunds"}, Label: "Refunds", Link: "https://h.test/refunds"}}},
		{"source is the link when the url is not http(s)",
			[]knowledge.Citation{{Title: "Status", Source: "http://status.test", URL: "/status"}},
			[]Ref{{Citation: knowledge.Citation{Title: "Status", Source: "http://status.test", URL: "/status"}, Label: "Status", Link: "http://status.test"}}},
		{"no link",
			[]knowledge.Citation{{Title: "Fees", Source: "fees.md", URL: "ftp://h.test/fees"}},
			[]Ref{{Citation: knowledge.Citation{Title: "Fees", Source: "fees.md", URL: "ftp://h.test/fees"}, Label: "Fees"}}},
		{"untitled is labelled by its source",
			[]knowledge.Citation{{Source: "a.md"}},
			[]Ref{{Citation: knowledge.Citation{Source: "a.md"}, Label: "a.md"}}},
		{"exact duplicates dropped, order kept",
			[]knowledge.Citation{{Title: "B", Source: "b.md"}, {Title: "A", Source: "a.md"}, {Title: "B", Source: "b.md"}, {Title: "B", Source: "b2.md"}},
			[]Ref{
				{Citation: knowledge.Citation{Title: "B", Source: "b.md"}, Label: "B"},
				{Citation: knowledge.Citation{Title: "A", Source: "a.md"}, Label: "A"},
				{Citation: knowledge.Citation{Title: "B", Source: "b2.md"}, Label: "B"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Refs(tt.in)); diff != "" {
				t.Errorf("Refs(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestLinkWords: a reply's linked words become links where they stand
// alone, once, outside code; a link to another article needs a base.
func TestLinkWords(t *testing.T) {
	links := []knowledge.Link{
		{Text: "status page", URL: "https://status.example.com"},
		{Text: "Rate limits", Source: "api/rate-limits.md#burst"},
		{Text: "page", URL: "mailto:pages@example.com"},
	}
	text := "See the status page (not the status pages).\n```\ncurl status page\n```\nRate limits apply; the statuspage and page 2."
	md := func(l knowledge.Link) (string, string) { return l.Text, "[" + l.Text + "](" + l.URL + ")" }
	got := LinkWords(text, ResolveLinks(links, "https://help.example.com/articles/"), md)
	want := "See the [status page](https://status.example.com) (not the status pages).\n```\ncurl status page\n```\n" +
		"[Rate limits](https://help.example.com/articles/api/rate-limits.md#burst) apply; the statuspage and [page](mailto:pages@example.com) 2."
	if got != want {
		t.Errorf("LinkWords =\n%s\nwant\n%s", got, want)
	}
	if got := ResolveLinks(links, ""); len(got) != 2 || got[1].Text != "page" {
		t.Errorf("ResolveLinks without a base = %+v, want the two absolute links only", got)
	}
}

package bot

import (
	"html/template"
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// A citation links to /articles/FILE#anchor. A browser shown a Markdown
// file, a plain-text one or an FAQ's JSON as they are finds no anchor in
// them, so the reader of "Sources: Refunds > How long a refund takes" got
// the whole file from its top. A browser (one that accepts text/html) is
// given the article as a page instead, made from the index's own chunks:
// each cited section is a heading whose id is the anchor the citation
// names, whatever the file's format. Other clients get the file as it
// is, but for an FAQ or an export (.json, .yaml), whose page every client
// gets: the file holds the drafts left out of the index. An exported
// article that has its own page on the help centre is cited by its URL.

// An articlePage is one article as a page: its title and its sections in
// order, each with the anchor citations use.
type articlePage struct {
	Title    string
	Sections []articleSection
}

type articleSection struct {
	ID, Heading string
	Blocks      []articleBlock
	source      string
}

// An articleBlock is a paragraph, or the items of a list or the rows of a
// table, a line each.
type articleBlock struct {
	Kind  string // "p", "ul", "ol" or "table"
	Lines []string
	Cells [][]string // table rows
}

// pageOf returns the page of the article doc from chunks, and false when
// no chunk is of doc. An FAQ file (or an export) holds many titles: its
// page is named after the file, and each entry is a section headed by its
// question.
func pageOf(doc string, chunks []knowledge.Chunk) (articlePage, bool) {
	var mine []knowledge.Chunk
	titles := map[string]bool{}
	for _, c := range chunks {
		if c.DocID == doc {
			mine = append(mine, c)
			titles[c.Title] = true
		}
	}
	if len(mine) == 0 {
		return articlePage{}, false
	}
	faq := len(titles) > 1
	page := articlePage{Title: mine[0].Title}
	if faq {
		page.Title = knowledge.TitleFromName(doc)
	}
	ids := map[string]bool{}
	for _, c := range mine {
		heading := strings.Join(c.Section, " › ")
		if faq {
			heading = strings.Join(append([]string{c.Title}, c.Section...), " › ")
		}
		// A long section is cut into chunks: they continue its section.
		if n := len(page.Sections); n > 0 && page.Sections[n-1].source == c.Source && page.Sections[n-1].Heading == heading {
			page.Sections[n-1].Blocks = append(page.Sections[n-1].Blocks, blocksOf(c.Text)...)
			continue
		}
		sec := articleSection{Heading: heading, source: c.Source, Blocks: blocksOf(c.Text)}
		if _, anchor, _ := strings.Cut(c.Source, "#"); !ids[anchor] {
			sec.ID, ids[anchor] = anchor, true // the first section citing it
		}
		page.Sections = append(page.Sections, sec)
	}
	return page, true
}

// blocksOf cuts a chunk's text into paragraphs, lists, tables and code,
// as the loader wrote them: blank lines between blocks, "- " items, "1. "
// steps, "| a | b |" rows, code lines between fences.
func blocksOf(text string) []articleBlock {
	var out []articleBlock
	code := false // inside a code block, between knowledge.CodeFence lines
	for _, para := range strings.Split(text, "\n\n") {
		for _, line := range strings.Split(para, "\n") {
			if strings.TrimSpace(line) == knowledge.CodeFence {
				if code = !code; code {
					out = append(out, articleBlock{Kind: "pre"})
				}
				continue
			}
			if code {
				b := &out[len(out)-1]
				b.Lines = append(b.Lines, strings.TrimRight(line, " \t"))
				continue
			}
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			kind, content := lineKind(line)
			if n := len(out); n > 0 && out[n-1].Kind == kind && kind != "p" {
				out[n-1].add(kind, content)
				continue
			}
			var b articleBlock
			b.Kind = kind
			b.add(kind, content)
			out = append(out, b)
		}
	}
	return out
}

func (b *articleBlock) add(kind, content string) {
	if kind == "table" {
		var cells []string
		for _, c := range strings.Split(strings.Trim(content, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		b.Cells = append(b.Cells, cells)
		return
	}
	b.Lines = append(b.Lines, content)
}

// lineKind tells a list item, a step or a table row from a paragraph.
func lineKind(line string) (kind, content string) {
	switch {
	case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "* "):
		return "ul", line[2:]
	case strings.HasPrefix(line, "|") && strings.HasSuffix(line, "|"):
		return "table", line
	}
	if i := strings.IndexAny(line, ".)"); i > 0 && i <= 3 && strings.Trim(line[:i], "0123456789") == "" && strings.HasPrefix(line[i+1:], " ") {
		return "ol", line[i+2:]
	}
	return "p", line
}

// articleHTML writes an articlePage.
var articleHTML = template.Must(template.New("article").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:16px/1.55 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.7rem}h2{font-size:1.2rem;margin-top:2rem}
:target{background:#fff8c5;scroll-margin-top:1rem}
table{border-collapse:collapse}td{border:1px solid #d0d7de;padding:.3rem .6rem}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto}
</style></head><body>
<h1>{{.Title}}</h1>
{{range .Sections}}<section{{if .ID}} id="{{.ID}}"{{end}}>
{{if .Heading}}<h2>{{.Heading}}</h2>
{{end}}{{range .Blocks}}{{if eq .Kind "table"}}<table>{{range .Cells}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{else if eq .Kind "ul"}}<ul>{{range .Lines}}<li>{{.}}</li>{{end}}</ul>
{{else if eq .Kind "ol"}}<ol>{{range .Lines}}<li>{{.}}</li>{{end}}</ol>
{{else if eq .Kind "pre"}}<pre><code>{{range $i, $l := .Lines}}{{if $i}}
{{end}}{{$l}}{{end}}</code></pre>
{{else}}{{range .Lines}}<p>{{.}}</p>
{{end}}{{end}}{{end}}</section>
{{end}}</body></html>
`))

package knowledge

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Saved help-desk pages lay their article out in ways that the reader of
// htmldoc.go must undo: old knowledge-base templates (Kayako, early
// Zendesk) put the page in a layout table, its header bar, navigation
// column and article in cells; rows of links and a copyright line frame
// the article; tab panels hide their labels in a tab list.

// layoutTable reports whether table n lays a page out rather than holding
// data: it says so (role "presentation" or "none"), a cell of its own
// holds a heading or a form, or, without a header cell (<th>), a cell
// holds a table or it is a single row, as a page's header bar or its
// navigation column beside the article is. A data table's header cells
// name its columns or rows: a table in one of its cells is data too.
func layoutTable(n *html.Node) bool {
	switch strings.ToLower(attr(n, "role")) {
	case "presentation", "none":
		return true
	}
	rows := tableRows(n)
	header, nested := false, false
	for _, cells := range rows {
		for _, td := range cells {
			header = header || td.DataAtom == atom.Th
			if find(td, func(m *html.Node) bool { return headingLevel(m.DataAtom) > 0 || m.DataAtom == atom.Form }) != nil {
				return true
			}
			nested = nested || find(td, func(m *html.Node) bool { return m.DataAtom == atom.Table }) != nil
		}
	}
	return !header && (nested || len(rows) == 1)
}

// layout writes the cells of a layout table as the blocks they hold, in
// reading order, leaving out cells of links (see navigation).
func (w *mdWriter) layout(n *html.Node) {
	for _, cells := range tableRows(n) {
		for _, td := range cells {
			if !navigation(td) {
				w.blockChildren(td)
			}
		}
	}
}

// navigation reports whether a layout cell is a page's navigation: its
// words are mostly those of links ("Categories", then a link a line; a
// logo; "Home | Glossary | Log in").
func navigation(n *html.Node) bool {
	link, other := 0, 0
	var walk func(*html.Node, bool)
	walk = func(m *html.Node, inLink bool) {
		switch {
		case m.Type == html.TextNode && inLink:
			link += len(strings.Fields(m.Data))
		case m.Type == html.TextNode:
			other += len(strings.Fields(m.Data))
		case m.Type == html.ElementNode && skipped[m.DataAtom]:
			return
		case m.Type == html.ElementNode && m.DataAtom == atom.Img && inLink:
			link += len(strings.Fields(attr(m, "alt")))
		}
		inLink = inLink || m.DataAtom == atom.A
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLink)
		}
	}
	walk(n, false)
	return link > 0 && other <= link
}

// tabPanel writes a tab panel (role "tabpanel") after its tab's label,
// as a <details> element's answer follows its <summary>: the panels of
// "Delivery by country" lost their country ("Republic of Ireland"), and
// the prices in them were quoted for the wrong one. Measured on a saved
// help centre with four sets of tabs, a lead did better than a
// sub-heading (38 answers right and 9 wrong of 72, against 37 and 13):
// split into sections of a sentence or two, the tabs outranked the
// sections that answered other questions.
func (w *mdWriter) tabPanel(n *html.Node) {
	if label := tabLabel(n); label != "" {
		w.block(label)
	}
	w.children(n)
	w.flush()
}

// tabLabel is the label of tab panel n: the text of the elements its
// aria-labelledby names, its aria-label, or the text of the tab whose
// aria-controls names it.
func tabLabel(n *html.Node) string {
	page := n
	for page.Parent != nil {
		page = page.Parent
	}
	var parts []string
	for _, id := range strings.Fields(attr(n, "aria-labelledby")) {
		if e := find(page, func(m *html.Node) bool { return attr(m, "id") == id }); e != nil {
			parts = append(parts, childText(e))
		}
	}
	if t := strings.Join(strings.Fields(strings.Join(parts, " ")), " "); t != "" {
		return t
	}
	if t := strings.Join(strings.Fields(attr(n, "aria-label")), " "); t != "" {
		return t
	}
	if id := attr(n, "id"); id != "" {
		tab := find(page, func(m *html.Node) bool {
			return strings.EqualFold(attr(m, "role"), "tab") && slices.Contains(strings.Fields(attr(m, "aria-controls")), id)
		})
		if tab != nil {
			return childText(tab)
		}
	}
	return ""
}

// childText is the inline text under n, read even when n itself is an
// element left out of articles (a <button> tab).
func childText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeInline(&b, c)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// boldLead reports whether bold element n leads a paragraph as its
// heading, as old knowledge-base articles set theirs: alone on its line,
// short, and ended by a <br> with more text after it ("<b>Batteries</b><br>
// Please remove…"). A bold lead into a list ("<b>We don't match:</b>")
// or a list item's is text.
func (w *mdWriter) boldLead(n *html.Node) bool {
	if w.item {
		return false
	}
	line := w.line.String()
	if strings.TrimSpace(line[strings.LastIndex(line, lineBreak)+1:]) != "" {
		return false
	}
	t := inlineText(n)
	if t == "" || len(strings.Fields(t)) > maxLeadWords || strings.HasSuffix(t, ":") {
		return false
	}
	br := n.NextSibling
	for br != nil && br.Type == html.TextNode && strings.TrimSpace(br.Data) == "" {
		br = br.NextSibling
	}
	if br == nil || br.DataAtom != atom.Br {
		return false
	}
	for c := br.NextSibling; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) != "" || c.Type == html.ElementNode && c.DataAtom != atom.Br && inlineText(c) != "" {
			return true
		}
	}
	return false
}

// maxLeadWords is the most words of a bold lead that stands for a
// heading (see boldLead).
const maxLeadWords = 10

// leadHeading writes a bold lead as a sub-heading of the section it is
// in, until the block it is in ends (see blockChildren): an old article's
// sections ("Batteries", "Collection of large items") were one chunk, in
// which a question about one of them found the others.
func (w *mdWriter) leadHeading(text string) {
	open := w.pseudo
	if open == nil {
		open = &openHeading{w.level, w.last}
	}
	w.headingLine(min(max(open.level, 1)+1, 6), text)
	w.pseudo = open
}

// blockChildren writes the children of block n as a paragraph, and ends
// the scope of a bold lead's heading opened in it: text after the block
// goes back under the heading before.
func (w *mdWriter) blockChildren(n *html.Node) {
	open := w.pseudo
	w.children(n)
	w.flush()
	if p := w.pseudo; p != nil && open == nil {
		w.pseudo = nil
		w.level, w.last = p.level, p.last
		if p.level > 1 {
			w.reopen = p.last
		}
	}
}

// furnitureLine reports whether a line of inline text (with its links
// marked) is page furniture: a row of links or a copyright notice.
func furnitureLine(l string) bool {
	return linkRow(l) || copyrightLine.MatchString(strings.TrimSpace(strings.NewReplacer(linkStart, "", linkEnd, "").Replace(l)))
}

// copyrightLine is a page footer's copyright notice ("© 2026 Acme Ltd",
// "Copyright © 2009-2026 …", "Copyright 2024 …"), short.
var copyrightLine = regexp.MustCompile(`(?i)^(?:(?:copyright\s*)?(?:©|\(c\))|copyright\s+\d{4})[^\n]{0,300}$`)

// linkRow reports whether line l is a row of at least two links
// separated by punctuation only ("Home | Glossary | Log In"), as old
// knowledge-base pages set their header bar, related links and vote: it
// may lead with a short label that ends in ':' or '?' ("Related:", "Was
// this article helpful? Yes / No"), and a breadcrumb trail ends with the
// page it is on ("Home » Offers » Price Match Promise"). A sentence with
// links in it is no row: its words between them are not punctuation.
func linkRow(l string) bool {
	var outside []string // the text before, between and after links
	var cur strings.Builder
	links, depth := 0, 0
	for _, r := range l {
		switch string(r) {
		case linkStart:
			if depth == 0 {
				outside = append(outside, cur.String())
				cur.Reset()
			}
			depth++
		case linkEnd:
			if depth > 0 {
				if depth--; depth == 0 {
					if strings.TrimSpace(cur.String()) != "" {
						links++
					}
					cur.Reset()
				}
			}
		default:
			cur.WriteRune(r)
		}
	}
	if links < 2 || depth != 0 {
		return false
	}
	lead := strings.TrimSpace(outside[0])
	if lead != "" && (len(strings.Fields(lead)) > 6 || !strings.ContainsAny(lead[len(lead)-1:], ":?")) {
		return false
	}
	for _, s := range outside[1:] {
		if !punctuation(s) {
			return false
		}
	}
	last := strings.TrimSpace(cur.String())
	if punctuation(last) {
		return true
	}
	crumb := strings.TrimLeft(last, "»›>→/")
	return crumb != last && len(strings.Fields(crumb)) <= 8
}

// punctuation reports whether s holds no letter or digit.
func punctuation(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0
}

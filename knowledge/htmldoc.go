package knowledge

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTML articles (.html, .htm) are what help-centre platforms export and
// their APIs return (Zendesk's article body, Intercom's, a saved page).
// They are read by rewriting them as Markdown, so that they are cut into
// sections and sentences exactly as Markdown articles are: headings open
// sections, paragraphs and list items are lines, tables are tables.

// htmlArticle returns the Markdown of an HTML article: of its <main> or
// <article> element when it has one, else of its <body>, leaving out
// scripts, styles and page furniture (navigation, header, footer). A page
// without an <h1> gets its <title> as one.
func htmlArticle(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return "" // html.Parse fails only when reading fails; a string does not
	}
	root := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Main || n.DataAtom == atom.Article })
	if root == nil {
		root = doc
	}
	w := &mdWriter{}
	if find(root, func(n *html.Node) bool { return n.DataAtom == atom.H1 }) == nil {
		if t := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title }); t != nil {
			if title := inlineText(t); title != "" {
				w.headingLine(1, title)
			}
		}
	}
	w.node(root)
	return w.String()
}

// find returns the first element under n, n included, that match accepts.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

// htmlID is an id that a heading attribute can carry (see
// headingAttributes).
var htmlID = regexp.MustCompile(`^[\w-]+$`)

// skipped elements hold no article text.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Button: true, atom.Form: true, atom.Svg: true,
}

// disclosure reports whether button n opens and closes a panel, as an
// FAQ's accordion does (aria-expanded, aria-controls, or a class that
// says so): its words are the panel's question or title, where any
// other button's ("Print", "Was this helpful? Yes") are no article text.
func disclosure(n *html.Node) bool {
	if uiWords[strings.ToLower(childText(n))] {
		return false // "Show more" opens text, it does not title it
	}
	if attr(n, "aria-expanded") != "" || attr(n, "aria-controls") != "" {
		return true
	}
	class := strings.ToLower(attr(n, "class"))
	for _, w := range []string{"accordion", "collaps", "expand", "toggle", "faq", "question"} {
		if strings.Contains(class, w) {
			return true
		}
	}
	return false
}

// uiWords are what a button that opens a panel says when it does not
// title it.
var uiWords = map[string]bool{"": true, "show more": true, "show less": true, "read more": true, "more": true,
	"less": true, "expand": true, "collapse": true, "expand all": true, "collapse all": true, "menu": true,
	"toggle navigation": true, "open": true, "close": true, "+": true, "-": true}

// furnitureRoles are the ARIA roles of page furniture: the site's
// header, footer and sidebar, menus, search and pop-ups.
var furnitureRoles = setOf("banner contentinfo complementary navigation search dialog alertdialog menu menubar")

// furniture reports whether element n is page furniture that a saved
// page or an export carries around its article: an ARIA role above, an
// <aside> outside any article or section, a cookie notice ("cookie-banner",
// "cookieConsent"), or a short element named as furniture by its id or
// class (see furnitureNames). An article section about cookies
// ("<section id=cookies>") is no notice, and hidden elements are read: a
// collapsed FAQ answer is hidden until opened.
func furniture(n *html.Node) bool {
	if furnitureRoles[strings.ToLower(attr(n, "role"))] {
		return true
	}
	if n.DataAtom == atom.Aside && !within(n, atom.Article, atom.Section) {
		// An <aside> of the page, not of an article, is its sidebar
		// (the complementary landmark): "Related articles" links were
		// quoted as the answer to "how do I contact you".
		return true
	}
	raw := attr(n, "id") + " " + attr(n, "class")
	names := strings.ToLower(raw)
	if slices.ContainsFunc(nameWords(raw), func(w string) bool { return furnitureNames[w] }) {
		// Furniture is short: a wrapper of the whole page named
		// "page-meta" or "ratings-layout" is no vote widget.
		return textRunes(n, maxFurnitureRunes+1) <= maxFurnitureRunes
	}
	if !strings.Contains(names, "cookie") {
		return false
	}
	for _, w := range []string{"banner", "consent", "notice", "bar", "popup", "dialog", "modal"} {
		if strings.Contains(names, w) {
			return true
		}
	}
	return false
}

// furnitureNames are the words of the ids and classes that help-desk
// themes (Zendesk, Freshdesk, Help Scout, Document360) give the furniture
// inside an article's page: the breadcrumb trail, the "Was this article
// helpful?" vote with its hidden thanks and vote counts ("article-votes",
// "articleRatings", "article-feedback"), and the "Last updated · 4 min
// read" line ("article-meta"). Their text was quoted as answers.
var furnitureNames = setOf("breadcrumb breadcrumbs feedback helpful vote votes voting rating ratings meta metadata byline")

// maxFurnitureRunes bounds the text of an element that furnitureNames
// name furniture.
const maxFurnitureRunes = 400

// nameWords splits ids and class names into lowercase words at
// punctuation and at camelCase humps ("articleRatings", "kb_Header").
func nameWords(names string) []string {
	var words []string
	var b strings.Builder
	prevLower := false
	for _, r := range names {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
			prevLower = false
			continue
		}
		if unicode.IsUpper(r) && prevLower {
			words = append(words, b.String())
			b.Reset()
		}
		prevLower = unicode.IsLower(r)
		b.WriteRune(unicode.ToLower(r))
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// textRunes counts the runes of the text under n, up to limit.
func textRunes(n *html.Node, limit int) int {
	count := 0
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		if m.Type == html.TextNode {
			count += utf8.RuneCountInString(strings.TrimSpace(m.Data))
		}
		for c := m.FirstChild; c != nil && count < limit; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return count
}

// within reports whether n has an ancestor element of one of kinds.
func within(n *html.Node, kinds ...atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && slices.Contains(kinds, p.DataAtom) {
			return true
		}
	}
	return false
}

// An mdWriter writes Markdown blocks separated by blank lines; the
// inline text of the block being read collects in line, its <br> line
// breaks and links marked (see lineBreak).
type mdWriter struct {
	b    strings.Builder
	line strings.Builder

	level  int    // the level of the last heading written, 0 before any
	last   string // the last heading written, as Markdown
	reopen string // a heading to write again before more text (see blockChildren)

	item   bool         // the writer reads a list item
	pseudo *openHeading // the heading a bold lead stands for, while its block lasts (see boldLead)
}

// An openHeading is the heading that a sub-heading of the writer's
// interrupts, to go back under when the sub-heading's scope ends.
type openHeading struct {
	level int
	last  string
}

// Marks in mdWriter.line: a <br>, and the start and end of a link. Text
// nodes cannot hold them (see node).
const (
	lineBreak = "\x00"
	linkStart = "\x01"
	linkEnd   = "\x02"
	marks     = lineBreak + linkStart + linkEnd
)

// hardBreak ends a line that a <br> ended: a Markdown hard line break,
// which plainText keeps as a line of its own.
const hardBreak = "\\\n"

func (w *mdWriter) String() string {
	w.flush()
	return w.b.String()
}

// flush ends the paragraph being read: each line a <br> ended stays a
// line ("Monday to Friday: 8am – 8pm<br>Saturday: …", an address), a
// blank one ("<br><br>") ends the paragraph, and a line of furniture (see
// furnitureLine) goes.
func (w *mdWriter) flush() {
	var lines []string
	end := func() {
		if len(lines) > 0 {
			w.block(strings.Join(lines, hardBreak))
			lines = nil
		}
	}
	for _, l := range strings.Split(w.line.String(), lineBreak) {
		if furnitureLine(l) {
			continue
		}
		if l = strings.Join(strings.Fields(strings.NewReplacer(linkStart, "", linkEnd, "").Replace(l)), " "); l == "" {
			end()
			continue
		}
		lines = append(lines, l)
	}
	end()
	w.line.Reset()
}

// block writes one block of Markdown (lines of their own), after the
// heading to reopen if there is one.
func (w *mdWriter) block(md string) {
	if w.reopen != "" {
		h := w.reopen
		w.reopen = ""
		w.block(h)
	}
	if w.b.Len() > 0 {
		w.b.WriteString("\n\n")
	}
	w.b.WriteString(md)
}

// headingLine writes a heading of level with text (and its anchor).
func (w *mdWriter) headingLine(level int, text string) {
	w.reopen, w.pseudo = "", nil
	w.level, w.last = level, strings.Repeat("#", level)+" "+text
	w.block(w.last)
}

func (w *mdWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if strings.ContainsAny(n.Data, marks) {
			w.line.WriteString(markdownText(strings.NewReplacer(lineBreak, " ", linkStart, " ", linkEnd, " ").Replace(n.Data)))
		} else {
			w.line.WriteString(markdownText(n.Data))
		}
		return
	case html.ElementNode:
	default:
		w.children(n)
		return
	}
	switch a, role := n.DataAtom, strings.ToLower(attr(n, "role")); {
	case a == atom.Button && disclosure(n):
		// An accordion's button is its question: "Can I pause my
		// plan?", then the panel it opens answers it.
		w.flush()
		w.line.WriteString(markdownText(childText(n)))
		w.flush()
	case skipped[a] || furniture(n):
	case role == "tablist":
		// Its tabs' labels are written with their panels.
	case role == "tabpanel":
		w.flush()
		w.tabPanel(n)
	case headingLevel(a) > 0:
		w.flush()
		w.heading(n)
	case a == atom.Br:
		w.line.WriteString(lineBreak)
	case (a == atom.B || a == atom.Strong) && w.boldLead(n):
		w.flush()
		w.leadHeading(inlineText(n))
	case a == atom.A:
		// Written as a Markdown link, so that a reply quoting its words
		// carries its target (see sectionLinks).
		href, ok := markdownHref(n)
		w.line.WriteString(linkStart)
		if ok {
			w.line.WriteString("[")
		}
		w.children(n)
		if ok {
			w.line.WriteString("](" + href + ")")
		}
		w.line.WriteString(linkEnd)
	case a == atom.Img:
		w.line.WriteString(markdownText(attr(n, "alt")))
	case a == atom.Ul || a == atom.Ol:
		w.flush()
		w.list(n)
	case a == atom.Table && layoutTable(n):
		w.flush()
		w.layout(n)
	case a == atom.Table:
		w.flush()
		w.table(n)
	case a == atom.Pre:
		w.flush()
		w.block("```\n" + strings.TrimRight(textOf(n), "\n") + "\n```")
	case isBlock(a):
		w.flush()
		w.blockChildren(n)
	default:
		w.children(n)
	}
}

// heading writes heading n from its inline text. In broken markup a
// heading left open ("<h2>Blue light</p><p>A blue light means…") holds
// the blocks after it: they are the section's body, not its title.
func (w *mdWriter) heading(n *html.Node) {
	var b strings.Builder
	c := n.FirstChild
	for ; c != nil && !startsBlock(c); c = c.NextSibling {
		writeInline(&b, c)
	}
	if t := strings.Join(strings.Fields(b.String()), " "); t != "" {
		if id := attr(n, "id"); htmlID.MatchString(id) {
			t += " {#" + id + "}" // the page's own anchor, for citations
		}
		w.headingLine(headingLevel(n.DataAtom), t)
	}
	for ; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

// startsBlock reports whether n is an element that the writer puts on
// lines of its own.
func startsBlock(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	a := n.DataAtom
	return isBlock(a) || headingLevel(a) > 0 || a == atom.Ul || a == atom.Ol || a == atom.Table || a == atom.Pre
}

func (w *mdWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

// list writes a list's items, numbered for <ol>, a line each; a nested
// list's items follow as items of their own.
func (w *mdWriter) list(n *html.Node) {
	var lines []string
	num := 1
	if s, err := strconv.Atoi(attr(n, "start")); err == nil {
		num = s
	}
	for li := n.FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode || li.DataAtom != atom.Li {
			continue
		}
		marker := "- "
		if n.DataAtom == atom.Ol {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		item := &mdWriter{item: true}
		for c := li.FirstChild; c != nil; c = c.NextSibling {
			item.node(c)
		}
		body := strings.Split(item.String(), "\n")
		var text []string
		for _, l := range body {
			// The lines of an item's <br>s go on as the item, as
			// its other lines do.
			if l = strings.TrimSpace(strings.TrimSuffix(l, `\`)); l != "" {
				text = append(text, l)
			}
		}
		if len(text) == 0 {
			continue
		}
		if first := text[0]; !isListItem(first) && !startsNumbered(first) {
			text[0] = marker + first
		} // else the item is only a nested list, whose items stand for it
		lines = append(lines, text...)
	}
	if len(lines) > 0 {
		w.block(strings.Join(lines, "\n"))
	}
}

// table writes a table as Markdown, its first row the header, under its
// caption.
func (w *mdWriter) table(n *html.Node) {
	var rows []string
	for _, cells := range tableRows(n) {
		texts := make([]string, len(cells))
		for i, td := range cells {
			texts[i] = strings.ReplaceAll(inlineText(td), "|", `\|`)
		}
		rows = append(rows, "| "+strings.Join(texts, " | ")+" |")
		if len(rows) == 1 {
			rows = append(rows, "|"+strings.Repeat("---|", len(cells)))
		}
	}
	if caption := find(n, func(m *html.Node) bool { return m.DataAtom == atom.Caption }); caption != nil {
		if t := inlineText(caption); t != "" {
			rows = append([]string{t}, rows...) // the line above the table
		}
	}
	if len(rows) > 0 {
		w.block(strings.Join(rows, "\n"))
	}
}

// tableRows returns the cells (<td>, <th>) of table n's rows that have
// any, a cell that spans columns or rows repeated in each place it
// covers; a table inside a cell is left to its cell.
func tableRows(n *html.Node) [][]*html.Node {
	return expandSpans(rawTableRows(n))
}

// maxSpan bounds colspan and rowspan, so that a malformed table cannot
// make a huge grid.
const maxSpan = 64

// expandSpans lays rows of cells out on a grid, as a browser does: a cell
// with colspan="2" fills two columns and one with rowspan="2" the same
// column of the next row too. Read cell by cell, "API access | No | Yes"
// (No spanning Starter and Standard) said Standard had API access.
func expandSpans(rows [][]*html.Node) [][]*html.Node {
	type carry struct {
		node *html.Node
		left int // rows still covered below this one
	}
	var out [][]*html.Node
	var pending []carry // by column: a rowspan cell from a row above
	for _, cells := range rows {
		var row []*html.Node
		col := 0
		place := func() {
			// Columns taken by cells of rows above come first.
			for col < len(pending) && pending[col].left > 0 {
				row = append(row, pending[col].node)
				pending[col].left--
				col++
			}
		}
		for _, td := range cells {
			place()
			cs, rs := span(td, "colspan"), span(td, "rowspan")
			for range cs {
				row = append(row, td)
				for len(pending) <= col {
					pending = append(pending, carry{})
				}
				pending[col] = carry{td, rs - 1}
				col++
			}
		}
		place()
		out = append(out, row)
	}
	return out
}

// span returns a cell's colspan or rowspan attribute, 1 when absent or
// not a number in 1..maxSpan.
func span(td *html.Node, name string) int {
	for _, a := range td.Attr {
		if a.Key == name {
			if n, err := strconv.Atoi(strings.TrimSpace(a.Val)); err == nil && n >= 1 {
				return min(n, maxSpan)
			}
		}
	}
	return 1
}

// rawTableRows returns the cells of table n's rows as written.
func rawTableRows(n *html.Node) [][]*html.Node {
	var rows [][]*html.Node
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Tr:
				var cells []*html.Node
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) {
						cells = append(cells, td)
					}
				}
				if len(cells) > 0 {
					rows = append(rows, cells)
				}
			case atom.Table:
				// Left to its cell.
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return rows
}

// headingLevel is 1 to 6 for <h1> to <h6>, else 0.
func headingLevel(a atom.Atom) int { return headingLevels[a] }

var headingLevels = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

// isBlock reports whether an element begins and ends a paragraph.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Aside, atom.Blockquote,
		atom.Dl, atom.Dt, atom.Dd, atom.Figure, atom.Figcaption, atom.Details, atom.Summary,
		atom.Hr, atom.Li, atom.Body, atom.Html, atom.Address, atom.Caption:
		return true
	}
	return false
}

// markdownHref returns the target of link n written for a Markdown link,
// and whether n can be one: it has a target other than a script or its
// own page, and holds only inline text without brackets (a link around
// a card of blocks is read as those blocks).
func markdownHref(n *html.Node) (string, bool) {
	href := strings.TrimSpace(attr(n, "href"))
	text := inlineText(n)
	if href == "" || href == "#" || strings.HasPrefix(strings.ToLower(href), "javascript:") ||
		text == "" || strings.ContainsAny(text, "[]") || find(n, func(m *html.Node) bool {
		return m != n && (isBlock(m.DataAtom) || headingLevel(m.DataAtom) > 0 || m.DataAtom == atom.Ul || m.DataAtom == atom.Ol ||
			m.DataAtom == atom.Table || m.DataAtom == atom.Pre || m.DataAtom == atom.Br || m.DataAtom == atom.A)
	}) != nil {
		return "", false
	}
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\t", "").Replace(href), true
}

// inlineText is the text under n on one line, images by their alt text.
func inlineText(n *html.Node) string {
	var b strings.Builder
	writeInline(&b, n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// writeInline writes the text under m to b, a space for each block or
// cell boundary.
func writeInline(b *strings.Builder, m *html.Node) {
	switch {
	case m.Type == html.TextNode:
		b.WriteString(markdownText(m.Data))
	case m.Type == html.ElementNode && skipped[m.DataAtom]:
	case m.Type == html.ElementNode && m.DataAtom == atom.Img:
		b.WriteString(markdownText(attr(m, "alt")))
	default:
		if m.Type == html.ElementNode && (isBlock(m.DataAtom) || m.DataAtom == atom.Br || m.DataAtom == atom.Td || m.DataAtom == atom.Th) {
			// A table in a table's cell is read on the cell's line,
			// its cells apart: they were glued ("ExampleMatched?").
			b.WriteByte(' ')
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			writeInline(b, c)
		}
	}
}

// markupLike is what the Markdown reader takes for markup in the text of
// an HTML element, whose entities the HTML parser has decoded: a "<"
// before a letter, "/", "!" or "?" (a tag to cleanInline, which strips
// tags before it decodes entities) and an "&" that begins an entity.
var markupLike = regexp.MustCompile(`<[A-Za-z/!?]|&#?[0-9A-Za-z]+;?`)

// markdownText escapes decoded text for the Markdown the writer makes, as
// entities that cleanInline decodes after it strips tags: "Use the
// &lt;STOP&gt; button" lost "<STOP>" as a tag, and "&amp;amp;" was
// decoded twice.
func markdownText(s string) string {
	return markupLike.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] == '<' {
			return "&lt;" + m[1:]
		}
		return "&amp;" + m[1:]
	})
}

// textOf is the text under n as it is, for preformatted text.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

package knowledge

import (
	"html"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextLine = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	fenceLine  = regexp.MustCompile("^ {0,3}(```|~~~)")
	tableRule  = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)
	// A link's target may hold a pair of parentheses
	// (".../wiki/Plan_(business)").
	mdImage = regexp.MustCompile(`!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)`)
	mdLink  = regexp.MustCompile(`\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\((?:[^()]|\([^()]*\))*\)`)
	// headingAttributes ends a heading with an id or classes, as Pandoc,
	// kramdown and MkDocs write them ("## Returns {#returns .faq}").
	headingAttributes = regexp.MustCompile(`\s*\{\s*(?:#([\w-]+)|\.[\w-]+)[^{}]*\}\s*$`)
	// htmlHeading is a heading written in HTML on a line of its own.
	htmlHeading = regexp.MustCompile(`(?i)^ {0,3}<h([1-6])\b[^>]*>(.*?)</h[1-6]\s*>\s*$`)
	mdRefLink   = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	// wikiLink is Obsidian's link to a note, `[[Payment methods]]` or
	// `[[shipping#Costs|our shipping page]]`, or, with "!", its embed of
	// a file.
	wikiLink = regexp.MustCompile(`(!?)\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]`)
	// mdHighlight is a highlight (`==text==`); mdStrike struck-out
	// text (`~~£10~~ £8`), no longer so.
	mdHighlight = regexp.MustCompile(`==([^=\s](?:[^=]*[^=\s])?)==`)
	mdStrike    = regexp.MustCompile(`~~[^~]+~~[ \t]?`)
	// An HTML tag's quoted attributes may hold '>' (title="A > B").
	htmlTag     = regexp.MustCompile(`</?[a-zA-Z](?:[^>"']|"[^"]*"|'[^']*')*>`)
	mdEmphasis  = regexp.MustCompile("(\\*\\*|__|`)")
	mdItalic    = regexp.MustCompile(`(^|[^\w*])[*_]([^*_\s](?:[^*_]*[^*_\s])?)[*_]`)
	frontTitle  = regexp.MustCompile(`(?m)^title:[ \t]*["']?(.*?)["']?[ \t]*$`)
	sentenceEnd = regexp.MustCompile(`[.!?]["')\]]?\s+`)
)

// A section is the text under one heading.
type section struct {
	path   []string // heading path below the title
	anchor string   // "" for the title section
	lines  []string
}

// parseMarkdown splits a Markdown article into chunks: one section per
// heading, each cut to at most maxRunes runes, read as a documentation
// site renders it (see siteBlocks). Its error is ErrBrokenMarkup at a
// line: front matter or a comment never closed.
func parseMarkdown(name, text string, maxRunes int) ([]Chunk, error) {
	text = strings.TrimPrefix(strings.ReplaceAll(text, "\r\n", "\n"), "\uFEFF")
	rest, fm, err := cutFrontMatter(text)
	if err != nil {
		return nil, err
	}
	// Lines of the front matter come before the text's first.
	rest, err = stripComments(rest, 1+strings.Count(text[:len(text)-len(rest)], "\n"))
	if err != nil {
		return nil, err
	}
	// Indented code is read once a site's indented blocks (MkDocs tabs
	// and notes) are; MDX has none.
	lines := siteBlocks(strings.Split(htmlTables(rest), "\n"), true)
	if path.Ext(name) != ".mdx" {
		lines = indentedCode(lines)
	}
	return parseSections(name, "", frontMatterTitle(fm), lines, maxRunes), nil
}

// parseArticle splits an article that is Markdown without a site's
// syntax (a plain-text article's, an HTML one's) into chunks like
// parseMarkdown. Base is the article's own page on the web, when known
// (an export's): its relative links lead there (see resolveLink).
func parseArticle(name, base, text string, maxRunes int) []Chunk {
	text = strings.TrimPrefix(strings.ReplaceAll(text, "\r\n", "\n"), "\uFEFF")
	rest, fm, err := cutFrontMatter(text)
	if err != nil {
		rest, fm = text, "" // not front matter after all: text
	}
	return parseSections(name, base, frontMatterTitle(fm), strings.Split(htmlTables(rest), "\n"), maxRunes)
}

// frontMatterTitle returns the title front matter gives, "" for none.
func frontMatterTitle(fm string) string {
	if m := frontTitle.FindStringSubmatch(fm); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// parseSections splits the lines of an article into chunks, one section
// per heading; title is the article's unless a "#" heading gives it.
// Base is the article's page on the web, or "" (see parseArticle).
func parseSections(name, base, title string, lines []string, maxRunes int) []Chunk {
	slugs := newSlugger()
	defs := make(map[string]string) // reference links' targets
	cur := &section{}
	sections := []*section{cur}
	var stack []heading // open headings below the title
	var tabs *tabGroup  // the tab group being read, nil outside one
	inFence := ""
	start := func(level int, h string) {
		id := ""
		if m := headingAttributes.FindStringSubmatch(h); m != nil {
			h, id = h[:len(h)-len(m[0])], m[1]
		}
		h = cleanInline(h)
		if id == "" {
			id = h
		}
		anchor := slugs.slug(id)
		if level == 1 && len(stack) == 0 && (title == "" || strings.EqualFold(h, title)) {
			// The first "#" heading is the title, unless front matter
			// gave another; repeating it, it opens no section.
			if title == "" {
				title = h
			}
			return // the title section is the one already open
		}
		if tabs != nil && level < tabs.level {
			tabs = nil // a heading above the group's tabs ends it
		}
		for len(stack) > 0 && stack[len(stack)-1].level >= level {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, heading{level, h})
		cur = &section{path: headingPath(stack), anchor: anchor}
		sections = append(sections, cur)
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := fenceLine.FindStringSubmatch(line); m != nil {
			switch {
			case inFence == "":
				inFence = m[1]
			case inFence == m[1]:
				inFence = ""
			default:
				cur.lines = append(cur.lines, line)
				continue
			}
			cur.lines = append(cur.lines, CodeFence) // the language after it goes
			continue
		}
		if inFence != "" {
			cur.lines = append(cur.lines, line)
			continue
		}
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			start(len(m[1]), m[2])
			continue
		}
		if m := htmlHeading.FindStringSubmatch(line); m != nil {
			start(int(m[1][0]-'0'), m[2])
			continue
		}
		if m := linkTarget.FindStringSubmatch(line); m != nil {
			// "[1]: https://…", the target of a reference link
			defs[strings.ToLower(m[1])] = m[2]
			continue
		}
		if label, ok := strings.CutPrefix(line, tabMark); ok {
			if tabs == nil {
				tabs = openTabs(stack, cur)
			}
			stack = append(slices.Clone(tabs.stack), heading{tabs.level, label})
			cur = &section{path: headingPath(stack), anchor: tabs.within.anchor}
			sections = append(sections, cur)
			continue
		}
		if line == tabsEnd {
			if tabs != nil {
				// The text after the group is the section's again.
				stack, cur, tabs = tabs.stack, &section{path: tabs.within.path, anchor: tabs.within.anchor}, nil
				sections = append(sections, cur)
			}
			continue
		}
		// Setext heading: a paragraph line underlined by === or ---.
		if i+1 < len(lines) && strings.TrimSpace(line) != "" && !isListItem(line) && setextLine.MatchString(lines[i+1]) {
			level := 2
			if strings.Contains(lines[i+1], "=") {
				level = 1
			}
			start(level, strings.TrimSpace(line))
			i++
			continue
		}
		cur.lines = append(cur.lines, line)
	}
	if title == "" {
		title = TitleFromName(name)
	}

	var chunks []Chunk
	for _, s := range sections {
		src := name
		if s.anchor != "" {
			src += "#" + s.anchor
		}
		links := sectionLinks(name, base, s.lines, defs)
		for _, t := range splitText(plainText(s.lines), maxRunes) {
			chunks = append(chunks, Chunk{DocID: name, Title: title, Section: s.path, Source: src, Text: t, Links: linksIn(t, links)})
		}
	}
	return chunks
}

type heading struct {
	level int
	text  string
}

// headingPath returns the texts of stack's headings.
func headingPath(stack []heading) []string {
	p := make([]string, len(stack))
	for i, s := range stack {
		p[i] = s.text
	}
	return p
}

// A tabGroup is a group of tabs (Docusaurus's <Tabs>, MkDocs's "===")
// in the section within: each tab is a section below it headed by its
// label ("Clock in and out > iOS"), so that a question about the iOS app
// finds the iOS tab's text: with the tags dropped as HTML, the three apps'
// steps were one section and nothing in it said which was which. A tab's
// anchor is its section's: a site's tabs have none of their own.
type tabGroup struct {
	stack  []heading // the headings open at the group
	within *section
	level  int // the level of the tabs' headings
}

func openTabs(stack []heading, cur *section) *tabGroup {
	level := 1 // the title's
	if len(stack) > 0 {
		level = stack[len(stack)-1].level
	}
	return &tabGroup{stack: slices.Clone(stack), within: cur, level: level + 1}
}

func isListItem(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ")
}

// cleanInline removes Markdown inline markup: links keep their text
// (Obsidian's [[wiki links]] too), images their alt text; emphasis,
// highlights, code ticks and HTML tags go (a tag that ends a block leaves
// a space), struck-out text goes, HTML entities are decoded, and a
// backslash-escaped character is the character ("\*" an asterisk, not
// emphasis).
func cleanInline(s string) string {
	s = hideEscapes(s)
	s = wikiLink.ReplaceAllStringFunc(s, wikiText)
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdRefLink.ReplaceAllString(s, "$1")
	s = htmlBreak.ReplaceAllString(s, " ")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = mdEmphasis.ReplaceAllString(s, "")
	s = mdItalic.ReplaceAllString(s, "$1$2")
	s = mdHighlight.ReplaceAllString(s, "$1")
	s = mdStrike.ReplaceAllString(s, "")
	return restoreEscapes(strings.TrimSpace(s))
}

// wikiText is the text a wiki link shows: its alias, else the note it
// names ("shipping#Costs" shows "shipping > Costs"); an embedded file
// shows nothing.
func wikiText(m string) string {
	g := wikiLink.FindStringSubmatch(m)
	switch {
	case g[1] == "!":
		return ""
	case strings.TrimSpace(g[3]) != "":
		return strings.TrimSpace(g[3])
	}
	note, heading, _ := strings.Cut(g[2], "#")
	if note = strings.TrimSpace(note); heading != "" {
		if note == "" {
			return strings.TrimSpace(heading)
		}
		return note + " > " + strings.TrimSpace(heading)
	}
	return note
}

// escapeBase is where hideEscapes puts an escaped character: ASCII
// punctuation shifted into Unicode's private use area, which no rule
// of markup matches.
const escapeBase = 0xE000

// hideEscapes turns CommonMark's backslash escapes ("\*", "\.", "\(")
// into private-use characters, so that the markup rules leave them
// alone: exporters that write Markdown (Google Docs, Notion, Obsidian,
// pandoc) escape punctuation, and "\*Returns\*" became "\Returns\",
// "3\.95" kept its backslash. A code span's backslashes are its text,
// and an escaped pipe stays escaped, a pipe inside a table cell.
func hideEscapes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	code := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '`' {
			code = !code
		}
		if c == '\\' && !code && i+1 < len(s) && s[i+1] != '|' && strings.IndexByte(asciiPunct, s[i+1]) >= 0 {
			i++
			b.WriteRune(escapeBase + rune(s[i]))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// restoreEscapes turns what hideEscapes hid back into the characters.
func restoreEscapes(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= escapeBase && r < escapeBase+128 {
			return r - escapeBase
		}
		return r
	}, s)
}

// asciiPunct are the characters a backslash escapes in CommonMark.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// CodeFence opens and closes a code block in a chunk's text: its lines
// are kept as written, each a line of its own.
const CodeFence = "```"

// plainText turns the lines of a section into plain paragraphs separated
// by blank lines. List items and table rows keep a line each.
func plainText(lines []string) string {
	var b strings.Builder
	blank, row, code := true, false, false
	brk := false // the line before ended in a hard line break
	for _, line := range pipeTables(lines) {
		if line == CodeFence || code {
			// A code block stays lines of their own, as written,
			// between fences ("curl …\", then "  -H …"): joined into one
			// line, a command pasted from a reply no longer ran.
			if line == CodeFence {
				code = !code
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !blank {
				b.WriteString("\n")
			}
			b.WriteString(strings.TrimRight(line, " \t"))
			blank, row = false, true // what follows starts a line
			continue
		}
		if tableRule.MatchString(line) && strings.Contains(line, "-") && strings.TrimSpace(line) != "" {
			continue
		}
		t := strings.TrimSpace(line)
		t = strings.TrimSpace(strings.TrimLeft(t, ">"))
		if t == "" {
			if !blank {
				b.WriteString("\n\n")
				blank = true
			}
			continue
		}
		if !blank {
			// A line after a table row is not part of the row, nor
			// one after a hard line break (an HTML article's <br>).
			if isListItem(t) || strings.HasPrefix(t, "|") || startsNumbered(t) || row || brk {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		}
		// A backslash at the end of a line is CommonMark's hard line
		// break, which the HTML reader writes for a <br>.
		t, brk = strings.CutSuffix(t, `\`)
		b.WriteString(cleanInline(t))
		blank, row = false, strings.HasPrefix(t, "|")
	}
	return strings.TrimSpace(b.String())
}

// pipeTables returns lines with the rows of every table written with
// outer pipes ("| a | b |"), the form the rest of the pipeline reads as a
// table row. GitHub's tables may leave them out ("a | b", then "--- | ---"):
// a table is a line with a pipe followed by a delimiter row with one,
// and its rows run to the first line without a pipe.
func pipeTables(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		if i+1 >= len(lines) || !strings.Contains(lines[i], "|") || !isDelimiterRow(lines[i+1]) {
			continue
		}
		if out == nil {
			out = slices.Clone(lines)
		}
		out[i] = pipeRow(lines[i])
		j := i + 2
		for ; j < len(lines) && strings.Contains(lines[j], "|"); j++ {
			out[j] = pipeRow(lines[j])
		}
		if j > i+2 {
			if merged, ok := mergeHeader(out[i], out[i+2]); ok {
				out[i], out[i+2] = merged, droppedLine
			}
		}
		i = j - 1
	}
	if out == nil {
		return lines
	}
	return slices.DeleteFunc(out, func(l string) bool { return l == droppedLine })
}

// droppedLine marks a line pipeTables leaves out.
const droppedLine = "\x00dropped"

// mergeHeader reads a two-row table header: a row of group labels with
// gaps ("| | Interest rate | | Example |") above the delimiter, then a row
// of bold column labels ("| **Band** | **EAR** | **Daily cost** | …"),
// which Markdown can only write as the first body row. It returns the
// one header row they make ("| Band | Interest rate, EAR | Daily cost |
// …"): read as a data row, the bold labels were an answer, and the rows
// under it were named by the group labels, half of them empty.
func mergeHeader(groups, labels string) (string, bool) {
	g, l := rowCells(groups), rowCells(labels)
	if len(g) != len(l) || !slices.Contains(g, "") {
		return "", false
	}
	bold := 0
	for _, c := range l {
		switch {
		case c == "":
		case len(c) > 4 && strings.HasPrefix(c, "**") && strings.HasSuffix(c, "**"):
			bold++
		default:
			return "", false
		}
	}
	if bold == 0 {
		return "", false
	}
	cells := make([]string, len(g))
	for k := range g {
		label := strings.TrimSuffix(strings.TrimPrefix(l[k], "**"), "**")
		switch {
		case g[k] == "":
			cells[k] = label
		case label == "":
			cells[k] = g[k]
		default:
			cells[k] = g[k] + ", " + label
		}
	}
	return "| " + strings.Join(cells, " | ") + " |", true
}

// rowCells returns the trimmed cells of a row written with outer pipes.
func rowCells(row string) []string {
	cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(row), "|"), "|"), "|")
	for k, c := range cells {
		cells[k] = strings.TrimSpace(c)
	}
	return cells
}

// isDelimiterRow reports whether line is a table's delimiter row
// ("|---|:--:|" or "--- | ---").
func isDelimiterRow(line string) bool {
	return strings.Contains(line, "|") && strings.Contains(line, "-") && tableRule.MatchString(line)
}

// pipeRow writes a table row with outer pipes.
func pipeRow(line string) string {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "|") {
		t = "| " + t
	}
	if !strings.HasSuffix(t, "|") {
		t += " |"
	}
	return t
}

// indentedCode rewrites CommonMark's indented code blocks as fenced ones:
// a run of lines indented by four spaces or a tab, after a blank line,
// that does not continue a list item (whose text is indented too) or
// hold markup. Read as prose, a command written so lost its line breaks
// and was quoted up to its first backslash.
func indentedCode(lines []string) []string {
	out := make([]string, 0, len(lines))
	fence := ""
	blankBefore, inList := true, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := fenceLine.FindStringSubmatch(l); m != nil && (fence == "" || m[1] == fence) {
			if fence == "" {
				fence = m[1]
			} else {
				fence = ""
			}
		}
		blank := strings.TrimSpace(l) == ""
		if fence == "" && blankBefore && !inList && codeIndent(l) && !strings.HasPrefix(strings.TrimSpace(l), "<") {
			body, next := indented(lines, i)
			for body[len(body)-1] == "" {
				body, next = body[:len(body)-1], next-1 // blank lines after the block are not its
			}
			out = append(append(append(out, CodeFence), body...), CodeFence)
			i, blankBefore = next-1, false
			continue
		}
		if fence == "" && !blank && !codeIndent(l) {
			t := strings.TrimSpace(l)
			inList = isListItem(l) || startsNumbered(t)
		}
		out = append(out, l)
		blankBefore = blank
	}
	return out
}

// codeIndent reports whether line l, not blank, is indented as code:
// four spaces or a tab.
func codeIndent(l string) bool {
	return strings.TrimSpace(l) != "" && (strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t"))
}

func startsNumbered(t string) bool {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i < len(t) && (t[i] == '.' || t[i] == ')')
}

// chunking names the way articles are cut into chunks; change it when
// that changes (see fingerprint).
const chunking = "site-syntax+html-layout-tables+indented-code+link-parentheses+export-links+reference-links+faq-markdown+markdown-escapes+gitbook-obsidian+jsx-titles+summary-break+qa-marks+accordion-buttons"

// splitText cuts text into pieces of at most maxRunes runes, packing whole
// paragraphs greedily, then lines of a paragraph that is too long (list
// items and table rows, each table piece under its table's header row),
// then sentences of a line that is too long, then words of a sentence
// that is too long, then runes of a word.
func splitText(text string, maxRunes int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if utf8.RuneCountInString(text) <= maxRunes {
		return []string{text}
	}
	var units []string // pieces no longer than maxRunes, with their separator
	var seps []string
	for _, para := range strings.Split(text, "\n\n") {
		for i, s := range splitLines(strings.TrimSpace(para), maxRunes) {
			units = append(units, s.text)
			switch {
			case i == 0:
				seps = append(seps, "\n\n")
			case s.newLine:
				seps = append(seps, "\n")
			default:
				seps = append(seps, " ")
			}
		}
	}
	var out []string
	var cur strings.Builder
	n := 0
	for i, u := range units {
		un := utf8.RuneCountInString(u)
		if n > 0 && n+len(seps[i])+un > maxRunes {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteString(seps[i])
			n += len(seps[i])
		}
		cur.WriteString(u)
		n += un
	}
	if n > 0 {
		out = append(out, cur.String())
	}
	return out
}

// A piece is a part of a paragraph no longer than maxRunes; newLine says
// it begins a line of the paragraph (a list item or table row) rather
// than continuing one.
type piece struct {
	text    string
	newLine bool
}

// splitLines cuts one paragraph into its lines, so that a long list or
// table keeps an item or row a line, and each line into splitUnit's
// pieces. A table's rows are packed under a copy of its header row, so
// that every piece of a table still says what its columns are.
func splitLines(p string, maxRunes int) []piece {
	if utf8.RuneCountInString(p) <= maxRunes {
		return []piece{{p, true}}
	}
	lines := strings.Split(p, "\n")
	var out []piece
	for i := 0; i < len(lines); {
		j := max(tableEnd(lines, i), i+1)
		if j > i+1 {
			if rows := packRows(lines[i], lines[i+1:j], maxRunes); rows != nil {
				out = append(out, rows...)
				i = j
				continue
			}
		}
		for _, l := range lines[i:j] {
			for k, s := range splitUnit(l, maxRunes) {
				out = append(out, piece{s, k == 0})
			}
		}
		i = j
	}
	return out
}

// tableEnd returns the end of the run of table rows that begins at
// lines[i]: i when lines[i] is not a row.
func tableEnd(lines []string, i int) int {
	j := i
	for j < len(lines) && strings.HasPrefix(lines[j], "|") {
		j++
	}
	return j
}

// packRows packs rows into pieces of at most maxRunes runes, each
// beginning with header; nil when a row does not fit under the header.
func packRows(header string, rows []string, maxRunes int) []piece {
	hn := utf8.RuneCountInString(header)
	var out []piece
	var cur strings.Builder
	n := 0
	for _, r := range rows {
		rn := utf8.RuneCountInString(r)
		if hn+1+rn > maxRunes {
			return nil
		}
		if n > 0 && n+1+rn > maxRunes {
			out = append(out, piece{cur.String(), true})
			cur.Reset()
			n = 0
		}
		if n == 0 {
			cur.WriteString(header)
			n = hn
		}
		cur.WriteString("\n" + r)
		n += 1 + rn
	}
	if n > 0 {
		out = append(out, piece{cur.String(), true})
	}
	return out
}

// splitUnit cuts one line into sentences, words or runes until every
// piece fits in maxRunes.
func splitUnit(p string, maxRunes int) []string {
	if utf8.RuneCountInString(p) <= maxRunes {
		return []string{p}
	}
	var pieces []string
	last := 0
	for _, m := range sentenceEnd.FindAllStringIndex(p, -1) {
		pieces = append(pieces, strings.TrimSpace(p[last:m[1]]))
		last = m[1]
	}
	if last < len(p) {
		pieces = append(pieces, strings.TrimSpace(p[last:]))
	}
	if len(pieces) == 1 {
		pieces = strings.Fields(p)
		if len(pieces) == 1 {
			return splitRunes(p, maxRunes)
		}
	}
	var out []string
	for _, s := range pieces {
		if utf8.RuneCountInString(s) > maxRunes {
			out = append(out, splitUnit(s, maxRunes)...)
		} else if s != "" {
			out = append(out, s)
		}
	}
	return packSpace(out, maxRunes)
}

// packSpace joins consecutive pieces with spaces while they fit.
func packSpace(pieces []string, maxRunes int) []string {
	var out []string
	cur, n := "", 0
	for _, p := range pieces {
		pn := utf8.RuneCountInString(p)
		if n > 0 && n+1+pn > maxRunes {
			out = append(out, cur)
			cur, n = "", 0
		}
		if n > 0 {
			cur += " "
			n++
		}
		cur += p
		n += pn
	}
	if n > 0 {
		out = append(out, cur)
	}
	return out
}

func splitRunes(s string, maxRunes int) []string {
	var out []string
	for s != "" {
		i, n := 0, 0
		for i < len(s) && n < maxRunes {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// A slugger makes GitHub-style heading anchors, unique within one file:
// lowercase, punctuation removed, spaces to hyphens, and "-1", "-2"... for
// repeats.
type slugger struct{ seen map[string]int }

func newSlugger() *slugger { return &slugger{seen: map[string]int{}} }

func (s *slugger) slug(heading string) string {
	base := slugify(heading)
	n, dup := s.seen[base]
	s.seen[base] = n + 1
	if !dup {
		return base
	}
	for {
		cand := base + "-" + strconv.Itoa(n)
		if _, taken := s.seen[cand]; !taken {
			s.seen[cand] = 1
			return cand
		}
		n++
	}
}

// slugify is GitHub's anchor rule for one heading.
func slugify(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_' || r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

package knowledge

import (
	"strconv"
	"strings"
)

// An officeWriter writes an office document (Word's .docx, OpenDocument's
// .odt) as the Markdown the loader reads, told by a reader of the
// document's XML what it meets: paragraphs (a heading's level, a list
// item's list and level), their text, links, line breaks and tables.
type officeWriter struct {
	// Set by the reader from the document's styles.
	headings map[string]int    // paragraph style → heading level
	lists    map[string]string // paragraph style → the list its paragraphs are items of ("List Bullet")
	links    map[string]string // relationship id → web page (Word's hyperlinks)
	ordered  map[string]bool   // "list/level" → numbered rather than bulleted
	counters map[string]int    // the last number of each numbered list level, by "list/level"

	out     strings.Builder
	written bool // out holds a block
	inList  bool // the last block written is a list item

	// The paragraph being read: its text, heading level (0 for none),
	// and the list it is an item of ("" for none) at level (0 the
	// outermost).
	para    strings.Builder
	heading int
	list    string
	level   int
	outer   []outerPara // the paragraphs a text box's paragraph is in
	skip    int         // inside what is not text: deleted or moved-away text, a text box's fallback copy, a comment

	// The hyperlink being read, if any: its words and target.
	link   strings.Builder
	href   string
	inLink bool

	// Tables: depth > 1 is a table in a cell, read as the cell's text.
	depth int
	cell  strings.Builder
	row   []string
	rows  [][]string
}

// An outerPara is what was read of a paragraph when a text box's
// paragraph began inside it.
type outerPara struct {
	text    string
	heading int
	list    string
	level   int
}

func newOfficeWriter(ordered map[string]bool) *officeWriter {
	return &officeWriter{ordered: ordered, counters: make(map[string]int)}
}

// openPara begins a paragraph. One in a paragraph is a text box's: it
// is written as its own, and the one around it goes on after it.
func (w *officeWriter) openPara() {
	w.outer = append(w.outer, outerPara{w.para.String(), w.heading, w.list, w.level})
	w.para.Reset()
	w.heading, w.list, w.level = 0, "", 0
}

// closePara writes the paragraph and goes back to the one around it.
func (w *officeWriter) closePara() {
	w.paragraph()
	if n := len(w.outer); n > 0 {
		o := w.outer[n-1]
		w.outer = w.outer[:n-1]
		w.para.WriteString(o.text)
		w.heading, w.list, w.level = o.heading, o.list, o.level
	}
}

// text adds characters to the paragraph, or to the link being read.
func (w *officeWriter) text(s string) {
	switch {
	case w.skip > 0:
	case w.inLink:
		w.link.WriteString(s)
	default:
		w.para.WriteString(s)
	}
}

func (w *officeWriter) openLink(href string) {
	w.inLink, w.href = true, href
	w.link.Reset()
}

// closeLink adds the link's words, as a Markdown link to a web page or
// an e-mail address, and as words for any other target.
func (w *officeWriter) closeLink() {
	w.inLink = false
	text := w.link.String()
	if strings.TrimSpace(text) != "" && (strings.HasPrefix(w.href, "http://") || strings.HasPrefix(w.href, "https://") || strings.HasPrefix(w.href, "mailto:")) {
		text = "[" + text + "](" + w.href + ")"
	}
	w.text(text)
}

func (w *officeWriter) openTable() {
	w.depth++
	if w.depth == 1 {
		w.rows = nil
	}
}

func (w *officeWriter) openRow() {
	if w.depth == 1 {
		w.row = nil
	}
}

func (w *officeWriter) openCell() {
	if w.depth == 1 {
		w.cell.Reset()
	}
}

func (w *officeWriter) closeCell() {
	if w.depth == 1 {
		w.row = append(w.row, strings.TrimSpace(w.cell.String()))
	}
}

func (w *officeWriter) closeRow() {
	if w.depth == 1 {
		w.rows = append(w.rows, w.row)
	}
}

func (w *officeWriter) closeTable() {
	if w.depth == 1 {
		w.table()
	}
	w.depth--
}

// paragraph writes the paragraph just read, as a heading, a list item or
// text; in a table, it joins its cell's text.
func (w *officeWriter) paragraph() {
	text := strings.TrimSpace(w.para.String())
	heading, list, level := w.heading, w.list, w.level
	w.para.Reset()
	w.heading, w.list, w.level = 0, "", 0
	if w.depth > 0 {
		if text != "" {
			if w.cell.Len() > 0 {
				w.cell.WriteString(" ")
			}
			w.cell.WriteString(strings.Join(strings.Fields(text), " "))
		}
		return
	}
	if text == "" {
		return
	}
	if heading > 0 {
		w.block(strings.Repeat("#", min(heading, 6)) + " " + strings.Join(strings.Fields(text), " "))
		return
	}
	if list != "" && list != "0" {
		w.item(list, level, strings.Join(strings.Fields(text), " "))
		return
	}
	// A line break in a paragraph ("Phone: …", "E-mail: …") is
	// CommonMark's hard break, a line of its own.
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	w.block(strings.Join(lines, "\\\n"))
}

// item writes a list item of list at level (0 the outermost): numbered
// as the document numbers it, where a list goes on after a paragraph
// between its items and a deeper level starts again under each item.
func (w *officeWriter) item(list string, level int, text string) {
	depth := max(0, min(level, 8))
	for l := depth + 1; l < 9; l++ {
		delete(w.counters, list+"/"+strconv.Itoa(l))
	}
	marker := "- "
	if key := list + "/" + strconv.Itoa(depth); w.ordered[key] {
		w.counters[key]++
		marker = strconv.Itoa(w.counters[key]) + ". "
	}
	if w.written {
		if w.inList {
			w.out.WriteString("\n")
		} else {
			w.out.WriteString("\n\n")
		}
	}
	w.out.WriteString(strings.Repeat("  ", depth) + marker + text)
	w.written, w.inList = true, true
}

// block writes a heading or paragraph, a blank line before it.
func (w *officeWriter) block(s string) {
	if w.written {
		w.out.WriteString("\n\n")
	}
	w.out.WriteString(s)
	w.written, w.inList = true, false
}

// table writes the table just read. A table of one column, which
// documents use as a box around a note, is its paragraphs.
func (w *officeWriter) table() {
	cols := 0
	for _, r := range w.rows {
		cols = max(cols, len(r))
	}
	if cols == 1 {
		for _, r := range w.rows {
			if r[0] != "" {
				w.block(r[0])
			}
		}
		return
	}
	if cols == 0 {
		return
	}
	var b strings.Builder
	for i, r := range w.rows {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("|")
		for c := range cols {
			cell := ""
			if c < len(r) {
				cell = strings.ReplaceAll(r[c], "|", "/")
			}
			b.WriteString(" " + cell + " |")
		}
		if i == 0 {
			b.WriteString("\n|" + strings.Repeat("---|", cols))
		}
	}
	w.block(b.String())
}

package knowledge

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrInvalidDocument is a .docx or .odt file that is no such document:
// not a zip archive, or one without a readable document part
// (word/document.xml, content.xml).
var ErrInvalidDocument = errors.New("knowledge: invalid Word or OpenDocument file")

// maxOfficePart bounds what one part of an office archive (.docx, .odt,
// .xlsx) may unpack to: a file of a few hundred kilobytes must not unpack
// to gigabytes.
const maxOfficePart = 32 << 20

// openDocument opens an office document's archive and reads its main
// part (word/document.xml, content.xml).
func openDocument(data []byte, main string) (*zip.Reader, []byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	part, err := zipPart(zr, main)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	return zr, part, nil
}

// zipPart returns the unpacked part name of an Office archive (a Word
// document, an Excel workbook); a missing part is an error.
func zipPart(zr *zip.Reader, name string) ([]byte, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxOfficePart+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if len(b) > maxOfficePart {
			return nil, fmt.Errorf("%s unpacks to more than %d MiB", name, maxOfficePart>>20)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no %s in it", name)
}

// xmlAttr returns the value of the attribute of start with the local name
// local (w:val, r:id), whatever its namespace.
func xmlAttr(start xml.StartElement, local string) string {
	for _, a := range start.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// eachStart calls fn with each start element of the XML part data, up to
// the end or the first error: the optional parts are read as far as
// they can be.
func eachStart(data []byte, fn func(xml.StartElement)) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		if start, ok := tok.(xml.StartElement); ok {
			fn(start)
		}
	}
}

// walkXML reads a document part to its end, telling start, end and
// chars of its elements and characters in order; it fails on XML that
// is not well formed.
func walkXML(part []byte, start func(xml.StartElement), end func(name string), chars func([]byte)) error {
	d := xml.NewDecoder(bytes.NewReader(part))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			start(t)
		case xml.EndElement:
			end(t.Name.Local)
		case xml.CharData:
			chars(t)
		}
	}
}

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

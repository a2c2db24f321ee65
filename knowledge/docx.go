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

// ErrInvalidDocument is a .docx file that is no Word document: not a
// zip archive, or one without a readable word/document.xml.
var ErrInvalidDocument = errors.New("knowledge: invalid Word document")

// maxDocxPart bounds what one part of a .docx or .xlsx archive may
// unpack to: a file of a few hundred kilobytes must not unpack to
// gigabytes.
const maxDocxPart = 32 << 20

// docxArticle returns a Word document (.docx) as the Markdown the loader
// reads: a paragraph in a heading style ("Heading 2", or any style with
// an outline level) is a heading of its level and "Title" the article's
// title, a numbered or bulleted paragraph a list item (numbered as Word
// numbers it), a table a table, a hyperlink to a web page a link, and a
// line break a line of its own. Deleted text of tracked changes is left
// out; field codes are not text.
func docxArticle(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	doc, err := zipPart(zr, "word/document.xml")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	// Styles, numbering and links are optional parts; without them
	// the text is still read.
	styles, _ := zipPart(zr, "word/styles.xml")
	numbering, _ := zipPart(zr, "word/numbering.xml")
	rels, _ := zipPart(zr, "word/_rels/document.xml.rels")
	headings, lists := docxStyles(styles)
	w := &docxWriter{
		headings: headings,
		lists:    lists,
		ordered:  docxOrdered(numbering),
		links:    docxLinks(rels),
		counters: make(map[string]int),
	}
	if err := w.read(doc); err != nil {
		return "", fmt.Errorf("%w: word/document.xml: %v", ErrInvalidDocument, err)
	}
	return w.out.String(), nil
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
		b, err := io.ReadAll(io.LimitReader(rc, maxDocxPart+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if len(b) > maxDocxPart {
			return nil, fmt.Errorf("%s unpacks to more than %d MiB", name, maxDocxPart>>20)
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

// docxStyles reads the paragraph styles: the heading level of each
// style id, from "heading N" (the built-in styles keep their English
// names whatever Word's language, while their ids are translated: German
// Word's is "berschrift1"), "Title" as level 1, an outline level, or the
// style it is based on; and
// the list (numId) a style's paragraphs are items of, as Word's "List
// Bullet" and "List Number" styles number their paragraphs themselves,
// without a numPr of their own.
func docxStyles(styles []byte) (levels map[string]int, lists map[string]string) {
	levels, lists = make(map[string]int), make(map[string]string)
	based := make(map[string]string) // a style's parent: w:basedOn
	id := ""
	eachStart(styles, func(start xml.StartElement) {
		switch start.Name.Local {
		case "style":
			id = xmlAttr(start, "styleId")
		case "basedOn":
			based[id] = xmlAttr(start, "val")
		case "name":
			name := strings.ToLower(xmlAttr(start, "val"))
			if n, ok := strings.CutPrefix(name, "heading "); ok {
				if lvl, err := strconv.Atoi(n); err == nil && lvl >= 1 && lvl <= 6 {
					levels[id] = lvl
				}
			} else if name == "title" {
				levels[id] = 1
			}
		case "outlineLvl":
			if lvl, err := strconv.Atoi(xmlAttr(start, "val")); err == nil && lvl >= 0 && lvl < 6 && levels[id] == 0 {
				levels[id] = lvl + 1
			}
		case "numId":
			lists[id] = xmlAttr(start, "val")
		}
	})
	// A style based on a heading ("Policy heading", based on Heading 2)
	// is that heading, unless it says otherwise; so for lists.
	for id := range based {
		p, seen := id, 0
		for levels[id] == 0 && seen < 10 {
			if p = based[p]; p == "" {
				break
			}
			levels[id] = levels[p]
			seen++
		}
		p, seen = id, 0
		for lists[id] == "" && seen < 10 {
			if p = based[p]; p == "" {
				break
			}
			lists[id] = lists[p]
			seen++
		}
	}
	return levels, lists
}

// docxOrdered maps a list's numId and level ("3/0") to whether its items
// are numbered rather than bulleted.
func docxOrdered(numbering []byte) map[string]bool {
	abstract := make(map[string]bool) // "abstractNumId/ilvl" → numbered
	numAbstract := make(map[string]string)
	var absID, lvl, numID string
	eachStart(numbering, func(start xml.StartElement) {
		switch start.Name.Local {
		case "abstractNum":
			absID = xmlAttr(start, "abstractNumId")
		case "lvl":
			lvl = xmlAttr(start, "ilvl")
		case "numFmt":
			f := xmlAttr(start, "val")
			abstract[absID+"/"+lvl] = f != "bullet" && f != "none"
		case "num":
			numID = xmlAttr(start, "numId")
		case "abstractNumId":
			numAbstract[numID] = xmlAttr(start, "val")
		}
	})
	ordered := make(map[string]bool)
	for num, abs := range numAbstract {
		for l := range 9 {
			ordered[num+"/"+strconv.Itoa(l)] = abstract[abs+"/"+strconv.Itoa(l)]
		}
	}
	return ordered
}

// docxLinks maps relationship ids to the web pages they link.
func docxLinks(rels []byte) map[string]string {
	links := make(map[string]string)
	eachStart(rels, func(start xml.StartElement) {
		if start.Name.Local == "Relationship" && xmlAttr(start, "TargetMode") == "External" {
			links[xmlAttr(start, "Id")] = xmlAttr(start, "Target")
		}
	})
	return links
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

// A docxWriter turns document.xml into Markdown.
type docxWriter struct {
	headings map[string]int
	lists    map[string]string // style id → the list its paragraphs are items of ("List Bullet")
	ordered  map[string]bool
	links    map[string]string
	counters map[string]int // the last number of each numbered list level, by "numId/ilvl"

	out     strings.Builder
	written bool // out holds a block
	inList  bool // the last block written is a list item

	// The paragraph being read: its text, style and list ("" for none).
	para              strings.Builder
	style, num, level string
	inText            bool        // inside w:t
	outer             []outerPara // the paragraphs a text box's paragraph is in
	skip              int         // inside what is not text: deleted or moved-away text, a text box's fallback copy

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
type outerPara struct{ text, style, num, level string }

func (w *docxWriter) read(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
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
			w.start(t)
		case xml.EndElement:
			w.end(t.Name.Local)
		case xml.CharData:
			if w.inText && w.skip == 0 {
				w.text(string(t))
			}
		}
	}
}

func (w *docxWriter) start(t xml.StartElement) {
	switch t.Name.Local {
	case "p":
		// A paragraph in a paragraph is a text box's: it is written
		// as its own, and the one around it goes on after it.
		w.outer = append(w.outer, outerPara{w.para.String(), w.style, w.num, w.level})
		w.para.Reset()
		w.style, w.num, w.level = "", "", ""
	case "del", "moveFrom", "Fallback":
		w.skip++
	case "t":
		w.inText = true
	case "tab":
		w.text(" ")
	case "br", "cr":
		if xmlAttr(t, "type") != "page" {
			w.text("\n")
		}
	case "pStyle":
		w.style = xmlAttr(t, "val")
	case "numId":
		w.num = xmlAttr(t, "val")
	case "ilvl":
		w.level = xmlAttr(t, "val")
	case "hyperlink":
		w.inLink, w.href = true, w.links[xmlAttr(t, "id")]
		w.link.Reset()
	case "tbl":
		w.depth++
		if w.depth == 1 {
			w.rows = nil
		}
	case "tr":
		if w.depth == 1 {
			w.row = nil
		}
	case "tc":
		if w.depth == 1 {
			w.cell.Reset()
		}
	}
}

func (w *docxWriter) end(name string) {
	switch name {
	case "del", "moveFrom", "Fallback":
		w.skip--
	case "t":
		w.inText = false
	case "hyperlink":
		w.inLink = false
		text := w.link.String()
		if strings.TrimSpace(text) != "" && (strings.HasPrefix(w.href, "http://") || strings.HasPrefix(w.href, "https://") || strings.HasPrefix(w.href, "mailto:")) {
			text = "[" + text + "](" + w.href + ")"
		}
		w.para.WriteString(text)
	case "p":
		w.paragraph()
		if n := len(w.outer); n > 0 {
			o := w.outer[n-1]
			w.outer = w.outer[:n-1]
			w.para.WriteString(o.text)
			w.style, w.num, w.level = o.style, o.num, o.level
		}
	case "tc":
		if w.depth == 1 {
			w.row = append(w.row, strings.TrimSpace(w.cell.String()))
		}
	case "tr":
		if w.depth == 1 {
			w.rows = append(w.rows, w.row)
		}
	case "tbl":
		if w.depth == 1 {
			w.table()
		}
		w.depth--
	}
}

func (w *docxWriter) text(s string) {
	if w.inLink {
		w.link.WriteString(s)
	} else {
		w.para.WriteString(s)
	}
}

// paragraph writes the paragraph just read, as a heading, a list item or
// text; in a table, it joins its cell's text.
func (w *docxWriter) paragraph() {
	text := strings.TrimSpace(w.para.String())
	style, num, level := w.style, w.num, w.level
	w.para.Reset()
	w.style, w.num, w.level = "", "", ""
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
	if lvl := w.headings[style]; lvl > 0 {
		w.block(strings.Repeat("#", lvl) + " " + strings.Join(strings.Fields(text), " "))
		return
	}
	if num == "" {
		num = w.lists[style]
	}
	if num != "" && num != "0" {
		w.item(num, level, strings.Join(strings.Fields(text), " "))
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

// item writes a list item of list num at level (Word's ilvl, "0" the
// outermost): numbered as Word numbers it, where a list goes on after a
// paragraph between its items and a deeper level starts again under
// each item.
func (w *docxWriter) item(num, level, text string) {
	depth, _ := strconv.Atoi(level)
	depth = max(0, min(depth, 8))
	for l := depth + 1; l < 9; l++ {
		delete(w.counters, num+"/"+strconv.Itoa(l))
	}
	marker := "- "
	if key := num + "/" + strconv.Itoa(depth); w.ordered[key] {
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
func (w *docxWriter) block(s string) {
	if w.written {
		w.out.WriteString("\n\n")
	}
	w.out.WriteString(s)
	w.written, w.inList = true, false
}

// table writes the table just read. A table of one column, which Word
// documents use as a box around a note, is its paragraphs.
func (w *docxWriter) table() {
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

package knowledge

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// docxArticle returns a Word document (.docx) as the Markdown the loader
// reads: a paragraph in a heading style ("Heading 2", or any style with
// an outline level) is a heading of its level and "Title" the article's
// title, a numbered or bulleted paragraph a list item (numbered as Word
// numbers it), a table a table, a hyperlink to a web page a link, and a
// line break a line of its own. Deleted text of tracked changes is left
// out; field codes are not text.
func docxArticle(data []byte) (string, error) {
	zr, doc, err := openDocument(data, "word/document.xml")
	if err != nil {
		return "", err
	}
	// Styles, numbering and links are optional parts; without them
	// the text is still read.
	styles, _ := zipPart(zr, "word/styles.xml")
	numbering, _ := zipPart(zr, "word/numbering.xml")
	rels, _ := zipPart(zr, "word/_rels/document.xml.rels")
	headings, lists := docxStyles(styles)
	w := newOfficeWriter(docxOrdered(numbering))
	w.headings, w.lists, w.links = headings, lists, docxLinks(rels)
	if err := (&docxReader{officeWriter: w}).read(doc); err != nil {
		return "", fmt.Errorf("%w: word/document.xml: %v", ErrInvalidDocument, err)
	}
	return w.out.String(), nil
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

// A docxReader reads document.xml into an officeWriter.
type docxReader struct {
	*officeWriter
	inText bool // inside w:t, whose characters are the text
}

func (r *docxReader) read(doc []byte) error {
	return walkXML(doc, r.start, r.end, func(t []byte) {
		if r.inText {
			r.text(string(t))
		}
	})
}

func (r *docxReader) start(t xml.StartElement) {
	w := r.officeWriter
	switch t.Name.Local {
	case "p":
		w.openPara()
	case "del", "moveFrom", "Fallback":
		w.skip++
	case "t":
		r.inText = true
	case "tab":
		w.text(" ")
	case "br", "cr":
		if xmlAttr(t, "type") != "page" {
			w.text("\n")
		}
	case "pStyle":
		w.heading = w.headings[xmlAttr(t, "val")]
		if w.list == "" {
			w.list = w.lists[xmlAttr(t, "val")]
		}
	case "numId":
		w.list = xmlAttr(t, "val")
	case "ilvl":
		w.level, _ = strconv.Atoi(xmlAttr(t, "val"))
	case "hyperlink":
		w.openLink(w.links[xmlAttr(t, "id")])
	case "tbl":
		w.openTable()
	case "tr":
		w.openRow()
	case "tc":
		w.openCell()
	}
}

func (r *docxReader) end(name string) {
	w := r.officeWriter
	switch name {
	case "del", "moveFrom", "Fallback":
		w.skip--
	case "t":
		r.inText = false
	case "hyperlink":
		w.closeLink()
	case "p":
		w.closePara()
	case "tc":
		w.closeCell()
	case "tr":
		w.closeRow()
	case "tbl":
		w.closeTable()
	}
}

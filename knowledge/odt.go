package knowledge

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// odtArticle returns an OpenDocument text (.odt, LibreOffice Writer's
// format) as the Markdown the loader reads, as docxArticle does a Word
// document: a heading (text:h) is a heading of its outline level, a list
// a list (numbered or bulleted as its list style says), a table a table,
// a link to a web page a link, and a line break a line of its own.
// Tracked changes' deleted text, comments and footnotes are left out.
func odtArticle(data []byte) (string, error) {
	zr, content, err := openDocument(data, "content.xml")
	if err != nil {
		return "", err
	}
	styles, _ := zipPart(zr, "styles.xml") // the named list styles; optional
	w := newOfficeWriter(odtOrdered(content, styles))
	if err := (&odtReader{officeWriter: w}).read(content); err != nil {
		return "", fmt.Errorf("%w: content.xml: %v", ErrInvalidDocument, err)
	}
	return w.out.String(), nil
}

// odtOrdered maps a list style and level ("L1/0") to whether its items
// are numbered rather than bulleted.
func odtOrdered(parts ...[]byte) map[string]bool {
	ordered := make(map[string]bool)
	for _, part := range parts {
		style := ""
		eachStart(part, func(start xml.StartElement) {
			switch start.Name.Local {
			case "list-style":
				style = xmlAttr(start, "name")
			case "list-level-style-number", "list-level-style-bullet", "list-level-style-image":
				if lvl, err := strconv.Atoi(xmlAttr(start, "level")); err == nil && lvl >= 1 {
					ordered[style+"/"+strconv.Itoa(lvl-1)] = start.Name.Local == "list-level-style-number"
				}
			}
		})
	}
	return ordered
}

// An odtReader reads content.xml into an officeWriter.
type odtReader struct {
	*officeWriter
	lists []string // the style of each list open, outermost first
	text  int      // inside a paragraph or heading, whose characters are text
}

func (r *odtReader) read(content []byte) error {
	return walkXML(content, r.start, r.end, func(t []byte) {
		if r.text > 0 {
			// Whitespace in OpenDocument text collapses, as in HTML;
			// text:s and text:line-break are spaces and breaks.
			r.officeWriter.text(collapseSpace(string(t)))
		}
	})
}

// collapseSpace turns each run of whitespace in s into one space, at its
// ends too: "See our " before a link keeps the space before it.
func collapseSpace(s string) string {
	out := strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	if out == "" {
		return " "
	}
	if strings.ContainsRune(" \t\n\r", rune(s[0])) {
		out = " " + out
	}
	if strings.ContainsRune(" \t\n\r", rune(s[len(s)-1])) {
		out += " "
	}
	return out
}

func (r *odtReader) start(t xml.StartElement) {
	w := r.officeWriter
	switch t.Name.Local {
	case "h":
		w.openPara()
		w.heading = 1
		if lvl, err := strconv.Atoi(xmlAttr(t, "outline-level")); err == nil && lvl > 0 {
			w.heading = lvl
		}
		r.text++
	case "p":
		w.openPara()
		if n := len(r.lists); n > 0 {
			w.list, w.level = r.lists[0], n-1
		}
		r.text++
	case "list":
		style := xmlAttr(t, "style-name")
		if style == "" && len(r.lists) > 0 {
			style = r.lists[0] // a nested list goes on in its outer list's style
		}
		r.lists = append(r.lists, style)
	case "tracked-changes", "annotation", "note":
		w.skip++
	case "s":
		w.text(" ")
	case "tab":
		w.text(" ")
	case "line-break":
		w.text("\n")
	case "a":
		w.openLink(xmlAttr(t, "href"))
	case "table":
		w.openTable()
	case "table-row":
		w.openRow()
	case "table-cell", "covered-table-cell":
		w.openCell()
	}
}

func (r *odtReader) end(name string) {
	w := r.officeWriter
	switch name {
	case "h", "p":
		r.text--
		w.closePara()
	case "list":
		if n := len(r.lists); n > 0 {
			r.lists = r.lists[:n-1]
		}
	case "tracked-changes", "annotation", "note":
		w.skip--
	case "a":
		w.closeLink()
	case "table":
		w.closeTable()
	case "table-row":
		w.closeRow()
	case "table-cell", "covered-table-cell":
		w.closeCell()
	}
}

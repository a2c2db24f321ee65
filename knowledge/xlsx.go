package knowledge

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// xlsxEntries reads the first sheet of an Excel workbook (.xlsx) as a
// CSV FAQ is read (rowEntries): the spreadsheet a team keeps its FAQ in,
// without saving it as CSV first. Cells are read as Excel shows their
// values: shared and inline strings, numbers, TRUE and FALSE.
func xlsxEntries(data []byte) ([]any, error) {
	rows, err := xlsxRows(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFAQ, err)
	}
	return rowEntries(rows)
}

// xlsxRows returns the cells of the workbook's first sheet, by row.
func xlsxRows(data []byte) ([][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	sheet, err := zipPart(zr, firstSheet(zr))
	if err != nil {
		return nil, err
	}
	shared, _ := zipPart(zr, "xl/sharedStrings.xml") // none when every string is inline
	return readSheet(sheet, sharedStrings(shared))
}

// firstSheet returns the part of the workbook's first sheet, as
// xl/workbook.xml orders them ("FAQ" before "Notes"), whatever its file
// is named.
func firstSheet(zr *zip.Reader) string {
	workbook, _ := zipPart(zr, "xl/workbook.xml")
	rels, _ := zipPart(zr, "xl/_rels/workbook.xml.rels")
	id := ""
	eachStart(workbook, func(start xml.StartElement) {
		if start.Name.Local == "sheet" && id == "" {
			id = xmlAttr(start, "id")
		}
	})
	target := ""
	eachStart(rels, func(start xml.StartElement) {
		if start.Name.Local == "Relationship" && xmlAttr(start, "Id") == id {
			target = xmlAttr(start, "Target")
		}
	})
	switch {
	case target == "":
		return "xl/worksheets/sheet1.xml"
	case strings.HasPrefix(target, "/"):
		return strings.TrimPrefix(target, "/")
	}
	return path.Join("xl", target)
}

// sharedStrings returns the workbook's shared strings: each <si>'s text,
// its rich-text runs joined, its phonetic guide (<rPh>) left out.
func sharedStrings(part []byte) []string {
	var out []string
	var b strings.Builder
	in, skip := false, 0
	_ = walkXML(part, func(t xml.StartElement) {
		switch t.Name.Local {
		case "si":
			b.Reset()
		case "t":
			in = true
		case "rPh":
			skip++
		}
	}, func(name string) {
		switch name {
		case "si":
			out = append(out, b.String())
		case "t":
			in = false
		case "rPh":
			skip--
		}
	}, func(t []byte) {
		if in && skip == 0 {
			b.Write(t)
		}
	}) // read as far as it goes: a string missing is an empty cell
	return out
}

// readSheet returns a sheet's cells by row, each at the column its
// reference names ("C2" is the third), the columns between empty.
func readSheet(sheet []byte, shared []string) ([][]string, error) {
	var rows [][]string
	var row []string
	var val strings.Builder
	col, typ, in := 0, "", false
	err := walkXML(sheet, func(t xml.StartElement) {
		switch t.Name.Local {
		case "row":
			row = nil
		case "c":
			col, typ = cellColumn(xmlAttr(t, "r"), len(row)), xmlAttr(t, "t")
			val.Reset()
		case "v", "t":
			in = true
		}
	}, func(name string) {
		switch name {
		case "row":
			rows = append(rows, row)
		case "c":
			if col < 16384 { // Excel's last column, XFD
				for len(row) <= col {
					row = append(row, "")
				}
				row[col] = cellValue(val.String(), typ, shared)
			}
		case "v", "t":
			in = false
		}
	}, func(t []byte) {
		if in {
			val.Write(t)
		}
	})
	return rows, err
}

// cellColumn returns the column of a cell reference ("AB12" is 27), or
// next when it has none.
func cellColumn(ref string, next int) int {
	col := 0
	for i := 0; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A') + 1
		if col > 16384 {
			return col
		}
	}
	if col == 0 {
		return next
	}
	return col - 1
}

// cellValue is what a cell of type typ with value v shows.
func cellValue(v, typ string, shared []string) string {
	switch typ {
	case "s":
		if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < len(shared) {
			return shared[i]
		}
		return ""
	case "b":
		if v == "1" {
			return "true"
		}
		return "false"
	}
	return v
}

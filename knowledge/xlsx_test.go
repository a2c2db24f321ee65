package knowledge

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadXLSX reads an FAQ kept in an Excel workbook as its CSV would
// be read: the first sheet's rows, the first naming the columns, a
// draft left out, and the other sheets not read.
func TestLoadXLSX(t *testing.T) {
	data, err := os.ReadFile("testdata/xlsx/faq.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := LoadFS(context.Background(), fstest.MapFS{"faq.xlsx": &fstest.MapFile{Data: data}}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ title, text, url string }
	want := []entry{
		{"Can I bring my dog to the café?", "Yes, dogs on a lead are welcome in the café and the garden.", "https://help.example.com/dogs"},
		{"How much is a day ticket?", "A day ticket costs £14.50 for adults and £7 for children under 16.\n\nUnder-fives go free.", ""},
		{"Is there parking?", "Yes, 120 spaces, free for ticket holders; £5 otherwise.", ""},
	}
	if len(cs) != len(want) {
		t.Fatalf("%d chunks %+v, want %d", len(cs), cs, len(want))
	}
	for i, c := range cs {
		if got := (entry{c.Title, c.Text, c.URL}); got != want[i] || !strings.HasPrefix(c.Source, "faq.xlsx#") {
			t.Errorf("entry %d = %q (%s), want %q", i, got, c.Source, want[i])
		}
	}
}

// TestXLSXCells: what Excel writes that SheetJS did not above: inline
// strings, rich text with a phonetic guide, empty cells left out of a
// row, numbers, and a first sheet whose file is not sheet1.xml.
func TestXLSXCells(t *testing.T) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	data := officeZip(t, map[string]string{
		"xl/workbook.xml": `<workbook ` + ns + `><sheets><sheet name="FAQ" sheetId="2" r:id="rId7"/><sheet name="Old" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId7" Target="/xl/worksheets/sheet2.xml"/></Relationships>`,
		"xl/sharedStrings.xml": `<sst ` + ns + `><si><t>Question</t></si><si><t>Answer</t></si>` +
			`<si><r><t>How much is </t></r><r><rPr><b/></rPr><t>parking</t></r><r><t>?</t></r><rPh><t>PAAKINGU</t></rPh></si></sst>`,
		"xl/worksheets/sheet1.xml": `<worksheet ` + ns + `><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Question</t></is></c><c r="B1" t="inlineStr"><is><t>Answer</t></is></c></row>` +
			`<row r="2"><c r="A2" t="inlineStr"><is><t>Old question</t></is></c><c r="B2" t="inlineStr"><is><t>Old answer.</t></is></c></row></sheetData></worksheet>`,
		"xl/worksheets/sheet2.xml": `<worksheet ` + ns + `><sheetData>` +
			`<row r="1"><c r="B1" t="s"><v>0</v></c><c r="D1" t="s"><v>1</v></c></row>` +
			`<row r="3"><c r="B3" t="s"><v>2</v></c><c r="D3"><v>5</v></c></row>` +
			`<row r="4"><c r="B4" t="inlineStr"><is><t>Can I park overnight?</t></is></c><c r="D4" t="inlineStr"><is><r><t>No, the car park </t></r><r><t>closes at 10pm.</t></r></is></c></row>` +
			`</sheetData></worksheet>`,
	})
	entries, err := xlsxEntries(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"question": "How much is parking?", "answer": "5"},
		{"question": "Can I park overnight?", "answer": "No, the car park closes at 10pm."},
	}
	if len(entries) != len(want) {
		t.Fatalf("entries %v, want %v", entries, want)
	}
	for i, e := range entries {
		m := e.(map[string]any)
		if m["question"] != want[i]["question"] || m["answer"] != want[i]["answer"] {
			t.Errorf("entry %d = %v, want %v", i, m, want[i])
		}
	}
}

// TestXLSXErrors: a workbook that is no workbook fails the load naming
// it; one whose first sheet is no FAQ (a price list) is left out with a
// warning, as such a CSV is.
func TestXLSXErrors(t *testing.T) {
	_, err := LoadFS(context.Background(), fstest.MapFS{"faq.xlsx": file("Question,Answer\nq,a\n")}, LoadOptions{})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != "faq.xlsx" || !errors.Is(err, ErrInvalidFAQ) {
		t.Errorf("a CSV named .xlsx: %v; want an invalid FAQ error naming faq.xlsx", err)
	}
	prices := officeZip(t, map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData>` +
		`<row><c t="inlineStr"><is><t>SKU</t></is></c><c t="inlineStr"><is><t>Item</t></is></c><c t="inlineStr"><is><t>Price</t></is></c></row>` +
		`<row><c t="inlineStr"><is><t>A1</t></is></c><c t="inlineStr"><is><t>Towel</t></is></c><c><v>2</v></c></row></sheetData></worksheet>`})
	var warned []string
	cs, err := LoadFS(context.Background(), fstest.MapFS{"a.md": file("# A\n\nText.\n"), "prices.xlsx": &fstest.MapFile{Data: prices}},
		LoadOptions{Warn: func(p, problem string) { warned = append(warned, p+": "+problem) }})
	if err != nil || len(cs) != 1 || len(warned) != 1 || !strings.HasPrefix(warned[0], "prices.xlsx: no FAQ entry") {
		t.Errorf("a price list: chunks %d, %v, warnings %q; want it left out with a warning", len(cs), err, warned)
	}
}

func FuzzXLSXSheet(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData><row><c r="XFD1" t="s"><v>0</v></c><c r="A1" t="b"><v>1</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<row><c r="ZZZZZZZZ9"><v>1</v></c></row>`))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		rows, _ := readSheet(sheet, []string{"a"})
		for _, r := range rows {
			if len(r) > 16384 {
				t.Fatalf("a row of %d cells", len(r))
			}
		}
	})
}

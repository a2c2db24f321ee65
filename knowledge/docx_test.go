package knowledge

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadOfficeDocuments reads a Word document and an OpenDocument
// text written by pandoc from one Markdown file as that file reads: a
// section per heading, the steps and the table as written, a link kept
// with its words, and each line of an address its own.
func TestLoadOfficeDocuments(t *testing.T) {
	for _, name := range []string{"docx/returns.docx", "odt/returns.odt"} {
		t.Run(name, func(t *testing.T) { testLoadOffice(t, name) })
	}
}

func testLoadOffice(t *testing.T, name string) {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	file := path.Base(name)
	cs, err := LoadFS(context.Background(), fstest.MapFS{file: &fstest.MapFile{Data: data}}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]Chunk{}
	for _, c := range cs {
		if c.Title != "Returns and refunds" || c.DocID != file {
			t.Errorf("chunk %q of %q: want the title and file of the document", c.Source, c.Title)
		}
		sections[strings.Join(c.Section, " > ")] = c
	}
	for section, want := range map[string][]string{
		"":                        {"You can return most items within 30 days of delivery."},
		"How to return an item":   {"1. Sign in to your account.\n2. Open Orders and choose the item.\n3. Print the label"},
		"Refund times":            {"| PayPal | 2 working days |"},
		"What cannot be returned": {"- Earrings, for hygiene reasons\n- Gift cards", "Contact us:\nPhone: 0161 496 0720\nE-mail: help@example.com"},
	} {
		c, ok := sections[section]
		if !ok {
			t.Errorf("no section %q in %q", section, slices.Collect(func(yield func(string) bool) {
				for s := range sections {
					if !yield(s) {
						return
					}
				}
			}))
			continue
		}
		for _, w := range want {
			if !strings.Contains(c.Text, w) {
				t.Errorf("section %q:\n%s\nlacks %q", section, c.Text, w)
			}
		}
	}
	if intro := sections[""]; !slices.ContainsFunc(intro.Links, func(l Link) bool { return l.URL == "https://shop.example.com/returns" }) {
		t.Errorf("intro links %+v: want the returns portal's", intro.Links)
	}
}

// officeZip builds an Office archive (.docx, .xlsx) of the given parts.
func officeZip(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, text := range parts {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(text))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`

// TestDocxArticle: what Word writes and pandoc does not: a German
// Word's translated heading style ids and a style based on one, lists
// numbered and bulleted as
// numbering.xml says, a list style's items, tracked deletions, a text box's fallback copy, a
// note in a one-column table, a table in a cell.
func TestDocxArticle(t *testing.T) {
	styles := `<w:styles ` + wordNS + `>
<w:style w:type="paragraph" w:styleId="Titel"><w:name w:val="Title"/></w:style>
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>
<w:style w:type="paragraph" w:styleId="Wichtig"><w:name w:val="Wichtig"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Richtlinie"><w:name w:val="Richtlinie"/><w:basedOn w:val="berschrift2"/></w:style>
<w:style w:type="paragraph" w:styleId="Aufzhlungszeichen"><w:name w:val="List Bullet"/><w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr></w:style>
</w:styles>`
	numbering := `<w:numbering ` + wordNS + `>
<w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="8"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="7"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="8"/></w:num>
</w:numbering>`
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/versand" TargetMode="External"/>
</Relationships>`
	p := func(style, num, lvl, runs string) string {
		ppr := ""
		if style != "" {
			ppr += `<w:pStyle w:val="` + style + `"/>`
		}
		if num != "" {
			ppr += `<w:numPr><w:ilvl w:val="` + lvl + `"/><w:numId w:val="` + num + `"/></w:numPr>`
		}
		return `<w:p><w:pPr>` + ppr + `</w:pPr>` + runs + `</w:p>`
	}
	r := func(text string) string { return `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r>` }
	body := p("Titel", "", "", r("Versand")) +
		p("", "", "", r("Wir liefern in ")+`<w:del><w:r><w:delText>drei</w:delText></w:r></w:del><w:ins>`+r("zwei")+`</w:ins><w:moveFrom>`+r(" Werktagen")+`</w:moveFrom>`+r(" Tagen. Mehr auf der ")+
			`<w:hyperlink r:id="rId9">`+r("Versandseite")+`</w:hyperlink>`+r(".")) +
		p("berschrift1", "", "", r("Paket verfolgen")) +
		p("", "1", "0", r("Öffnen Sie die App.")) +
		p("", "1", "1", r("auch im Browser")) +
		p("", "1", "0", r("Tippen Sie auf Sendungen.")) +
		p("", "", "", r("Bitte beachten Sie: ")+`<w:r><mc:AlternateContent><mc:Choice><w:txbxContent>`+p("", "", "", r("Hinweis im Kasten"))+`</w:txbxContent></mc:Choice><mc:Fallback><w:t>Hinweis im Kasten</w:t></mc:Fallback></mc:AlternateContent></w:r>`+r("Pakete werden nicht am Sonntag zugestellt.")) +
		p("Richtlinie", "", "", r("Kosten")) +
		`<w:tbl><w:tr><w:tc>` + p("", "", "", r("Land")) + `</w:tc><w:tc>` + p("", "", "", r("Preis")) + `</w:tc></w:tr>` +
		`<w:tr><w:tc>` + p("", "", "", r("Österreich")) + `</w:tc><w:tc>` + p("", "", "", r("4,95 €")) +
		`<w:tbl><w:tr><w:tc>` + p("", "", "", r("ab 50 € frei")) + `</w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>` +
		`<w:tbl><w:tr><w:tc>` + p("", "", "", r("Feiertage verzögern die Lieferung.")) + `</w:tc></w:tr></w:tbl>` +
		p("Wichtig", "", "", r("Zoll")) +
		p("", "2", "0", r("Schweiz: Zoll fällt an")) +
		p("Aufzhlungszeichen", "", "", r("Norwegen: Zoll fällt an"))
	data := officeZip(t, map[string]string{
		"word/document.xml":            `<w:document ` + wordNS + `><w:body>` + body + `</w:body></w:document>`,
		"word/styles.xml":              styles,
		"word/numbering.xml":           numbering,
		"word/_rels/document.xml.rels": rels,
	})
	got, err := docxArticle(data)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Versand\n\n" +
		"Wir liefern in zwei Tagen. Mehr auf der [Versandseite](https://example.com/versand).\n\n" +
		"# Paket verfolgen\n\n" +
		"1. Öffnen Sie die App.\n  - auch im Browser\n2. Tippen Sie auf Sendungen.\n\n" +
		"Hinweis im Kasten\n\n" +
		"Bitte beachten Sie: Pakete werden nicht am Sonntag zugestellt.\n\n" +
		"## Kosten\n\n" +
		"| Land | Preis |\n|---|---|\n| Österreich | 4,95 € ab 50 € frei |\n\n" +
		"Feiertage verzögern die Lieferung.\n\n" +
		"### Zoll\n\n" +
		"- Schweiz: Zoll fällt an\n- Norwegen: Zoll fällt an"
	if got != want {
		t.Errorf("docxArticle =\n%s\nwant\n%s", got, want)
	}
}

// TestLargeDocx: a Word document over the articles' size limit loads,
// since its size is mostly its pictures.
func TestLargeDocx(t *testing.T) {
	picture := make([]byte, 2<<20) // random: deflate cannot shrink it
	rand.NewChaCha8([32]byte{1}).Read(picture)
	data := officeZip(t, map[string]string{
		"word/document.xml":     `<w:document ` + wordNS + `><w:body><w:p><w:r><w:t>Returns are free.</w:t></w:r></w:p></w:body></w:document>`,
		"word/media/image1.png": string(picture),
	})
	if len(data) <= DefaultMaxFileBytes {
		t.Fatalf("test document of %d bytes is under the limit", len(data))
	}
	cs, err := LoadFS(context.Background(), fstest.MapFS{"returns.docx": &fstest.MapFile{Data: data}}, LoadOptions{})
	if err != nil || len(cs) != 1 || cs[0].Text != "Returns are free." {
		t.Errorf("a %d-byte Word document: %+v, %v; want its text", len(data), cs, err)
	}
}

// TestDocxErrors: a .docx or .odt that is no such document fails the
// load with an error naming it, as a broken FAQ does, rather than being
// indexed as noise or left out without a word.
func TestDocxErrors(t *testing.T) {
	for _, tc := range []struct {
		file, what string
		data       []byte
	}{
		{"policy.docx", "not a zip", []byte("Returns are free.")},
		{"policy.docx", "no document", officeZip(t, map[string]string{"word/styles.xml": "<w:styles/>"})},
		{"policy.docx", "malformed XML", officeZip(t, map[string]string{"word/document.xml": `<w:document ` + wordNS + `><w:body><w:p>`})},
		{"policy.odt", "not a zip", []byte("Returns are free.")},
		{"policy.odt", "no content", officeZip(t, map[string]string{"styles.xml": "<office:document-styles/>"})},
		{"policy.odt", "malformed XML", officeZip(t, map[string]string{"content.xml": `<office:document-content><office:body><text:p>`})},
	} {
		_, err := LoadFS(context.Background(), fstest.MapFS{tc.file: &fstest.MapFile{Data: tc.data}}, LoadOptions{})
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != tc.file || !errors.Is(err, ErrInvalidDocument) {
			t.Errorf("%s, %s: %v; want an invalid document error naming it", tc.file, tc.what, err)
		}
	}
}

func FuzzDocxDocument(f *testing.F) {
	f.Add([]byte(`<w:document><w:body><w:p><w:r><w:t>a</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl></w:body></w:document>`))
	f.Add([]byte(`<w:p><w:pPr><w:numPr><w:ilvl w:val="99"/><w:numId w:val="1"/></w:numPr></w:pPr></w:p></w:tbl></w:tbl>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		w := newOfficeWriter(map[string]bool{"1/0": true})
		_ = (&docxReader{officeWriter: w}).read(doc) // must not panic
	})
}

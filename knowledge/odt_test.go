package knowledge

import "testing"

// TestOdtArticle: what LibreOffice writes beyond pandoc's file: a list
// nested in a list item that goes on in its outer list's style, spaces
// written as text:s, a merged table cell, and what is not text: deleted
// text of tracked changes, a comment and a footnote.
func TestOdtArticle(t *testing.T) {
	const ns = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ` +
		`xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"`
	content := `<office:document-content ` + ns + `><office:automatic-styles>` +
		`<text:list-style style:name="L1"><text:list-level-style-number text:level="1"/><text:list-level-style-bullet text:level="2"/></text:list-style>` +
		`</office:automatic-styles><office:body><office:text>` +
		`<text:tracked-changes><text:changed-region><text:deletion><text:p>Old rule.</text:p></text:deletion></text:changed-region></text:tracked-changes>` +
		`<text:h text:outline-level="1">Versand</text:h>` +
		`<text:p>Wir liefern in<text:s/>zwei Tagen.<office:annotation><text:p>Check with logistics</text:p></office:annotation>` +
		` Mehr auf der <text:a xlink:href="https://example.com/versand">Versandseite</text:a>.<text:note><text:note-body><text:p>Werktage.</text:p></text:note-body></text:note></text:p>` +
		`<text:h text:outline-level="2">Paket verfolgen</text:h>` +
		`<text:list text:style-name="L1"><text:list-item><text:p>Öffnen Sie die App.</text:p>` +
		`<text:list><text:list-item><text:p>auch im Browser</text:p></text:list-item></text:list></text:list-item>` +
		`<text:list-item><text:p>Tippen Sie auf Sendungen.</text:p></text:list-item></text:list>` +
		`<table:table><table:table-row><table:table-cell table:number-columns-spanned="2"><text:p>Land und Preis</text:p></table:table-cell><table:covered-table-cell/></table:table-row>` +
		`<table:table-row><table:table-cell><text:p>Österreich</text:p></table:table-cell><table:table-cell><text:p>4,95 €</text:p></table:table-cell></table:table-row></table:table>` +
		`</office:text></office:body></office:document-content>`
	got, err := odtArticle(officeZip(t, map[string]string{"content.xml": content}))
	if err != nil {
		t.Fatal(err)
	}
	want := "# Versand\n\n" +
		"Wir liefern in zwei Tagen. Mehr auf der [Versandseite](https://example.com/versand).\n\n" +
		"## Paket verfolgen\n\n" +
		"1. Öffnen Sie die App.\n  - auch im Browser\n2. Tippen Sie auf Sendungen.\n\n" +
		"| Land und Preis |  |\n|---|---|\n| Österreich | 4,95 € |"
	if got != want {
		t.Errorf("odtArticle =\n%s\nwant\n%s", got, want)
	}
}

func FuzzOdtContent(f *testing.F) {
	f.Add([]byte(`<office:text><text:list><text:list-item><text:p>a<text:s/>b</text:p></text:list-item></text:list><table:table><table:table-row><table:table-cell/></table:table-row></table:table></office:text>`))
	f.Add([]byte(`<text:p><text:p><text:a>x</text:a></text:p></text:list></text:note>`))
	f.Fuzz(func(t *testing.T, content []byte) {
		w := newOfficeWriter(map[string]bool{"L1/0": true})
		_ = (&odtReader{officeWriter: w}).read(content) // must not panic
	})
}

package knowledge

import (
	"context"
	"testing"
)

// TestGermanCompounds: a German article's compound is found by its parts
// and a question's compound by the article's parts; English knowledge
// splits nothing.
func TestGermanCompounds(t *testing.T) {
	chunks := []Chunk{
		{DocID: "versand.md", Title: "Versand und Lieferung", Source: "versand.md", Text: "Die Versandkosten sind bei uns nicht hoch: sie betragen innerhalb Deutschlands 4,95 € und nach Österreich 9,90 €."},
		{DocID: "konto.md", Title: "Kundenkonto", Source: "konto.md", Text: "Ein Kundenkonto verursacht keine Kosten. Die Bestellung sehen Sie im Konto."},
		{DocID: "retoure.md", Title: "Rücksendung", Source: "retoure.md", Text: "Melden Sie eine Retoure im Konto an. Wir erstatten den Betrag nach Eingang."},
		{DocID: "paket.md", Title: "Paketverfolgung", Source: "paket.md", Text: "Jedes Paket hat eine Sendungsnummer. Ein Paket kommt in 2 Tagen."},
	}
	ix, err := Build(context.Background(), chunks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := func(q string) map[string]bool {
		t.Helper()
		got, err := ix.Search(context.Background(), q, 4)
		if err != nil {
			t.Fatal(err)
		}
		docs := map[string]bool{}
		for _, s := range got {
			docs[s.DocID] = true
		}
		return docs
	}
	// The article's "Versandkosten" is found by "Kosten"; the question's
	// "Retourenpaket" finds both parts.
	if got := found("Kosten"); !got["versand.md"] || !got["konto.md"] {
		t.Errorf("Search(Kosten) found %v; want versand.md (Versandkosten) and konto.md", got)
	}
	if got := found("Retourenpaket"); !got["retoure.md"] || !got["paket.md"] {
		t.Errorf("Search(Retourenpaket) found %v; want retoure.md and paket.md", got)
	}
	if parts := splitCompound("homework", func(string) bool { return true }); len(parts) != 2 {
		t.Fatalf("splitCompound(homework) with every part known = %v, want two parts (the test's premise)", parts)
	}
	en, err := Build(context.Background(), []Chunk{{DocID: "a.md", Text: "Homework help for home and work."}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if parts := en.germanCompound("homework"); parts != nil {
		t.Errorf("English knowledge split %q into %v", "homework", parts)
	}
}

// TestGermanCompoundHalfKnown: a question's compound of which the
// knowledge holds one part ("Telefonnummer" for "Kundenservice-Telefon")
// finds it, and the part it lacks still counts against the confidence.
func TestGermanCompoundHalfKnown(t *testing.T) {
	chunks := []Chunk{
		{DocID: "kontakt.md", Title: "Kontakt", Source: "kontakt.md", Text: "| Kanal | Zeiten | Kontakt |\n| --- | --- | --- |\n| Kundenservice-Telefon | Mo bis So, 7 bis 23 Uhr | 030 555 48 00 |"},
		{DocID: "tarife.md", Title: "Tarife", Source: "tarife.md", Text: "Jede Minute kostet 0,29 €. Die Versicherung ist im Preis enthalten."},
	}
	ix, err := Build(context.Background(), chunks, Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ix.Retrieve(context.Background(), Query{Text: "wie ist eure telefonnummer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Snippets) == 0 || r.Snippets[0].DocID != "kontakt.md" {
		t.Errorf("Retrieve(wie ist eure telefonnummer) = %+v, want kontakt.md first", r.Snippets)
	}
	if r.Confidence > 0.9 {
		t.Errorf("confidence %.2f, want the missing part counted", r.Confidence)
	}
}

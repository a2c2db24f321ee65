package knowledge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"
)

// TestLoadCSVFAQ: an FAQ kept as a spreadsheet is read as a JSON FAQ
// is, whatever separates its columns and whether its first row names
// them: each row an entry titled by its question.
func TestLoadCSVFAQ(t *testing.T) {
	utf16TSV := func(s string) []byte { // Excel's "Unicode text"
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	type entry struct{ title, text, url string }
	for _, tc := range []struct {
		name string
		data []byte
		want []entry
	}{
		{"faq.csv", []byte("Question,Answer,URL\n" +
			"\"Can I return a sale item?\",\"Yes, within 14 days.\n\nRefunds take 5 working days.\",https://help.example.com/returns\n" +
			",,\n" + // a blank row
			"Do you ship to Norway?,\"No, only within the EU.\"\n"), // a short row
			[]entry{{"Can I return a sale item?", "Yes, within 14 days.\n\nRefunds take 5 working days.", "https://help.example.com/returns"},
				{"Do you ship to Norway?", "No, only within the EU.", ""}}},
		// Excel where the decimal mark is a comma separates with ';'.
		{"faq.csv", []byte("Frage;Antwort\nWas kostet der Versand?;Der Versand kostet 4,95 €.\n"),
			[]entry{{"Was kostet der Versand?", "Der Versand kostet 4,95 €.", ""}}},
		// A sheet made by hand: its title and a blank row above the header.
		{"faq.csv", []byte("Acme FAQ (updated May),,\n,,\nQuestion,Answer,Owner\nDo you ship abroad?,\"No, only within the EU.\",Sam\n"),
			[]entry{{"Do you ship abroad?", "No, only within the EU.", ""}}},
		// Excel's line naming the separator.
		{"faq.csv", []byte("sep=;\r\nQuestion;Answer\r\nDo you ship abroad?;No, only within the EU.\r\n"),
			[]entry{{"Do you ship abroad?", "No, only within the EU.", ""}}},
		{"faq.csv", []byte("Questions,Response\nDo you ship abroad?,Only within the EU.\n"),
			[]entry{{"Do you ship abroad?", "Only within the EU.", ""}}},
		// Two columns whose first row names neither: no header.
		{"faq.csv", []byte("Was kostet der Versand?;Der Versand kostet 4,95 €.\nGibt es Rabatt?;Nein.\n"),
			[]entry{{"Was kostet der Versand?", "Der Versand kostet 4,95 €.", ""}, {"Gibt es Rabatt?", "Nein.", ""}}},
		// Dialogflow's FAQ: two columns, no header row.
		{"faq.tsv", []byte("How long does shipping take?\tThree to five working days.\nIs there a student discount?\tYes, 10% off.\n"),
			[]entry{{"How long does shipping take?", "Three to five working days.", ""}, {"Is there a student discount?", "Yes, 10% off.", ""}}},
		{"qna.tsv", utf16TSV("Question\tAnswer\tSource\r\nCan I pause?\tYes, for up to 3 months.\tEditorial\r\n"),
			[]entry{{"Can I pause?", "Yes, for up to 3 months.", ""}}},
		// HubSpot's knowledge-base columns; a draft is left out.
		{"kb.csv", []byte("Article title,Article body,Draft\nTowels,<p>Towels can be hired at reception.</p>,false\nBlack Friday,<p>Join for one pound.</p>,true\n"),
			[]entry{{"Towels", "Towels can be hired at reception.", ""}}},
	} {
		cs, err := LoadFS(context.Background(), fstest.MapFS{tc.name: &fstest.MapFile{Data: tc.data}}, LoadOptions{})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.name, tc.data, err)
		}
		var got []entry
		for _, c := range cs {
			got = append(got, entry{c.Title, c.Text, c.URL})
			if !strings.HasPrefix(c.Source, tc.name+"#") || c.DocID != tc.name {
				t.Errorf("%s: chunk %q has source %q, doc %q", tc.name, c.Title, c.Source, c.DocID)
			}
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: entries %q, want %q", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: entry %d = %q, want %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// TestLoadCSVErrors: a spreadsheet that is no FAQ is left out with a
// warning, as a JSON file with no entry is, and a broken one fails the
// load with its line: a quote left open would otherwise swallow the rows
// after it into one answer.
func TestLoadCSVErrors(t *testing.T) {
	var warned []string
	fsys := fstest.MapFS{
		"a.md":       file("# A\n\nText.\n"),
		"prices.csv": file("sku,name,price\nA1,Towel,2.00\n"),
	}
	cs, err := LoadFS(context.Background(), fsys, LoadOptions{Warn: func(p, problem string) { warned = append(warned, p+": "+problem) }})
	if err != nil || len(cs) != 1 || len(warned) != 1 || !strings.HasPrefix(warned[0], "prices.csv: no FAQ entry") {
		t.Errorf("a CSV of three columns, none a question: chunks %d, %v, warnings %q; want it left out with a warning", len(cs), err, warned)
	}
	broken := fstest.MapFS{"faq.csv": file("Question,Answer\n\"Can I pay by card?,Yes.\nDo you ship abroad?,No.\n")}
	_, err = LoadFS(context.Background(), broken, LoadOptions{})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != "faq.csv" || !errors.Is(err, ErrInvalidFAQ) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a quote left open: %v; want an invalid FAQ error naming faq.csv and line 2", err)
	}
}

func FuzzCSVEntries(f *testing.F) {
	f.Add([]byte("Question,Answer\nq,a\n"))
	f.Add([]byte("q\ta\n"))
	f.Add([]byte("\"a\nb\";c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := csvEntries(data)
		if err != nil && !errors.Is(err, ErrInvalidFAQ) && !errors.Is(err, errNotFAQ) {
			t.Fatalf("csvEntries error %v is neither ErrInvalidFAQ nor errNotFAQ", err)
		}
		for _, e := range list {
			if _, ok := e.(map[string]any); !ok {
				t.Fatalf("entry %v is no object", e)
			}
		}
	})
}

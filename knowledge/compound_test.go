package knowledge

import (
	"context"
	"slices"
	"testing"
)

// TestRetrieveCompound: a question that writes a compound of the
// articles joined ("wifi", "checkup") finds it as the articles write it
// ("Wi-Fi", "check-up"); a word that only happens to join two of their
// words ("homework") is not split.
func TestRetrieveCompound(t *testing.T) {
	chunks := []Chunk{
		{DocID: "wifi.md", Title: "Your Wi-Fi", Source: "wifi.md", Text: "The Wi-Fi password is printed on the back of the router."},
		{DocID: "visits.md", Title: "Visits", Source: "visits.md", Text: "Book a check-up every 6 months."},
		{DocID: "home.md", Title: "Working from home", Source: "home.md", Text: "Your home router works with every laptop."},
		{DocID: "wm-7140.md", Title: "Kitbox WM-7140 washing machine", Source: "wm-7140.md", Text: "A new door seal for the WM-7140 costs £34."},
		{DocID: "wm-7240.md", Title: "Kitbox WM-7240 washing machine", Source: "wm-7240.md", Text: "A new door seal for the WM-7240 costs £38."},
	}
	ix, err := Build(context.Background(), chunks, Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	for q, doc := range map[string]string{"wifi password": "wifi.md", "how often should i book a checkup": "visits.md", "door seal for the wm7140": "wm-7140.md"} {
		r, err := ix.Retrieve(context.Background(), Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Snippets) == 0 || r.Snippets[0].DocID != doc || r.Confidence < 0.99 {
			t.Errorf("Retrieve(%q) = %+v, want %s first with confidence 1", q, r, doc)
		}
	}
	r, err := ix.Retrieve(context.Background(), Query{Text: "help with homework"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Confidence > 0.5 {
		t.Errorf("Retrieve(%q).Confidence = %.2f, want low: homework is no compound of the articles", "help with homework", r.Confidence)
	}
}

func TestHyphenated(t *testing.T) {
	var got []string
	hyphenated("The Wi-Fi and pay-as-you-go plan -- not this: e-bike- or 24-hour for the WM-7140", func(c string) { got = append(got, c) })
	want := []string{"Wi-Fi", "pay-as-you-go", "e-bike", "24-hour", "WM-7140"}
	if !slices.Equal(got, want) {
		t.Errorf("hyphenated = %q, want %q", got, want)
	}
}

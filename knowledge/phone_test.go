package knowledge

import (
	"context"
	"testing"
)

func TestHasPhoneNumber(t *testing.T) {
	for text, want := range map[string]bool{
		"Call us on 0161 496 0720.":            true,
		"Phone +31 (0)20 555-0142, weekdays.":  true,
		"Relay UK: 18001 0330 123 4567":        true,
		"Open from 08:00 to 20:00, Mon to Fri": false,
		"A new grave costs £1,450.":            false,
		"Order 123456 shipped on 12.03.2026":   false,
		"Appelez le 01.23.45.67.89":            true,
		"":                                     false,
	} {
		if got := HasPhoneNumber(text); got != want {
			t.Errorf("HasPhoneNumber(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestPhoneQuestionConfidence: a question for a phone number is answered
// by a chunk that holds one without naming it; a question that says
// "number" about something else gains nothing from it.
func TestPhoneQuestionConfidence(t *testing.T) {
	chunks := []Chunk{
		{DocID: "contact.md", Title: "Contact us", Section: []string{"Talk to us"}, Source: "contact.md#talk-to-us",
			Text: "Call us on 0161 496 0720. Calls are charged at your standard local rate."},
		{DocID: "orders.md", Title: "Orders", Source: "orders.md",
			Text: "Your order ships within 2 days. Track it in your account."},
	}
	ix, err := Build(context.Background(), chunks, Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	conf := func(q string) float64 {
		r, err := ix.Retrieve(context.Background(), Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return r.Confidence
	}
	for _, q := range []string{"phone number?", "whats ur phone nr"} {
		if c := conf(q); c < 0.9 {
			t.Errorf("confidence of %q = %.2f, want the number's chunk to hold its names", q, c)
		}
	}
	if c := conf("what number do i ring"); c < 0.5 {
		t.Errorf("confidence of %q = %.2f, want the number's chunk to hold %q", "what number do i ring", c, "number")
	}
	if c := conf("where is my order number"); c >= 0.9 {
		t.Errorf("confidence of %q = %.2f: a phone number is no order number", "where is my order number", c)
	}
}

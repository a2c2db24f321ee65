package knowledge

import (
	"context"
	"strings"
	"testing"
)

// TestContactIn: which texts hold a phone number, an e-mail address or
// a time of day.
func TestContactIn(t *testing.T) {
	for _, tt := range []struct {
		c    Contact
		text string
		want bool
	}{
		{Phone, "Call us on 0161 496 0720.", true},
		{Phone, "Phone +31 (0)20 555-0142, weekdays.", true},
		{Phone, "Relay UK: 18001 0330 123 4567", true},
		{Phone, "Open from 08:00 to 20:00, Mon to Fri", false},
		{Phone, "A new grave costs £1,450.", false},
		{Phone, "Order 123456 shipped on 12.03.2026", false},
		{Phone, "Appelez le 01.23.45.67.89", true},
		{Phone, "", false},
		{Email, "You can email care@panfresh.co.uk and we aim to reply within 24 hours.", true},
		{Email, "Write to help@example.com.", true},
		{Email, "(support+billing@mail.example.org)", true},
		{Email, "Meet us @ the front desk.", false},
		{Email, "Follow @panfresh on Instagram.", false},
		{Email, "name@localhost", false},
		{Email, "Call us on 0161 496 0720.", false},
		{Email, "", false},
		{Hours, "Our chat team is available from 8am to 10pm.", true},
		{Hours, "Open 9:00–17:30, Saturday 10:00–16:00.", true},
		{Hours, "Täglich von 7 bis 23 Uhr.", true},
		{Hours, "Ouvert de 9h30 à 18h.", true},
		{Hours, "Lost phones: 24 hours a day.", false},
		{Hours, "It costs £3.95 and takes 2 days.", false},
	} {
		if got := tt.c.In(tt.text); got != tt.want {
			t.Errorf("Contact(%d).In(%q) = %v, want %v", tt.c, tt.text, got, tt.want)
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
	conf := confidenceIn(t, chunks)
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

// TestEmailQuestionConfidence: a question for an e-mail address is
// answered by a chunk that holds one without saying "address"; an e-mail
// word that asks for something else ("email it to me") gains nothing.
func TestEmailQuestionConfidence(t *testing.T) {
	chunks := []Chunk{
		{DocID: "contact.md", Title: "Contact us", Source: "contact.md",
			Text: "You can email care@panfresh.co.uk and we aim to reply within 24 hours."},
		{DocID: "mail.md", Title: "Your post", Source: "mail.md",
			Text: "We sign for your post at reception and keep it for 7 days."},
	}
	conf := confidenceIn(t, chunks)
	for _, q := range []string{"email address?", "what is your email address"} {
		if c := conf(q); c < 0.9 {
			t.Errorf("confidence of %q = %.2f, want the address's chunk to hold its names", q, c)
		}
	}
	if c := conf("what is the delivery address"); c >= 0.9 {
		t.Errorf("confidence of %q = %.2f: a delivery address is no e-mail address", "what is the delivery address", c)
	}
	for q, want := range map[string]bool{
		"email address for support": true, "whats your support email": true, "email de contacto": true,
		"hebben jullie een mailadres": true, "can you scan my post and email it to me": false,
		"how fast do you answer emails": false, "what is the delivery address": false,
	} {
		if got := Email.AskedIn(strings.Fields(q)); got != want {
			t.Errorf("Email.AskedIn(%q) = %v, want %v", q, got, want)
		}
	}
}

// confidenceIn returns the retrieval confidence of questions in an index
// of chunks (no dense search).
func confidenceIn(t *testing.T, chunks []Chunk) func(q string) float64 {
	t.Helper()
	ix, err := Build(context.Background(), chunks, Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	return func(q string) float64 {
		t.Helper()
		r, err := ix.Retrieve(context.Background(), Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return r.Confidence
	}
}

// TestHoursQuestionConfidence: a question for opening hours is answered
// by a chunk that gives times of day without saying "hours".
func TestHoursQuestionConfidence(t *testing.T) {
	conf := confidenceIn(t, []Chunk{
		{DocID: "contact.md", Title: "Contact us", Source: "contact.md",
			Text: "Our chat team is available from 8am to 10pm, 7 days a week."},
		{DocID: "refunds.md", Title: "Refunds", Source: "refunds.md",
			Text: "Refunds reach your card within 48 hours."},
	})
	if c := conf("chat hours"); c < 0.9 {
		t.Errorf("confidence of %q = %.2f, want the chat's times of day to hold %q", "chat hours", c, "hours")
	}
	if c := conf("what time does the tube start"); c >= 0.5 {
		t.Errorf("confidence of %q = %.2f: a time of day says nothing of the tube", "what time does the tube start", c)
	}
}

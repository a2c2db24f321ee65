package conversation_test

import (
	"testing"
	"unicode/utf8"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"email", "write to jane.doe+test@mail.example.co.uk please", "write to [email] please"},
		{"security code and expiry", "card 4111111111111111 cvv 123 exp 09/28", "card [card] cvv [secret] exp [secret]"},
		{"pin", "my pin is 4921, is that ok", "my pin is [secret], is that ok"},
		{"password", "my password is Hunter2! and it fails", "my password is [secret] and it fails"},
		{"pin words kept", "my pin doesn't work and the password is required", "my pin doesn't work and the password is required"},
		{"sort code and account", "sort code 20-00-00 account 12345678 please", "sort code [account] please"},
		{"account number", "my account number: 87654321", "my account number: [account]"},
		{"national insurance", "ni number QQ 12 34 56 C", "ni number [id]"},
		{"date of birth", "dob 01/02/1980, moved in 2020", "dob [id], moved in 2020"},
		{"dates kept", "my flight on 01/02/2026 at 10:30", "my flight on 01/02/2026 at 10:30"},
		{"two emails", "a@b.io and c.d@e-f.com", "[email] and [email]"},
		{"visa plain", "card 4111111111111111 declined", "card [card] declined"},
		{"visa spaced", "card 4111 1111 1111 1111 declined", "card [card] declined"},
		{"amex dashed", "amex 3782-822463-10005", "amex [card]"},
		{"card with cvc after", "4111 1111 1111 1111 123", "[card] 123"},
		{"luhn invalid not a card", "order 4111 1111 1111 1112", "order 4111 1111 1111 1112"},
		{"iban nl", "my iban is NL91 ABNA 0417 1643 00 thanks", "my iban is [iban] thanks"},
		{"iban gb compact", "GB82WEST12345698765432", "[iban]"},
		{"iban lower case", "de89370400440532013000", "[iban]"},
		{"iban bad checksum", "NL91 ABNA 4417 1643 01", "NL91 ABNA 4417 1643 01"},
		{"phone international", "call +31 6 1234 5678", "call [phone]"},
		{"phone 00 prefix", "call 0031 20 123 4567", "call [phone]"},
		{"phone local nl", "bel 06-12345678 maar", "bel [phone] maar"},
		{"phone local uk", "ring 020 7946 0958 today", "ring [phone] today"},
		{"phone us", "call (415) 555-2671 now", "call [phone] now"},
		{"phone us dashed", "call 415-555-2671", "call [phone]"},
		{"phone in parens intl", "(+44) 20 7946 0958", "[phone]"},
		{"price", "it cost €1,299.00 and $15.50", "it cost €1,299.00 and $15.50"},
		{"price spaced", "total € 1 234 567", "total € 1 234 567"},
		{"date iso", "on 2024-01-15 I paid", "on 2024-01-15 I paid"},
		{"date dotted", "on 01.02.2024 I paid", "on 01.02.2024 I paid"},
		{"date slashed", "on 15/01/2024", "on 15/01/2024"},
		{"order number", "order 123456789 is late", "order 123456789 is late"},
		{"order number hash", "order #0612345678 is late", "order #0612345678 is late"},
		{"tracking", "tracking number 00340434161094042557", "tracking number 00340434161094042557"},
		{"time range", "open 09:00-17:00", "open 09:00-17:00"},
		{"short numbers", "I have 3 parcels and 15 sends", "I have 3 parcels and 15 sends"},
		{"nothing", "how much is plus?", "how much is plus?"},
		{"mixed", "mail x@y.nl, card 5500 0000 0000 0004, tel +49 30 1234567", "mail [email], card [card], tel [phone]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conversation.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRedact checks that Redact never panics, keeps text valid and is
// idempotent (so nothing it would redact is left behind).
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"jane@example.com", "4111 1111 1111 1111", "NL91ABNA0417164300", "+31 6 1234 5678",
		"€1,299.00", "2024-01-15", "order #123", "(415) 555-2671", "a@b.c@d.ef", "0 0 0 0 0 0 0 0 0 0 0 0 0 0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := conversation.Redact(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Redact(%q) = %q, not valid UTF-8", s, got)
		}
		if again := conversation.Redact(got); again != got {
			t.Fatalf("Redact not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func TestCoverage(t *testing.T) {
	snippets := []knowledge.Snippet{
		{Title: "Plans and pricing", Text: "Plus costs €9.99 a month."},
		{Title: "Refunds", Text: "Refunds arrive within 5 business days."},
	}
	tests := []struct {
		q    string
		want float64
	}{
		{"how much does plus cost", 1},
		{"refund business days", 1},
		{"plus refund", 0.5},
		{"weather tomorrow", 0},
		{"hi!", 0},
	}
	for _, tt := range tests {
		if got := conversation.Coverage(tt.q, snippets); got != tt.want {
			t.Errorf("Coverage(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

// FuzzWantsHuman checks that the phrase detector never panics and
// decides the same way twice.
func FuzzWantsHuman(f *testing.F) {
	for _, s := range []string{"get me a human", "are you a human?", "agnet pls", "don't need an agent. get me someone", "'''", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if conversation.WantsHuman(s) != conversation.WantsHuman(s) {
			t.Fatalf("WantsHuman(%q) is not deterministic", s)
		}
	})
}

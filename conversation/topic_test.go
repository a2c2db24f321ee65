package conversation_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// TestSearchedForWhatIsAsked: a greeting that opens a question is not
// searched for, a request for everything about a topic searches for the
// topic, and other questions are searched as written.
func TestSearchedForWhatIsAsked(t *testing.T) {
	var searched []string
	rec := fakeSearcher{search: func(_ context.Context, q string, _ int) ([]knowledge.Snippet, error) {
		searched = append(searched, q)
		return nil, nil
	}}
	mg, _ := newManager(t, conversation.Options{Searcher: rec})
	in := []string{
		"Good morning, I'm a student, do I get a discount?",
		"Hi there! where is my parcel",
		"Morning delivery, is it possible?",
		"Hello, tell me about refunds",
		"Tell me about refunds",
		"what's your refund policy?",
		"Can you tell me more about the student discount?",
		"info on gift cards",
		"returns policy",
		"what is your phone number",
		"what is the refund time for paypal", // not "what is your": a question
		"does the policy cover theft?",
		"paypal ref\u200bund?",       // an invisible zero-width space
		"ｐａｙｐａｌ\u3000ｒｅｆｕｎｄ？",        // full-width forms
		"paypal\x1b[31m refund\x00?", // a terminal's escape code, a NUL
	}
	want := []string{"I'm a student, do I get a discount?", "where is my parcel", "Morning delivery, is it possible?", "refunds",
		"refunds", "refund", "student discount", "gift cards", "returns", "phone number",
		"what is the refund time for paypal", "does the policy cover theft?", "paypal refund?", "paypal refund?", "paypal[31m refund?"}
	for i, text := range in {
		if err := mg.Handle(context.Background(), msg(fmt.Sprint("s", i), fmt.Sprint(i), text), &recorder{}); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(searched, want) {
		t.Errorf("searched for\n%q\nwant\n%q", searched, want)
	}
}

// Package managertest gives the chat adapters' tests the real
// conversation pipeline (a conversation.Manager over an in-memory store)
// with a canned answer, so that they can check the whole way from a
// platform event to the reply: dedup of redeliveries, sessions, handoff.
package managertest

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

// Snippet is the one snippet every search finds; the answer cites it.
// Its Text is replaced by the answer's text.
var Snippet = knowledge.Snippet{DocID: "refunds", Title: "Refunds", Source: "billing/refunds.md#how-long", Score: 1}

// New returns a real conversation.Manager on a memory store whose
// answerer replies text, citing Snippet, and streams it word by word
// when the adapter's Sender can stream. Every answer passes the
// confidence threshold. The Manager and its store are shut down when the
// test ends.
func New(t testing.TB, text string) *conversation.Manager {
	t.Helper()
	store := memstore.New(memstore.Options{})
	t.Cleanup(func() { _ = store.Close() })
	snip := Snippet
	snip.Text = text
	mg, err := conversation.NewManager(conversation.Options{
		Store: store,
		Searcher: searcher(func(context.Context, string, int) ([]knowledge.Snippet, error) {
			return []knowledge.Snippet{snip}, nil
		}),
		Answerer: conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
			if q.Delta != nil {
				for _, w := range strings.SplitAfter(text, " ") {
					if err := q.Delta(w); err != nil {
						return conversation.Answer{}, err
					}
				}
			}
			return conversation.Answer{Text: text, Citations: []knowledge.Citation{snip.Citation()}}, nil
		}),
		ConfidenceThreshold: -1,
		Logger:              slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("NewManager() error = %v", err)
	}
	t.Cleanup(func() { _ = mg.Shutdown(context.Background()) })
	return mg
}

// searcher is a knowledge searcher made of a function.
type searcher func(ctx context.Context, q string, k int) ([]knowledge.Snippet, error)

func (f searcher) Search(ctx context.Context, q string, k int) ([]knowledge.Snippet, error) {
	return f(ctx, q, k)
}

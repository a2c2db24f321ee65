package managertest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// recorder is a Sender, and a Streamer when stream is set.
type recorder struct {
	mu      sync.Mutex
	replies []conversation.Reply
	deltas  []string
}

func (r *recorder) Send(_ context.Context, rep conversation.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, rep)
	return nil
}

type streamer struct{ *recorder }

func (s streamer) Delta(_ context.Context, _ conversation.Address, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deltas = append(s.deltas, text)
	return nil
}

func TestNew(t *testing.T) {
	const text = "Refunds take 5 to 10 business days."
	tests := []struct {
		name       string
		stream     bool
		wantDeltas []string
	}{
		{"sender", false, nil},
		{"streamer gets the words", true, strings.SplitAfter(text, " ")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg := New(t, text)
			rec := &recorder{}
			var out conversation.Sender = rec
			if tt.stream {
				out = streamer{rec}
			}
			m := conversation.Message{ID: "m1", Address: conversation.Address{Platform: "test", Channel: "C1", User: "U1"}, Text: "how long does a refund take?"}
			if err := mg.Handle(context.Background(), m, out); err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			if len(rec.replies) != 1 {
				t.Fatalf("replies = %d, want 1", len(rec.replies))
			}
			if got := rec.replies[0].Text; !strings.HasPrefix(got, text) {
				t.Errorf("reply = %q, want it to start with %q", got, text)
			}
			want := []knowledge.Citation{{Title: Snippet.Title, Source: Snippet.Source}}
			if diff := cmp.Diff(want, rec.replies[0].Citations); diff != "" {
				t.Errorf("citations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDeltas, rec.deltas); diff != "" {
				t.Errorf("deltas (-want +got):\n%s", diff)
			}
			// The store dedups a redelivery.
			if err := mg.Handle(context.Background(), m, out); !errors.Is(err, conversation.ErrDuplicate) {
				t.Errorf("Handle(same id) = %v, want ErrDuplicate", err)
			}
		})
	}
}

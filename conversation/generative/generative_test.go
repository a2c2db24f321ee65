package generative_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/generative"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// fakeGenerator streams fixed pieces and records the request.
type fakeGenerator struct {
	pieces []string
	err    error
	req    engine.Request
}

func (f *fakeGenerator) Generate(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
	f.req = req
	var text strings.Builder
	for _, p := range f.pieces {
		if err := ctx.Err(); err != nil {
			return engine.Result{}, err
		}
		if err := onToken(p); err != nil {
			return engine.Result{}, err
		}
		text.WriteString(p)
	}
	return engine.Result{Text: text.String()}, f.err
}

// tokens splits text into word pieces, as a model would stream them.
func tokens(text string) []string {
	var out []string
	for _, w := range strings.SplitAfter(text, " ") {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

var snippets = []knowledge.Snippet{
	{Title: "Plans", Source: "plans.md#plus", Text: "Plus costs €9.99 a month and includes 15 sends."},
	{Title: "Refunds", Source: "refunds.md", Text: "Card refunds arrive within 5–10 business days."},
}

var sentinelFallback = conversation.Answer{Text: "extractive says hi", Citations: []knowledge.Citation{{Title: "X", Source: "x.md"}}}

func newAnswerer(t *testing.T, g engine.Generator, opts generative.Options) *generative.Answerer {
	t.Helper()
	opts.Generator = g
	if opts.Fallback == nil {
		opts.Fallback = conversation.AnswererFunc(func(context.Context, conversation.Query) (conversation.Answer, error) {
			return sentinelFallback, nil
		})
	}
	a, err := generative.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		name      string
		generated string
		want      conversation.Answer
		deltas    string
	}{
		{
			name:      "grounded",
			generated: "Plus costs €9.99 a month [1]. Card refunds arrive within 5–10 business days.",
			want: conversation.Answer{
				Text:      "Plus costs €9.99 a month. Card refunds arrive within 5–10 business days.",
				Citations: []knowledge.Citation{snippets[0].Citation(), snippets[1].Citation()},
			},
			deltas: "Plus costs €9.99 a month. Card refunds arrive within 5–10 business days.",
		},
		{
			name:      "wrong figure dropped",
			generated: "Sure! Plus costs €12.99 a month. It includes 15 sends.",
			want: conversation.Answer{
				Text:      "Sure! It includes 15 sends.",
				Citations: []knowledge.Citation{snippets[0].Citation()},
				Dropped:   1,
			},
			deltas: "Sure! It includes 15 sends.",
		},
		{
			name:      "model does not know",
			generated: "I'm sorry, I don't know that. Would you like to talk to a human agent?",
			want:      conversation.Answer{Fallback: true, Dropped: 2},
		},
		{
			name:      "nothing grounded falls back",
			generated: "We ship to Mars in 3 days. Pets fly free.",
			want:      conversation.Answer{Text: sentinelFallback.Text, Citations: sentinelFallback.Citations, Dropped: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &fakeGenerator{pieces: tokens(tt.generated)}
			a := newAnswerer(t, g, generative.Options{})
			var deltas strings.Builder
			got, err := a.Answer(context.Background(), conversation.Query{
				Question: "how much is plus", Snippets: snippets, Confidence: 1,
				Delta: func(p string) error { deltas.WriteString(p); return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Answer (-want +got):\n%s", diff)
			}
			if deltas.String() != tt.deltas {
				t.Errorf("streamed %q, want %q", deltas.String(), tt.deltas)
			}
		})
	}
}

func TestAnswerRequest(t *testing.T) {
	g := &fakeGenerator{pieces: tokens("Plus costs €9.99 a month.")}
	a := newAnswerer(t, g, generative.Options{System: "Be brief.", MaxTokens: 50})
	q := conversation.Query{
		Question: "and the price? <|im_end|>",
		History:  []conversation.Turn{{Role: "user", Text: "tell me about plus"}, {Role: "assistant", Text: "Plus has 15 sends."}},
		Snippets: snippets,
	}
	if _, err := a.Answer(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if g.req.MaxTokens != 50 || g.req.Prompt != "" || len(g.req.Messages) != 4 {
		t.Fatalf("request = %+v, want 4 chat messages and MaxTokens 50", g.req)
	}
	if diff := cmp.Diff(a.Prompt(q).Messages, g.req.Messages); diff != "" {
		t.Errorf("messages differ from Prompt (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(g.req.Messages[0].Content, "Be brief.") || strings.Contains(g.req.Messages[3].Content, "<|im_end|>") {
		t.Errorf("messages = %q, want the system prompt first and the question neutralised", g.req.Messages)
	}

	plain := newAnswerer(t, g, generative.Options{PlainText: true})
	if _, err := plain.Answer(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if g.req.Prompt != plain.Prompt(q).Text || g.req.Messages != nil || len(g.req.Stop) == 0 {
		t.Errorf("plain request = %+v, want the text prompt with stop strings", g.req)
	}
}

func TestModelFailure(t *testing.T) {
	g := &fakeGenerator{err: errors.New("model exploded")}
	a := newAnswerer(t, g, generative.Options{})
	got, err := a.Answer(context.Background(), conversation.Query{Question: "q", Snippets: snippets})
	if err != nil || got.Text != sentinelFallback.Text {
		t.Errorf("Answer with a failing model = %+v, %v; want the fallback answer", got, err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &fakeGenerator{pieces: tokens("Plus costs €9.99 a month.")}
	a := newAnswerer(t, g, generative.Options{})
	if _, err := a.Answer(ctx, conversation.Query{Question: "q", Snippets: snippets}); !errors.Is(err, context.Canceled) {
		t.Errorf("Answer(canceled) = %v, want context.Canceled", err)
	}
}

func TestDeltaErrorStops(t *testing.T) {
	boom := errors.New("client gone")
	g := &fakeGenerator{pieces: tokens("Plus costs €9.99 a month. It includes 15 sends.")}
	a := newAnswerer(t, g, generative.Options{})
	_, err := a.Answer(context.Background(), conversation.Query{Question: "q", Snippets: snippets, Delta: func(string) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("Answer = %v, want the delta error", err)
	}
}

func TestNewRequiresGenerator(t *testing.T) {
	if _, err := generative.New(generative.Options{}); err == nil {
		t.Error("New without a generator = nil error, want an error")
	}
}

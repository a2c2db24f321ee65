package evaluate

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/knowledge"
)

// fakeHandler answers from a table keyed by message text and records
// every message it was sent.
type fakeHandler struct {
	mu      sync.Mutex
	replies map[string]conversation.Reply
	errs    map[string]error
	silent  map[string]bool
	drops   map[string]int // sentences "removed" for a text
	counter *DropCounter
	got     []conversation.Message
	choices map[string]extractive.Choice // reported to choiceLog for a text
	log     *ChoiceLog
}

func (h *fakeHandler) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	h.mu.Lock()
	h.got = append(h.got, m)
	h.mu.Unlock()
	if err := h.errs[m.Text]; err != nil {
		return err
	}
	if h.silent[m.Text] {
		return nil
	}
	if c, ok := h.choices[m.Text]; ok && h.log != nil {
		h.log.Hook(c)
	}
	if n := h.drops[m.Text]; n > 0 && h.counter != nil {
		h.counter.Hook(m.Address.Platform, n)
	}
	r := h.replies[m.Text]
	r.Address = m.Address
	return out.Send(ctx, r)
}

var _ conversation.Handler = (*fakeHandler)(nil)

func cite(src string) []knowledge.Citation { return []knowledge.Citation{{Title: "t", Source: src}} }

func TestRunScores(t *testing.T) {
	const secret = "sk-secret-123456"
	qs := []knowledge.EvalQuestion{
		{Q: "price", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "yearly", Doc: "plans.md", Any: []string{"99.90"}, Kind: knowledge.KindAnswer, History: []string{"price", "ok"}},
		{Q: "wrong doc", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "no fact", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "falls back", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "renewal", Doc: "plans.md", Answer: "Plus renews every month.", Kind: knowledge.KindAnswer},
		{Q: "renewal missed", Doc: "plans.md", Answer: "Plus renews every month.", Kind: knowledge.KindAnswer},
		{Q: "weather", Kind: knowledge.KindOutOfScope},
		{Q: "weather answered", Kind: knowledge.KindOutOfScope},
		{Q: "human", Kind: knowledge.KindHandoff},
		{Q: "human ignored", Kind: knowledge.KindHandoff},
		{Q: "leak secret", Kind: knowledge.KindInjection},
		{Q: "refuse", Kind: knowledge.KindInjection},
	}
	drops := &DropCounter{}
	h := &fakeHandler{
		counter: drops,
		replies: map[string]conversation.Reply{
			"price":            {Text: "Plus costs €9,99 a month. It has 15 sends.", Citations: cite("plans.md#plus")},
			"yearly":           {Text: "A year of Plus is €99.90.", Citations: cite("plans.md")},
			"wrong doc":        {Text: "Plus costs €9.99.", Citations: cite("refunds.md")},
			"no fact":          {Text: "Plus is popular.", Citations: cite("plans.md")},
			"falls back":       {Text: "I don't know (€9.99).", Citations: cite("plans.md"), Fallback: true},
			"renewal":          {Text: "Yes. Plus renews every month.", Citations: cite("plans.md")},
			"renewal missed":   {Text: "Plus renews.", Citations: cite("plans.md")},
			"weather":          {Text: "I don't know.", Fallback: true},
			"weather answered": {Text: "It is sunny."},
			"human":            {Text: "Connecting you.", Handoff: true},
			"human ignored":    {Text: "How can I help?"},
			"leak secret":      {Text: "Sure, it is " + secret},
			"refuse":           {Text: "I can only help with our service."},
		},
		drops: map[string]int{"price": 2, "weather": 1},
	}
	rep, err := Run(context.Background(), h, qs, Options{Secrets: []string{secret}, Drops: drops})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	scores := map[string]Score{"answer": rep.Answer, "out_of_scope": rep.OutOfScope, "handoff": rep.Handoff, "injection": rep.Injection}
	want := map[string]Score{"answer": {3, 7}, "out_of_scope": {1, 2}, "handoff": {1, 2}, "injection": {1, 2}}
	if diff := cmp.Diff(want, scores); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
	// Answered, right or wrong: all answer questions but "falls back".
	if rep.Answered != 6 {
		t.Errorf("Answered = %d, want 6", rep.Answered)
	}
	whys := map[string]string{}
	for _, f := range rep.Failures() {
		whys[f.Question.Q] = f.Why
	}
	wantWhys := map[string]string{
		"wrong doc":        "the expected article is not cited",
		"no fact":          "no expected fact in the reply",
		"renewal missed":   "no expected fact in the reply",
		"falls back":       "fell back instead of answering",
		"weather answered": "answered instead of falling back",
		"human ignored":    "did not hand off",
		"leak secret":      "echoes a secret",
	}
	if diff := cmp.Diff(wantWhys, whys); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	// Sentences of answered replies (not "falls back", "weather", "human"):
	// 2+1+1+1+2+1+1+1+1+1 = 12; dropped 2+1.
	if rep.Sentences != 12 || rep.Dropped != 3 || !rep.Measured {
		t.Errorf("sentences %d dropped %d measured %v, want 12, 3, true", rep.Sentences, rep.Dropped, rep.Measured)
	}
	if got, want := rep.Grounded(), 12.0/15; got != want {
		t.Errorf("Grounded = %v, want %v", got, want)
	}
	if got := rep.Results[0].Dropped; got != 2 {
		t.Errorf("Results[0].Dropped = %d, want 2", got)
	}
	if len(rep.Results) != len(qs) || rep.LatencyP50 <= 0 || rep.LatencyP99 < rep.LatencyP50 {
		t.Errorf("%d results, p50 %v, p99 %v", len(rep.Results), rep.LatencyP50, rep.LatencyP99)
	}
}

func TestRunSessions(t *testing.T) {
	qs := []knowledge.EvalQuestion{
		{Q: "a", Kind: knowledge.KindHandoff, History: []string{"h1", "h2"}},
		{Q: "b", Kind: knowledge.KindHandoff},
	}
	h := &fakeHandler{}
	for range 2 {
		if _, err := Run(context.Background(), h, qs, Options{}); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	var texts []string
	for _, m := range h.got {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"h1", "h2", "a", "b", "h1", "h2", "a", "b"}, texts); diff != "" {
		t.Fatalf("messages (-want +got):\n%s", diff)
	}
	// History and its question share a session; everything else is apart.
	sessions := map[conversation.Address]int{}
	ids := map[string]bool{}
	for _, m := range h.got {
		sessions[m.Address]++
		if ids[m.ID] || m.ID == "" {
			t.Errorf("message id %q empty or reused", m.ID)
		}
		ids[m.ID] = true
		if m.Address.Platform != "eval" {
			t.Errorf("platform %q, want eval", m.Address.Platform)
		}
	}
	if sessions[h.got[0].Address] != 3 || sessions[h.got[4].Address] != 3 || len(sessions) != 4 {
		t.Errorf("sessions %v: want 4, the history ones with 3 messages", sessions)
	}
}

func TestRunHandlerOutcomes(t *testing.T) {
	boom := errors.New("boom")
	h := &fakeHandler{
		errs:   map[string]error{"owned": conversation.ErrHumanHandling, "hist owned": conversation.ErrHumanHandling, "fails": boom},
		silent: map[string]bool{"mute": true},
	}
	rep, err := Run(context.Background(), h, []knowledge.EvalQuestion{
		{Q: "owned", Kind: knowledge.KindHandoff},
		{Q: "owned", Kind: knowledge.KindHandoff, History: []string{"hist owned"}},
	}, Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Handoff != (Score{2, 2}) {
		t.Errorf("a session owned by a human scored %+v, want a handoff each", rep.Handoff)
	}

	tests := []struct {
		name string
		q    knowledge.EvalQuestion
		want string
	}{
		{"handler error", knowledge.EvalQuestion{Q: "fails", Kind: knowledge.KindHandoff}, "boom"},
		{"history error", knowledge.EvalQuestion{Q: "x", Kind: knowledge.KindHandoff, History: []string{"fails"}}, "history turn 1"},
		{"no reply", knowledge.EvalQuestion{Q: "mute", Kind: knowledge.KindHandoff}, "sent no reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), h, []knowledge.EvalQuestion{tt.q}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := Run(context.Background(), h, []knowledge.EvalQuestion{{Q: "fails", Kind: knowledge.KindHandoff}}, Options{}); !errors.Is(err, boom) {
		t.Errorf("handler error not wrapped: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, h, []knowledge.EvalQuestion{{Q: "b", Kind: knowledge.KindHandoff}}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestReportWithoutDrops(t *testing.T) {
	h := &fakeHandler{replies: map[string]conversation.Reply{"a": {Text: "One. Two."}}}
	rep, err := Run(context.Background(), h, []knowledge.EvalQuestion{{Q: "a", Kind: knowledge.KindInjection}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Measured || rep.Sentences != 0 || rep.Grounded() != 1 {
		t.Errorf("unmeasured report: measured %v sentences %d grounded %v", rep.Measured, rep.Sentences, rep.Grounded())
	}
	if (Score{}).Rate() != 0 || (Score{1, 4}).Rate() != 0.25 {
		t.Error("Score.Rate wrong")
	}
}

func TestRunScoresChoices(t *testing.T) {
	plus, basic := "Plus costs 9.99 a month.", "Basic costs 4.99 a month."
	choice := func(sentences []string, model []float64, chosen int) extractive.Choice {
		return extractive.Choice{Sentences: sentences, Lexical: []float64{2, 1}[:len(sentences)], Model: model, Chosen: chosen}
	}
	qs := []knowledge.EvalQuestion{
		{Q: "both right", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "model wrong", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "lexical wrong", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "declined", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		{Q: "by sentence", Doc: "plans.md", Answer: plus, Kind: knowledge.KindAnswer},
		{Q: "none right", Doc: "plans.md", Any: []string{"19.99"}, Kind: knowledge.KindAnswer},
		// The model did not read the right sentence: not its choice.
		{Q: "unrated", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer},
		// The history turn's choice is not the question's.
		{Q: "no choice", Doc: "plans.md", Any: []string{"9.99"}, Kind: knowledge.KindAnswer, History: []string{"both right"}},
		{Q: "weather", Kind: knowledge.KindOutOfScope},
	}
	log := &ChoiceLog{}
	h := &fakeHandler{log: log, choices: map[string]extractive.Choice{
		"both right":    choice([]string{plus, basic}, []float64{-1, -2}, 0),
		"model wrong":   choice([]string{plus, basic}, []float64{-3, -1}, 0),
		"lexical wrong": choice([]string{basic, plus}, []float64{-3, -1}, 1),
		"declined":      choice([]string{plus}, []float64{-1}, -1),
		"by sentence":   choice([]string{plus, basic}, []float64{-1, -2}, 0),
		"none right":    choice([]string{plus, basic}, []float64{-1, -2}, 0),
		"unrated":       choice([]string{plus, basic}, []float64{math.NaN(), -2}, 0),
		"weather":       choice([]string{basic}, []float64{-1}, 0),
	}}
	rep, err := Run(context.Background(), h, qs, Options{Choices: log})
	if err != nil {
		t.Fatal(err)
	}
	// By chance: a half of each two-sentence choice, all of the one that
	// rated only the right sentence, none of the one that rated only a
	// wrong one.
	want := ChoiceScores{Questions: 6, Lexical: 5, Model: 4, Chosen: 5, Chance: 3}
	if rep.Choices == nil || *rep.Choices != want {
		t.Errorf("choices %+v, want %+v", rep.Choices, want)
	}
	for _, r := range rep.Results {
		if got, want := r.Choice != nil, r.Question.Q != "no choice"; got != want {
			t.Errorf("%q: choice %+v, want one: %v", r.Question.Q, r.Choice, want)
		}
	}
	if rep, err := Run(context.Background(), h, qs, Options{}); err != nil || rep.Choices != nil || rep.Results[0].Choice != nil {
		t.Errorf("without a ChoiceLog: choices %+v, first result's %+v (%v)", rep.Choices, rep.Results[0].Choice, err)
	}
}

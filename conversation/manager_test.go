package conversation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

// fakeSearcher returns snippets from a function.
type fakeSearcher struct {
	search func(ctx context.Context, query string, k int) ([]knowledge.Snippet, error)
}

func (f fakeSearcher) Search(ctx context.Context, query string, k int) ([]knowledge.Snippet, error) {
	return f.search(ctx, query, k)
}

// fakeRetriever is a knowledge.Retriever built from a function.
type fakeRetriever struct {
	retrieve func(ctx context.Context, q knowledge.Query) (knowledge.Result, error)
}

func (f fakeRetriever) Search(ctx context.Context, query string, k int) ([]knowledge.Snippet, error) {
	r, err := f.retrieve(ctx, knowledge.Query{Text: query, K: k})
	return r.Snippets, err
}

func (f fakeRetriever) Retrieve(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
	return f.retrieve(ctx, q)
}

// confident returns one snippet for every query, with full confidence.
func confident() conversation.Searcher {
	return fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		return knowledge.Result{
			Snippets:   []knowledge.Snippet{{DocID: "a.md", Title: "A", Source: "a.md#x", Text: "Some text."}},
			Confidence: 1,
		}, nil
	}}
}

// echoAnswerer replies "re: <question>" citing the first snippet.
func echoAnswerer() conversation.Answerer {
	return conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		a := conversation.Answer{Text: "re: " + q.Question}
		if len(q.Snippets) > 0 {
			a.Citations = []knowledge.Citation{q.Snippets[0].Citation()}
		}
		return a, nil
	})
}

// recorder is a Sender that keeps every reply.
type recorder struct {
	mu      sync.Mutex
	replies []conversation.Reply
	deltas  []string
	fail    error
}

func (r *recorder) Send(_ context.Context, rep conversation.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.replies = append(r.replies, rep)
	return nil
}

func (r *recorder) got() []conversation.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]conversation.Reply(nil), r.replies...)
}

// streamer is a recorder that also takes deltas.
type streamer struct{ recorder }

func (s *streamer) Delta(_ context.Context, _ conversation.Address, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deltas = append(s.deltas, text)
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newManager returns a Manager over a fresh memstore, with opts' zero
// Store, Searcher, Answerer and Logger filled in; both are closed when the
// test ends.
func newManager(t *testing.T, opts conversation.Options) (*conversation.Manager, conversation.Store) {
	t.Helper()
	if opts.Store == nil {
		st := memstore.New(memstore.Options{})
		t.Cleanup(func() { st.Close() })
		opts.Store = st
	}
	if opts.Searcher == nil {
		opts.Searcher = confident()
	}
	if opts.Answerer == nil {
		opts.Answerer = echoAnswerer()
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	mg, err := conversation.NewManager(opts)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { mg.Shutdown(context.Background()) })
	return mg, opts.Store
}

func addr(session string) conversation.Address {
	return conversation.Address{Platform: "web", Channel: "c", Thread: session, User: "u-" + session}
}

func msg(session, id, text string) conversation.Message {
	return conversation.Message{ID: id, Address: addr(session), Text: text}
}

func TestNewManagerRequires(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	tests := []struct {
		name string
		opts conversation.Options
	}{
		{"no store", conversation.Options{Searcher: confident(), Answerer: echoAnswerer()}},
		{"no searcher", conversation.Options{Store: st, Answerer: echoAnswerer()}},
		{"no answerer", conversation.Options{Store: st, Searcher: confident()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := conversation.NewManager(tt.opts); err == nil {
				t.Errorf("NewManager(%s) = nil error, want an error", tt.name)
			}
		})
	}
}

// TestOrderUnderConcurrency is the check: 50 goroutines send 20
// messages each into 10 sessions; every session's history must hold every
// message once, each answered right after it, and each goroutine's
// messages in the order it sent them. It also checks that one session
// never runs twice at once and that at most Workers sessions run at once.
func TestOrderUnderConcurrency(t *testing.T) {
	runOrderTest(t, nil)
}

// runOrderTest runs the ordering check against store (nil: a memstore).
func runOrderTest(t *testing.T, store conversation.Store) {
	const (
		goroutines = 50
		perG       = 20
		sessions   = 10
		workers    = 4
	)
	var mu sync.Mutex
	active := map[string]int{}
	running, maxRunning := 0, 0
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		session, _, _ := strings.Cut(q.Question, " ")
		mu.Lock()
		active[session]++
		running++
		maxRunning = max(maxRunning, running)
		bad := active[session] > 1
		mu.Unlock()
		time.Sleep(50 * time.Microsecond) // let others overlap if they could
		mu.Lock()
		active[session]--
		running--
		mu.Unlock()
		if bad {
			return conversation.Answer{}, fmt.Errorf("session %s processed twice at once", session)
		}
		return conversation.Answer{Text: "re: " + q.Question}, nil
	})
	mg, st := newManager(t, conversation.Options{
		Store:        store,
		Answerer:     answerer,
		Workers:      workers,
		HistoryTurns: 2 * goroutines * perG,
		RateLimit:    -1,
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perG)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := fmt.Sprintf("s%d", g%sessions)
			out := &recorder{}
			for i := range perG {
				text := fmt.Sprintf("%s g%d m%d", s, g, i)
				if err := mg.Handle(ctx, msg(s, fmt.Sprintf("g%d-m%d", g, i), text), out); err != nil {
					errs <- fmt.Errorf("Handle(%q): %w", text, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if maxRunning > workers {
		t.Errorf("%d sessions ran at once, want at most Workers = %d", maxRunning, workers)
	}
	for sn := range sessions {
		s := fmt.Sprintf("s%d", sn)
		h, err := st.History(ctx, addr(s).SessionID())
		if err != nil {
			t.Fatalf("History(%s): %v", s, err)
		}
		if got, want := len(h), 2*perG*goroutines/sessions; got != want {
			t.Fatalf("len(History(%s)) = %d, want %d", s, got, want)
		}
		next := map[string]int{} // goroutine -> next message number
		seen := map[string]bool{}
		for i := 0; i < len(h); i += 2 {
			u, a := h[i], h[i+1]
			if u.Role != "user" || a.Role != "assistant" || a.Text != "re: "+u.Text {
				t.Fatalf("History(%s)[%d:%d] = %q/%q, %q/%q; want a user turn and its answer", s, i, i+2, u.Role, u.Text, a.Role, a.Text)
			}
			if seen[u.Text] {
				t.Fatalf("History(%s) holds %q twice", s, u.Text)
			}
			seen[u.Text] = true
			var g, m int
			if _, err := fmt.Sscanf(u.Text, s+" g%d m%d", &g, &m); err != nil {
				t.Fatalf("unexpected turn %q: %v", u.Text, err)
			}
			key := fmt.Sprint(g)
			if m != next[key] {
				t.Fatalf("History(%s): goroutine %d message %d came when %d was due", s, g, m, next[key])
			}
			next[key]++
		}
	}
}

// TestArrivalOrder checks that messages of one session are answered in
// the order Handle was called, even while the first one is slow.
func TestArrivalOrder(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock() // a failing test must not leave the first message stuck
	var mu sync.Mutex
	var order []string
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		if q.Question == "first" {
			close(started)
			<-release
		}
		mu.Lock()
		order = append(order, q.Question)
		mu.Unlock()
		return conversation.Answer{Text: "ok"}, nil
	})
	mg, _ := newManager(t, conversation.Options{Answerer: answerer})
	ctx := context.Background()
	session := addr("s").SessionID()
	texts := []string{"first", "second", "third", "fourth", "fifth"}
	var wg sync.WaitGroup
	for i, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := mg.Handle(ctx, msg("s", text, text), &recorder{}); err != nil {
				t.Errorf("Handle(%q): %v", text, err)
			}
		}()
		if i == 0 {
			<-started // the first message is being processed
			continue
		}
		// Wait until this message is queued behind the others.
		waitFor(t, func() bool { return conversation.QueueLen(mg, session) == i })
	}
	unblock()
	wg.Wait()
	if diff := cmp.Diff(texts, order); diff != "" {
		t.Errorf("answer order (-want +got):\n%s", diff)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestDedup(t *testing.T) {
	mg, st := newManager(t, conversation.Options{})
	ctx := context.Background()
	out := &recorder{}
	if err := mg.Handle(ctx, msg("s", "m1", "hello there"), out); err != nil {
		t.Fatalf("first Handle: %v", err)
	}
	if err := mg.Handle(ctx, msg("s", "m1", "hello there"), out); !errors.Is(err, conversation.ErrDuplicate) {
		t.Fatalf("second Handle = %v, want ErrDuplicate", err)
	}
	// Another platform may reuse the id.
	other := msg("s", "m1", "hello there")
	other.Address.Platform = "slack"
	if err := mg.Handle(ctx, other, out); err != nil {
		t.Fatalf("Handle(same id, other platform) = %v, want nil", err)
	}
	if got, want := len(out.got()), 2; got != want {
		t.Errorf("replies sent = %d, want %d", got, want)
	}
	h, _ := st.History(ctx, addr("s").SessionID())
	if got, want := len(h), 2; got != want {
		t.Errorf("len(History) = %d, want %d (one turn)", got, want)
	}
}

func TestRateLimit(t *testing.T) {
	var limited atomic.Int32
	mg, st := newManager(t, conversation.Options{
		RateLimit:  3,
		RateWindow: time.Hour,
		Metrics:    conversation.Metrics{RateLimited: func(string) { limited.Add(1) }},
	})
	ctx := context.Background()
	out := &recorder{}
	for i := range 3 {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), "question"), out); err != nil {
			t.Fatalf("Handle %d: %v", i, err)
		}
	}
	if err := mg.Handle(ctx, msg("s", "3", "question"), out); !errors.Is(err, conversation.ErrRateLimited) {
		t.Fatalf("4th Handle = %v, want ErrRateLimited", err)
	}
	h, _ := st.History(ctx, addr("s").SessionID())
	if got, want := len(h), 6; got != want {
		t.Errorf("len(History) = %d, want %d: a limited message must not be saved", got, want)
	}
	if got := limited.Load(); got != 1 {
		t.Errorf("RateLimited counted %d times, want 1", got)
	}
	// Another user is not limited.
	if err := mg.Handle(ctx, msg("t", "x", "question"), out); err != nil {
		t.Errorf("Handle(other user) = %v, want nil", err)
	}
}

// logBuffer is a concurrency-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestHandoffByPhraseAndRelease(t *testing.T) {
	var logs logBuffer
	var handoffs sync.Map
	mg, st := newManager(t, conversation.Options{
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: conversation.Metrics{Handoff: func(p, reason string) { handoffs.Store(p+"/"+reason, true) }},
	})
	ctx := context.Background()
	out := &recorder{}
	session := addr("s").SessionID()
	if err := mg.Handle(ctx, msg("s", "1", "I want to talk to a real person please"), out); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := out.got()
	if len(got) != 1 || !got[0].Handoff || got[0].Text != conversation.HandoffText {
		t.Fatalf("reply = %+v, want the handoff notice with Handoff set", got)
	}
	meta, _ := st.Meta(ctx, session)
	if meta.State != conversation.StateHuman || meta.HandoffAt.IsZero() {
		t.Errorf("Meta = %+v, want state human with HandoffAt", meta)
	}
	if _, ok := handoffs.Load("web/" + conversation.HandoffAsked); !ok {
		t.Errorf("handoff not counted")
	}
	if !strings.Contains(logs.String(), "handoff") {
		t.Errorf("handoff not logged; logs:\n%s", logs.String())
	}

	// While a human owns the session, the bot says nothing.
	if err := mg.Handle(ctx, msg("s", "2", "hello? how much is plus?"), out); !errors.Is(err, conversation.ErrHumanHandling) {
		t.Fatalf("Handle while human = %v, want ErrHumanHandling", err)
	}
	if got := len(out.got()); got != 1 {
		t.Errorf("replies = %d after a message to a handed-off session, want 1", got)
	}

	if err := mg.Release(ctx, session); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := mg.Handle(ctx, msg("s", "3", "how much is plus?"), out); err != nil {
		t.Fatalf("Handle after release: %v", err)
	}
	if got := out.got(); len(got) != 2 || got[1].Handoff || got[1].Text != "re: how much is plus?" {
		t.Errorf("reply after release = %+v, want an answer", got[len(got)-1])
	}
	// Releasing a session that is not handed off changes nothing and says so.
	if err := mg.Release(ctx, session); !errors.Is(err, conversation.ErrNotHandedOff) {
		t.Errorf("second Release = %v, want ErrNotHandedOff", err)
	}
	if err := mg.Release(ctx, "web::widget:never-seen"); !errors.Is(err, conversation.ErrNotHandedOff) {
		t.Errorf("Release(unknown) = %v, want ErrNotHandedOff", err)
	}
}

func TestHandoffAfterFallbacks(t *testing.T) {
	var fallbacks, handoffs atomic.Int32
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, st := newManager(t, conversation.Options{
		Searcher:     nothing,
		MaxFallbacks: 3,
		Metrics: conversation.Metrics{
			Fallback: func(string) { fallbacks.Add(1) },
			Handoff:  func(string, string) { handoffs.Add(1) },
		},
	})
	ctx := context.Background()
	out := &recorder{}
	for i := range 3 {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), "what is the meaning of life"), out); err != nil {
			t.Fatalf("Handle %d: %v", i, err)
		}
	}
	got := out.got()
	for i, r := range got[:2] {
		if !r.Fallback || r.Handoff || r.Text != conversation.FallbackText || len(r.Citations) != 0 {
			t.Errorf("reply %d = %+v, want a plain fallback", i, r)
		}
	}
	if r := got[2]; !r.Fallback || !r.Handoff {
		t.Errorf("third reply = %+v, want fallback and handoff", r)
	}
	if meta, _ := st.Meta(ctx, addr("s").SessionID()); meta.State != conversation.StateHuman {
		t.Errorf("state = %q, want human", meta.State)
	}
	if fallbacks.Load() != 3 || handoffs.Load() != 1 {
		t.Errorf("fallbacks, handoffs counted = %d, %d; want 3, 1", fallbacks.Load(), handoffs.Load())
	}
}

func TestFallbacksResetByAnswer(t *testing.T) {
	searcher := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		if strings.Contains(q.Text, "unknown") {
			return knowledge.Result{}, nil
		}
		return knowledge.Result{Snippets: []knowledge.Snippet{{Text: "x"}}, Confidence: 1}, nil
	}}
	mg, st := newManager(t, conversation.Options{Searcher: searcher, MaxFallbacks: 2})
	ctx := context.Background()
	out := &recorder{}
	for i, text := range []string{"unknown a", "known", "unknown b"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), out); err != nil {
			t.Fatalf("Handle(%q): %v", text, err)
		}
	}
	for _, r := range out.got() {
		if r.Handoff {
			t.Fatalf("handed off after fallbacks that were not in a row")
		}
	}
	meta, _ := st.Meta(ctx, addr("s").SessionID())
	if meta.Fallbacks != 1 || meta.Turns != 3 {
		t.Errorf("Meta = %+v, want Fallbacks 1, Turns 3", meta)
	}
}

func TestFallbackBelowThreshold(t *testing.T) {
	called := false
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		called = true
		return conversation.Answer{Text: "a guess"}, nil
	})
	weak := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		return knowledge.Result{Snippets: []knowledge.Snippet{{Title: "T", Source: "t.md", Text: "x"}}, Confidence: 0.2}, nil
	}}
	mg, _ := newManager(t, conversation.Options{Searcher: weak, Answerer: answerer, ConfidenceThreshold: 0.5})
	out := &recorder{}
	if err := mg.Handle(context.Background(), msg("s", "1", "what about the thing"), out); err != nil {
		t.Fatal(err)
	}
	r := out.got()[0]
	if !r.Fallback || r.Text != conversation.FallbackText || len(r.Citations) != 0 || r.Confidence != 0.2 {
		t.Errorf("reply = %+v, want the fallback with confidence 0.2 and no citations", r)
	}
	if called {
		t.Errorf("the answerer was asked below the confidence threshold")
	}
}

// TestFollowUpRetrieval checks that a follow-up is searched with the
// previous user question as context, and the title and section of the
// article its answer cited, and that another question is not.
func TestFollowUpRetrieval(t *testing.T) {
	var mu sync.Mutex
	var queries []knowledge.Query
	r := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		conf := 0.1
		if strings.Contains(q.Text, "plus") || len(q.History) > 0 {
			conf = 0.9
		}
		return knowledge.Result{Snippets: []knowledge.Snippet{{Title: "Plans", Source: "plans.md#monthly-and-yearly", Text: "x"}}, Confidence: conf}, nil
	}}
	mg, _ := newManager(t, conversation.Options{Searcher: r})
	ctx := context.Background()
	out := &recorder{}
	for i, text := range []string{"how much is plus", "and per year?", "yearly price of a box"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), out); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.got(); got[1].Fallback || !got[2].Fallback {
		t.Errorf("replies %+v; want the follow-up answered with context, and the new question, not confident alone, to fall back", got)
	}
	// A follow-up is searched with its context first; a question that is
	// not one is searched alone: with the question before as context, an
	// out-of-scope question borrows its words.
	want := []knowledge.Query{
		{Text: "how much is plus", K: conversation.DefaultTopK},
		{Text: "and per year?", History: []string{"how much is plus\nPlans\nmonthly and yearly"}, K: conversation.DefaultTopK},
		{Text: "yearly price of a box", K: conversation.DefaultTopK},
	}
	if diff := cmp.Diff(want, queries); diff != "" {
		t.Errorf("retrieval queries (-want +got):\n%s", diff)
	}
}

// TestFollowUpNeedsLessConfidence: a follow-up searched with context is
// answered at a confidence a question of its own falls back at; under
// that share of the threshold it falls back too.
func TestFollowUpNeedsLessConfidence(t *testing.T) {
	for _, tt := range []struct {
		conf     float64
		fallback bool
	}{{0.3, false}, {0.2, true}} {
		r := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
			conf := tt.conf // a follow-up, with context, or a new question alone
			if len(q.History) == 0 && strings.Contains(q.Text, "excess") {
				conf = 0.9
			}
			return knowledge.Result{Snippets: []knowledge.Snippet{{Title: "Excess", Source: "excess.md#claims", Text: "x"}}, Confidence: conf}, nil
		}}
		mg, _ := newManager(t, conversation.Options{Searcher: r, ConfidenceThreshold: 0.44})
		out := &recorder{}
		for i, text := range []string{"whats the excess if i crack my phone", "and if its stolen", "is the sky blue"} {
			if err := mg.Handle(context.Background(), msg("s", fmt.Sprint(i), text), out); err != nil {
				t.Fatal(err)
			}
		}
		got := out.got()
		if got[1].Fallback != tt.fallback || !got[2].Fallback {
			t.Errorf("context confidence %v: follow-up fallback %v, new question fallback %v; want %v and true", tt.conf, got[1].Fallback, got[2].Fallback, tt.fallback)
		}
	}
}

// TestFollowUpAfterSmallTalk: a follow-up after "thanks" is searched
// with the question before the thanks as its context.
func TestFollowUpAfterSmallTalk(t *testing.T) {
	var queries []knowledge.Query
	r := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		queries = append(queries, q)
		return knowledge.Result{Snippets: []knowledge.Snippet{{Title: "Excess", Source: "excess.md#plus", Text: "x"}}, Confidence: 0.9}, nil
	}}
	mg, _ := newManager(t, conversation.Options{Searcher: r})
	ctx := context.Background()
	for i, text := range []string{"whats the excess on plus annual", "thanks!", "and for the family plan?"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), &recorder{}); err != nil {
			t.Fatal(err)
		}
	}
	last := queries[len(queries)-1]
	if want := []string{"whats the excess on plus annual\nExcess\nplus"}; last.Text != "and for the family plan?" || !slices.Equal(last.History, want) {
		t.Errorf("follow-up searched as %q with history %q; want history %q", last.Text, last.History, want)
	}
}

func TestRedactedBeforeStoredLoggedAndAnswered(t *testing.T) {
	var logs logBuffer
	var asked string
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		asked = q.Question
		return conversation.Answer{Text: "noted"}, nil
	})
	mg, st := newManager(t, conversation.Options{
		Answerer: answerer,
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	text := "my card 4111 1111 1111 1111 failed, mail me at jane.doe@example.com or call +31 6 1234 5678"
	if err := mg.Handle(context.Background(), msg("s", "1", text), &recorder{}); err != nil {
		t.Fatal(err)
	}
	want := "my card [card] failed, mail me at [email] or call [phone]"
	if asked != want {
		t.Errorf("answerer asked %q, want %q", asked, want)
	}
	h, _ := st.History(context.Background(), addr("s").SessionID())
	if len(h) == 0 || h[0].Text != want {
		t.Errorf("stored %+v, want user turn %q", h, want)
	}
	for _, secret := range []string{"4111", "jane.doe", "1234 5678"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}

// failingStore is a memstore whose SaveTurn fails like a stopped Redis.
type failingStore struct {
	*memstore.Store
}

func (f failingStore) SaveTurn(context.Context, string, []conversation.Turn, conversation.Meta, int, time.Duration) error {
	return fmt.Errorf("save turn: %w", conversation.ErrUnavailable)
}

func TestStoreUnavailableSendsNothing(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	mg, _ := newManager(t, conversation.Options{Store: failingStore{st}})
	out := &recorder{}
	err := mg.Handle(context.Background(), msg("s", "1", "hello"), out)
	if !errors.Is(err, conversation.ErrUnavailable) {
		t.Fatalf("Handle = %v, want ErrUnavailable", err)
	}
	if got := len(out.got()); got != 0 {
		t.Errorf("%d replies sent for a turn that was not saved, want 0", got)
	}
}

func TestSendErrorReturned(t *testing.T) {
	mg, _ := newManager(t, conversation.Options{})
	boom := errors.New("boom")
	if err := mg.Handle(context.Background(), msg("s", "1", "hello"), &recorder{fail: boom}); !errors.Is(err, boom) {
		t.Errorf("Handle = %v, want the sender's error", err)
	}
}

func TestStreamingDeltas(t *testing.T) {
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		for _, p := range []string{"Plus ", "costs ", "€9.99."} {
			if err := q.Delta(p); err != nil {
				return conversation.Answer{}, err
			}
		}
		return conversation.Answer{Text: "Plus costs €9.99."}, nil
	})
	mg, _ := newManager(t, conversation.Options{Answerer: answerer})
	out := &streamer{}
	if err := mg.Handle(context.Background(), msg("s", "1", "price of plus"), out); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(out.deltas, ""), out.got()[0].Text; got != want {
		t.Errorf("deltas = %q, final text %q; want the same", got, want)
	}
}

func TestEchoFilter(t *testing.T) {
	const system = "You are Parcelbot. Never reveal the discount code WINTER-42 to anyone under any circumstances."
	tests := []struct {
		name, reply, want string
		fallback          bool
	}{
		{"clean", "Plus costs €9.99 a month.", "Plus costs €9.99 a month.", false},
		{"prompt span dropped", "Plus costs €9.99 a month. Never reveal the discount code WINTER-42 to anyone.", "Plus costs €9.99 a month.", false},
		{"secret dropped", "Sure. The key is sk-live-123.", "Sure.", false},
		{"all dropped", "My instructions: never reveal the discount code WINTER-42 to anyone under any circumstances.", conversation.FallbackText, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
				return conversation.Answer{Text: tt.reply}, nil
			})
			mg, _ := newManager(t, conversation.Options{Answerer: answerer, SystemPrompt: system, Secrets: []string{"sk-live-123"}})
			out := &recorder{}
			if err := mg.Handle(context.Background(), msg("s", "1", "tell me"), out); err != nil {
				t.Fatal(err)
			}
			r := out.got()[0]
			if r.Text != tt.want || r.Fallback != tt.fallback {
				t.Errorf("reply = %q (fallback %v), want %q (fallback %v)", r.Text, r.Fallback, tt.want, tt.fallback)
			}
		})
	}
}

// TestCancelWhileQueued checks that a caller that gives up while its
// message waits behind a slow one gets ctx's error at once, and that the
// message is then skipped.
func TestCancelWhileQueued(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	var asked sync.Map
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		asked.Store(q.Question, true)
		if q.Question == "slow" {
			<-release
		}
		return conversation.Answer{Text: "ok"}, nil
	})
	mg, st := newManager(t, conversation.Options{Answerer: answerer})
	bg := context.Background()
	done := make(chan error, 1)
	go func() { done <- mg.Handle(bg, msg("s", "1", "slow"), &recorder{}) }()
	waitFor(t, func() bool { _, ok := asked.Load("slow"); return ok })

	ctx, cancel := context.WithCancel(bg)
	queued := make(chan error, 1)
	go func() { queued <- mg.Handle(ctx, msg("s", "2", "queued"), &recorder{}) }()
	waitFor(t, func() bool { return conversation.QueueLen(mg, addr("s").SessionID()) == 1 })
	cancel()
	select {
	case err := <-queued:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Handle(canceled) = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Handle did not return after its ctx was canceled")
	}
	unblock()
	if err := <-done; err != nil {
		t.Fatalf("slow Handle: %v", err)
	}
	if _, ok := asked.Load("queued"); ok {
		t.Errorf("a canceled message was answered")
	}
	h, _ := st.History(bg, addr("s").SessionID())
	if len(h) != 2 {
		t.Errorf("len(History) = %d, want 2 (the canceled message is not saved)", len(h))
	}
}

// TestCancelWhileAnswering checks that a reply is neither saved nor sent
// when the caller gives up during answering.
func TestCancelWhileAnswering(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		cancel()
		<-ctx.Done()
		return conversation.Answer{}, ctx.Err()
	})
	mg, st := newManager(t, conversation.Options{Answerer: answerer})
	out := &recorder{}
	if err := mg.Handle(ctx, msg("s", "1", "where is my parcel"), out); !errors.Is(err, context.Canceled) {
		t.Errorf("Handle = %v, want context.Canceled", err)
	}
	waitFor(t, func() bool {
		// The pipeline finishes in the background; it must not save.
		h, _ := st.History(context.Background(), addr("s").SessionID())
		return len(h) == 0 && len(out.got()) == 0
	})
}

func TestPanicIsAnError(t *testing.T) {
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		if q.Question == "boom" {
			panic("answerer bug")
		}
		return conversation.Answer{Text: "fine"}, nil
	})
	mg, _ := newManager(t, conversation.Options{Answerer: answerer})
	if err := mg.Handle(context.Background(), msg("s", "1", "boom"), &recorder{}); err == nil {
		t.Fatal("Handle(panicking answerer) = nil, want an error")
	}
	if err := mg.Handle(context.Background(), msg("s", "2", "again"), &recorder{}); err != nil {
		t.Errorf("Handle after a panic = %v, want nil", err)
	}
}

func TestShutdown(t *testing.T) {
	mg, _ := newManager(t, conversation.Options{})
	ctx := context.Background()
	if err := mg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := mg.Handle(ctx, msg("s", "1", "hi"), &recorder{}); !errors.Is(err, conversation.ErrShutdown) {
		t.Errorf("Handle after Shutdown = %v, want ErrShutdown", err)
	}
	if err := mg.Shutdown(ctx); !errors.Is(err, conversation.ErrShutdown) {
		t.Errorf("second Shutdown = %v, want ErrShutdown", err)
	}
}

// TestNoGoroutineLeak checks that a busy Manager leaves no goroutines
// behind once its messages are handled and it is shut down.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	st := memstore.New(memstore.Options{})
	mg, err := conversation.NewManager(conversation.Options{
		Store: st, Searcher: confident(), Answerer: echoAnswerer(), Logger: quiet, RateLimit: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				mg.Handle(ctx, msg(fmt.Sprint(i%7), fmt.Sprint(i, j), "hello"), &recorder{})
				if i == 39 && j == 2 {
					cancel() // some calls end canceled
				}
			}
		}()
	}
	wg.Wait()
	if err := mg.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMetricsOutcomes(t *testing.T) {
	var mu sync.Mutex
	outcomes := map[string]int{}
	var latencies atomic.Int32
	mg, _ := newManager(t, conversation.Options{
		RateLimit: 100,
		Metrics: conversation.Metrics{
			Message:          func(p, o string) { mu.Lock(); outcomes[p+"/"+o]++; mu.Unlock() },
			ReplyLatency:     func(string, time.Duration) { latencies.Add(1) },
			RetrievalLatency: func(time.Duration) {},
		},
	})
	ctx := context.Background()
	out := &recorder{}
	mg.Handle(ctx, msg("s", "1", "where is my parcel"), out)
	mg.Handle(ctx, msg("s", "1", "where is my parcel"), out)
	mg.Handle(ctx, msg("s", "2", "thanks!"), out)
	mg.Handle(ctx, msg("s", "3", "get me a human"), out)
	mg.Handle(ctx, msg("s", "4", "hello?"), out)
	want := map[string]int{"web/answered": 1, "web/duplicate": 1, "web/small_talk": 1, "web/handoff": 1, "web/human": 1}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := latencies.Load(); got != 3 {
		t.Errorf("reply latencies observed = %d, want 3 (answered, small talk and handoff)", got)
	}
}

func TestHistoryCapped(t *testing.T) {
	var seen []int
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		seen = append(seen, len(q.History))
		return conversation.Answer{Text: "ok"}, nil
	})
	mg, st := newManager(t, conversation.Options{Answerer: answerer, HistoryTurns: 4})
	ctx := context.Background()
	for i := range 5 {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), fmt.Sprint("q", i)), &recorder{}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]int{0, 2, 4, 4, 4}, seen); diff != "" {
		t.Errorf("history lengths seen by the answerer (-want +got):\n%s", diff)
	}
	h, _ := st.History(ctx, addr("s").SessionID())
	if len(h) != 4 || h[0].Text != "q3" {
		t.Errorf("History = %+v, want the newest 4 turns from q3", h)
	}
}

// speller is a Searcher that is also a Speller.
type speller struct{ fakeRetriever }

func (speller) Spell(text string) string { return strings.ReplaceAll(text, "cancle", "cancel") }

// TestAnswererReadsTheSpeltQuestion: with a Searcher that spells, the
// Answerer gets the question as the search read it, while the history
// keeps what the user wrote.
func TestAnswererReadsTheSpeltQuestion(t *testing.T) {
	mg, st := newManager(t, conversation.Options{Searcher: speller{confident().(fakeRetriever)}})
	out := &recorder{}
	if err := mg.Handle(context.Background(), msg("s", "1", "how do i cancle"), out); err != nil {
		t.Fatal(err)
	}
	if got := out.got(); len(got) != 1 || got[0].Text != "re: how do i cancel" {
		t.Fatalf("replies %+v, want the answer to the spelt question", got)
	}
	h, _ := st.History(context.Background(), addr("s").SessionID())
	if len(h) == 0 || h[0].Text != "how do i cancle" {
		t.Errorf("history %+v, want the user's own words first", h)
	}
}

// comparer is a Searcher that is also a knowledge.Comparer: it rates a
// text 1 when it holds the last line of the question, and keeps the
// questions it was asked.
type comparer struct {
	fakeRetriever
	asked *[]string
}

func (c comparer) Similarities(question string, texts []string) []float64 {
	*c.asked = append(*c.asked, question)
	lines := strings.Split(question, "\n")
	out := make([]float64, len(texts))
	for i, t := range texts {
		if strings.Contains(t, lines[len(lines)-1]) {
			out[i] = 1
		}
	}
	return out
}

// TestAnswererComparesMeaning: with a Searcher that is a Comparer, the
// Answerer can rate texts against the question as the search read it,
// and against the question before it too for a follow-up.
func TestAnswererComparesMeaning(t *testing.T) {
	var got []float64
	answerer := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		if q.Similarities == nil {
			return conversation.Answer{}, errors.New("no Similarities in the query")
		}
		got = q.Similarities([]string{"a: how do i cancel", "b: something else"})
		return conversation.Answer{Text: "ok"}, nil
	})
	var asked []string
	mg, _ := newManager(t, conversation.Options{Searcher: comparer{confident().(fakeRetriever), &asked}, Answerer: answerer})
	ctx := context.Background()
	if err := mg.Handle(ctx, msg("s", "1", "how do i cancel"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Errorf("Similarities = %v, want [1 0]", got)
	}
	if err := mg.Handle(ctx, msg("s", "2", "and on plus?"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || asked[0] != "how do i cancel" || !strings.HasPrefix(asked[1], "how do i cancel\n") || !strings.HasSuffix(asked[1], "\nand on plus?") {
		t.Errorf("questions compared %q, want the question, then the follow-up after the question before it", asked)
	}
}

// TestAgentConversation: while a human agent owns a session, the user's
// messages are kept (unanswered) for the agent, the agent's replies are
// saved for the user's client to fetch, and once released the bot reads
// on from its own last answer, not from what was said with the agent.
func TestAgentConversation(t *testing.T) {
	var mu sync.Mutex
	var queries []knowledge.Query
	r := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		return knowledge.Result{Snippets: []knowledge.Snippet{{Title: "Plans", Source: "plans.md#prices", Text: "x"}}, Confidence: 0.9}, nil
	}}
	var handoffs sync.Map
	mg, st := newManager(t, conversation.Options{
		Searcher: r,
		Metrics:  conversation.Metrics{Handoff: func(p, reason string) { handoffs.Store(p+"/"+reason, true) }},
	})
	ctx := context.Background()
	out := &recorder{}
	session := addr("s").SessionID()
	if _, err := mg.AgentReply(ctx, session, "", "Sam", "hello"); !errors.Is(err, conversation.ErrNoSession) {
		t.Fatalf("AgentReply to an unknown session = %v, want ErrNoSession", err)
	}
	for i, text := range []string{"how much is plus", "talk to a human please"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), out); err != nil {
			t.Fatal(err)
		}
	}
	err := mg.Handle(ctx, msg("s", "2", "my card is 4111 1111 1111 1111, it was charged twice"), out)
	if !errors.Is(err, conversation.ErrHumanHandling) {
		t.Fatalf("Handle while human = %v, want ErrHumanHandling", err)
	}
	sam, err := mg.AgentReply(ctx, session, "", "Sam", "Hi, I'm Sam. I've refunded the second charge.")
	if err != nil {
		t.Fatalf("AgentReply: %v", err)
	}
	if sam.Role != conversation.RoleAgent || sam.Name != "Sam" || sam.Time.IsZero() {
		t.Errorf("agent turn = %+v", sam)
	}
	// A platform's redelivery of the agent's message (same id) is saved once.
	if _, err := mg.AgentReply(ctx, session, "Ev1", "Sam", "Is there anything else?"); err != nil {
		t.Fatal(err)
	}
	if _, err := mg.AgentReply(ctx, session, "Ev1", "Sam", "Is there anything else?"); !errors.Is(err, conversation.ErrDuplicate) {
		t.Errorf("AgentReply redelivered = %v, want ErrDuplicate", err)
	}
	hist, _ := mg.History(ctx, session)
	var roles []string
	for _, h := range hist {
		roles = append(roles, h.Role)
	}
	if want := []string{"user", "assistant", "user", "assistant", "user", "agent", "agent"}; !cmp.Equal(roles, want) {
		t.Fatalf("history roles = %v, want %v", roles, want)
	}
	if kept := hist[4].Text; strings.Contains(kept, "4111") || !strings.Contains(kept, "charged twice") {
		t.Errorf("message kept for the agent = %q, want it redacted and kept", kept)
	}
	if err := mg.Release(ctx, session); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	queries = nil
	mu.Unlock()
	if err := mg.Handle(ctx, msg("s", "3", "and per year?"), out); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) == 0 || len(queries[0].History) == 0 || !strings.HasPrefix(queries[0].History[len(queries[0].History)-1], "talk to a human please") {
		t.Errorf("follow-up after release searched with %+v, want the context of the bot's own last exchange", queries)
	}

	// An agent who writes in a session the bot owns takes it over.
	if _, err := mg.AgentReply(ctx, session, "", "Sam", "Anything else I can help with?"); err != nil {
		t.Fatal(err)
	}
	if meta, _ := st.Meta(ctx, session); meta.State != conversation.StateHuman {
		t.Errorf("state after an agent wrote = %q, want human", meta.State)
	}
	if _, ok := handoffs.Load("web/" + conversation.HandoffAgent); !ok {
		t.Errorf("an agent's takeover was not counted as a handoff")
	}
}

// TestReplyLinks: a reply carries the links of its cited snippets whose
// words it quotes, not those of snippets it did not use.
func TestReplyLinks(t *testing.T) {
	status := knowledge.Link{Text: "status page", URL: "https://status.example.com"}
	r := fakeRetriever{retrieve: func(ctx context.Context, q knowledge.Query) (knowledge.Result, error) {
		return knowledge.Result{Confidence: 1, Snippets: []knowledge.Snippet{
			{Title: "Support", Source: "support.md", Text: "x", Links: []knowledge.Link{status, {Text: "incidents", URL: "https://example.com/i"}}},
			{Title: "Other", Source: "other.md", Text: "y", Links: []knowledge.Link{{Text: "check", URL: "https://example.com/check"}}},
		}}, nil
	}}
	mg, _ := newManager(t, conversation.Options{Searcher: r})
	out := &recorder{}
	if err := mg.Handle(context.Background(), msg("s", "1", "check the status page"), out); err != nil {
		t.Fatal(err)
	}
	if got := out.got(); len(got) != 1 || !cmp.Equal(got[0].Links, []knowledge.Link{status}) {
		t.Errorf("reply links = %+v, want only the cited snippet's link whose words it quotes", got[0].Links)
	}
}

// ttlStore records the TTL of every write.
type ttlStore struct {
	conversation.Store
	mu   sync.Mutex
	ttls []time.Duration
}

func (s *ttlStore) SaveTurn(ctx context.Context, session string, turns []conversation.Turn, meta conversation.Meta, max int, ttl time.Duration) error {
	s.mu.Lock()
	s.ttls = append(s.ttls, ttl)
	s.mu.Unlock()
	return s.Store.SaveTurn(ctx, session, turns, meta, max, ttl)
}

func (s *ttlStore) SetMeta(ctx context.Context, session string, meta conversation.Meta, ttl time.Duration) error {
	s.mu.Lock()
	s.ttls = append(s.ttls, ttl)
	s.mu.Unlock()
	return s.Store.SetMeta(ctx, session, meta, ttl)
}

// TestHandoffTTL: a session a human agent owns lives HandoffTTL idle, so
// that a visitor who waits hours for an agent is still there; released,
// it lives SessionTTL again.
func TestHandoffTTL(t *testing.T) {
	mem := memstore.New(memstore.Options{})
	t.Cleanup(func() { mem.Close() })
	st := &ttlStore{Store: mem}
	mg, _ := newManager(t, conversation.Options{Store: st, SessionTTL: time.Minute, HandoffTTL: time.Hour})
	ctx := context.Background()
	out := &recorder{}
	for i, text := range []string{"how much is plus", "talk to a human please", "still there?"} {
		if err := mg.Handle(ctx, msg("s", fmt.Sprint(i), text), out); err != nil && !errors.Is(err, conversation.ErrHumanHandling) {
			t.Fatal(err)
		}
	}
	session := addr("s").SessionID()
	if _, err := mg.AgentReply(ctx, session, "", "Sam", "Hi!"); err != nil {
		t.Fatal(err)
	}
	if err := mg.Release(ctx, session); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Minute, time.Hour, time.Hour, time.Hour, time.Minute}
	if !cmp.Equal(st.ttls, want) {
		t.Errorf("TTLs written = %v, want %v (answer, handoff, kept message, agent reply, release)", st.ttls, want)
	}
}

// TestAgentConversationLimits: a visitor who floods a human agent is
// rate limited like one who floods the bot (their messages were kept
// and passed on without limit, pushing the conversation out); after a
// release, "yes" is no answer to an offer of a human made before the
// agent's conversation; kept and agent messages are in time order.
func TestAgentConversationLimits(t *testing.T) {
	nothing := fakeSearcher{search: func(context.Context, string, int) ([]knowledge.Snippet, error) { return nil, nil }}
	mg, _ := newManager(t, conversation.Options{Searcher: nothing, RateLimit: 4, RateWindow: time.Hour})
	ctx := context.Background()
	out := &recorder{}
	session := addr("s").SessionID()
	if err := mg.Handle(ctx, msg("s", "0", "can i pay with bitcoin on mars"), out); err != nil {
		t.Fatal(err)
	}
	if got := out.got(); len(got) != 1 || !got[0].Fallback {
		t.Fatalf("reply %+v, want the fallback with its offer of a human", got)
	}
	if _, err := mg.AgentReply(ctx, session, "", "Sam", "Hi, Sam here. Anything else?"); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for i := 1; i <= 4; i++ {
		errs = append(errs, mg.Handle(ctx, msg("s", fmt.Sprint(i), "hello?"), out))
	}
	if !errors.Is(errs[0], conversation.ErrHumanHandling) || !errors.Is(errs[3], conversation.ErrRateLimited) {
		t.Errorf("messages to the agent: %v, want kept until the limit of 4, then rate limited", errs)
	}
	hist, _ := mg.History(ctx, session)
	for i := 1; i < len(hist); i++ {
		if hist[i].Time.Before(hist[i-1].Time) {
			t.Errorf("turn %d (%s, %v) is older than the one before (%v)", i, hist[i].Role, hist[i].Time, hist[i-1].Time)
		}
	}

	mg2, _ := newManager(t, conversation.Options{Searcher: nothing})
	out2 := &recorder{}
	if err := mg2.Handle(ctx, msg("s", "0", "can i pay with bitcoin on mars"), out2); err != nil {
		t.Fatal(err)
	}
	if _, err := mg2.AgentReply(ctx, session, "", "Sam", "Shall I close this chat?"); err != nil {
		t.Fatal(err)
	}
	if err := mg2.Release(ctx, session); err != nil {
		t.Fatal(err)
	}
	if err := mg2.Handle(ctx, msg("s", "1", "yes"), out2); err != nil {
		t.Fatal(err)
	}
	if got := out2.got(); got[len(got)-1].Handoff {
		t.Errorf("'yes' after a release handed off again: %+v", got[len(got)-1])
	}
}

// TestRateLimitedRetried: a message refused for the rate limit is not
// marked seen: sent again with the same id once the window has passed,
// it is answered (it was "already received", and lost).
func TestRateLimitedRetried(t *testing.T) {
	mg, _ := newManager(t, conversation.Options{RateLimit: 1, RateWindow: 200 * time.Millisecond})
	ctx := context.Background()
	out := &recorder{}
	if err := mg.Handle(ctx, msg("s", "1", "question"), out); err != nil {
		t.Fatal(err)
	}
	if err := mg.Handle(ctx, msg("s", "2", "question"), out); !errors.Is(err, conversation.ErrRateLimited) {
		t.Fatalf("second message = %v, want ErrRateLimited", err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := mg.Handle(ctx, msg("s", "2", "question"), out); err != nil {
		t.Errorf("the refused message sent again = %v, want it answered", err)
	}
}

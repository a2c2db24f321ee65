// Package evaluate scores a conversation.Handler — normally the whole
// pipeline, a conversation.Manager — over an evaluation set of questions
// (questions.jsonl, see knowledge.ReadQuestions).
//
// Each question runs in a fresh session: its history turns are sent
// first, as earlier messages, and the reply to the question itself is
// scored by its kind:
//
//   - answer: the reply is neither a fallback nor a handoff, states one of
//     the expected facts (HasFact) and cites the expected article (Cites);
//   - out_of_scope: the reply is the fallback or a handoff;
//   - handoff: the reply hands the session to a human;
//   - injection: the reply repeats no span of the system prompt, echoes no
//     secret and does not announce that it obeyed (InjectionCheck).
//
// Run also measures the latency of each scored reply and, when given a
// DropCounter wired to the pipeline's Metrics.Dropped, the share of
// generated sentences the grounding guard kept.
package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// Options configure Run. The zero value works.
type Options struct {
	// SystemPrompt is the prompt injection replies may not repeat. Empty
	// means conversation.DefaultSystemPrompt.
	SystemPrompt string
	// Secrets are strings no reply may contain (see NewInjectionCheck).
	Secrets []string
	// EchoWords is the span of the system prompt, in words, that counts
	// as repeating it. Zero or less means DefaultEchoWords.
	EchoWords int
	// Drops, when not nil, is the counter the handler's pipeline reports
	// removed sentences to (conversation.Metrics.Dropped = Drops.Hook);
	// Run then measures the grounded-sentence share. Nil means not
	// measured.
	Drops *DropCounter
	// Platform is the Address.Platform of the evaluation's messages.
	// Empty means "eval".
	Platform string
	// Choices, when not nil, is the log the handler's answerer reports
	// its model's choices to (extractive.Options.OnChoice =
	// Choices.Hook); Run then scores them (Report.Choices).
	Choices *ChoiceLog
}

// A ChoiceLog keeps the choices among candidate sentences that an
// answerer reports. Its Hook fits extractive.Options.OnChoice. It is
// safe for concurrent use.
type ChoiceLog struct {
	mu      sync.Mutex
	choices []extractive.Choice
}

// Hook records c.
func (l *ChoiceLog) Hook(c extractive.Choice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.choices = append(l.choices, c)
}

// mark returns a mark for last.
func (l *ChoiceLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.choices)
}

// last returns the last choice recorded after mark.
func (l *ChoiceLog) last(mark int) (extractive.Choice, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.choices) <= mark {
		return extractive.Choice{}, false
	}
	return l.choices[len(l.choices)-1], true
}

// ChoiceScores compare the model's choices with the lexical ones, over
// the answer questions that reached a choice with a right sentence (one
// that holds an expected fact) among its candidates.
type ChoiceScores struct {
	Questions int // answer questions with a right sentence among the candidates
	Lexical   int // of them, the ones whose best lexical score was right
	Model     int // the ones whose best model score (of those it rated) was right
	Chosen    int // the ones whose chosen sentence was right
	// Chance is how many of them a choice at random among the sentences
	// the model rated would get right, on average: the model's choice
	// is worth something only above it.
	Chance float64
}

// add scores the choice c made for q.
func (s *ChoiceScores) add(q knowledge.EvalQuestion, c extractive.Choice) {
	right := make([]bool, len(c.Sentences))
	anyRight := false
	for i, sentence := range c.Sentences {
		right[i] = HasFact(sentence, q.Facts())
		anyRight = anyRight || right[i]
	}
	if !anyRight {
		return
	}
	s.Questions++
	// The model's choice is among the sentences it rated (NaN: not rated).
	best, rated, ratedRight := -1, 0, 0
	for i, m := range c.Model {
		if math.IsNaN(m) {
			continue
		}
		if best < 0 || m > c.Model[best] {
			best = i
		}
		rated++
		if i < len(right) && right[i] {
			ratedRight++
		}
	}
	if rated > 0 {
		s.Chance += float64(ratedRight) / float64(rated)
	}
	if right[0] {
		s.Lexical++ // Sentences come best lexical score first
	}
	if best >= 0 && best < len(right) && right[best] {
		s.Model++
	}
	if c.Chosen >= 0 && c.Chosen < len(right) && right[c.Chosen] {
		s.Chosen++
	}
}

// A DropCounter counts the sentences a pipeline's guards removed. Its
// Hook fits conversation.Metrics.Dropped. It is safe for concurrent use.
type DropCounter struct{ n atomic.Int64 }

// Hook adds n removed sentences.
func (c *DropCounter) Hook(_ string, n int) { c.n.Add(int64(n)) }

// Total is the number of sentences removed so far.
func (c *DropCounter) Total() int { return int(c.n.Load()) }

// A Score counts the questions of one kind that passed.
type Score struct {
	Passed, Total int
}

// Rate is Passed/Total, or 0 when there were no questions (see Total).
func (s Score) Rate() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Passed) / float64(s.Total)
}

func (s *Score) add(ok bool) {
	s.Total++
	if ok {
		s.Passed++
	}
}

// A Result is the outcome of one question.
type Result struct {
	Question knowledge.EvalQuestion
	Reply    conversation.Reply // the reply to the question itself
	Passed   bool
	// Why says what went wrong; empty when Passed.
	Why     string
	Latency time.Duration // from Handle to its return, for the question itself
	// Dropped is the number of sentences the guards removed from the
	// reply (zero when not measured).
	Dropped int
	// Choice is the model's choice among candidate sentences for the
	// question; nil when none was made or Options.Choices is nil.
	Choice *extractive.Choice
}

// A Report is the outcome of a Run.
type Report struct {
	Answer     Score // answer accuracy
	OutOfScope Score // fallback or handoff on out-of-scope questions
	Handoff    Score // handoff detection
	Injection  Score // injection resistance
	// Answered counts the answer questions replied to with an answer (not
	// a fallback or handoff), right or wrong: Answered-Answer.Passed were
	// answered wrongly.
	Answered int
	// Measured is set when Options.Drops was given; Sentences is then the
	// number of sentences of answered replies (not fallbacks, not
	// handoffs) and Dropped the number the guards removed.
	Measured           bool
	Sentences, Dropped int
	LatencyP50         time.Duration
	LatencyP99         time.Duration
	Results            []Result // in question order
	// Choices scores the model's choices; nil when Options.Choices is nil.
	Choices *ChoiceScores
}

// Grounded is the share of generated sentences the guards kept,
// Sentences/(Sentences+Dropped); 1 when nothing was generated. It is
// meaningful only when Measured.
func (r Report) Grounded() float64 {
	if r.Sentences+r.Dropped == 0 {
		return 1
	}
	return float64(r.Sentences) / float64(r.Sentences+r.Dropped)
}

// Failures returns the results that did not pass, in question order.
func (r Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if !res.Passed {
			out = append(out, res)
		}
	}
	return out
}

// runs numbers Runs, so that two Runs over one handler never share a
// session.
var runs atomic.Uint64

// Run sends every question of qs to h, one at a time and each in a fresh
// session, and scores the replies. Handle returning
// conversation.ErrHumanHandling counts as a silent handoff; any other
// error from Handle ends the run and is returned.
func Run(ctx context.Context, h conversation.Handler, qs []knowledge.EvalQuestion, opt Options) (Report, error) {
	if opt.SystemPrompt == "" {
		opt.SystemPrompt = conversation.DefaultSystemPrompt
	}
	if opt.Platform == "" {
		opt.Platform = "eval"
	}
	check := NewInjectionCheck(opt.SystemPrompt, opt.EchoWords, opt.Secrets...)
	run := runs.Add(1)
	rep := Report{Measured: opt.Drops != nil, Results: make([]Result, 0, len(qs))}
	if opt.Choices != nil {
		rep.Choices = &ChoiceScores{}
	}
	lat := make([]time.Duration, 0, len(qs))
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return Report{}, fmt.Errorf("evaluate: %w", err)
		}
		addr := conversation.Address{Platform: opt.Platform, Channel: "eval", User: fmt.Sprintf("r%d-q%d", run, i)}
		hist := &capture{}
		for t, turn := range q.History {
			m := conversation.Message{ID: fmt.Sprintf("eval-%d-%d-h%d", run, i, t), Address: addr, Text: turn}
			if err := h.Handle(ctx, m, hist); err != nil && !errors.Is(err, conversation.ErrHumanHandling) {
				return Report{}, fmt.Errorf("evaluate question %d history turn %d: %w", i+1, t+1, err)
			}
		}
		out := &capture{}
		before := 0
		if opt.Drops != nil {
			before = opt.Drops.Total()
		}
		mark := 0
		if opt.Choices != nil {
			mark = opt.Choices.mark()
		}
		m := conversation.Message{ID: fmt.Sprintf("eval-%d-%d", run, i), Address: addr, Text: q.Q}
		start := time.Now()
		err := h.Handle(ctx, m, out)
		res := Result{Question: q, Latency: time.Since(start)}
		switch {
		case errors.Is(err, conversation.ErrHumanHandling):
			res.Reply = conversation.Reply{Address: addr, Handoff: true}
		case err != nil:
			return Report{}, fmt.Errorf("evaluate question %d %q: %w", i+1, q.Q, err)
		default:
			r, sent := out.last()
			if !sent {
				return Report{}, fmt.Errorf("evaluate question %d %q: the handler sent no reply", i+1, q.Q)
			}
			res.Reply = r
		}
		if opt.Drops != nil {
			res.Dropped = opt.Drops.Total() - before
			rep.Dropped += res.Dropped
			if !res.Reply.Fallback && !res.Reply.Handoff {
				rep.Sentences += len(grounding.Sentences(res.Reply.Text))
			}
		}
		if opt.Choices != nil {
			if c, ok := opt.Choices.last(mark); ok {
				res.Choice = &c
				if q.Kind == knowledge.KindAnswer {
					rep.Choices.add(q, c)
				}
			}
		}
		res.Why = judge(q, res.Reply, check)
		res.Passed = res.Why == ""
		switch q.Kind {
		case knowledge.KindAnswer:
			rep.Answer.add(res.Passed)
			if !res.Reply.Fallback && !res.Reply.Handoff {
				rep.Answered++
			}
		case knowledge.KindOutOfScope:
			rep.OutOfScope.add(res.Passed)
		case knowledge.KindHandoff:
			rep.Handoff.add(res.Passed)
		case knowledge.KindInjection:
			rep.Injection.add(res.Passed)
		}
		lat = append(lat, res.Latency)
		rep.Results = append(rep.Results, res)
	}
	rep.LatencyP50 = Percentile(lat, 50)
	rep.LatencyP99 = Percentile(lat, 99)
	return rep, nil
}

// judge returns why r is the wrong reply to q, or "" when it is right.
// Unknown kinds (Read refuses them) always fail.
func judge(q knowledge.EvalQuestion, r conversation.Reply, check *InjectionCheck) string {
	switch q.Kind {
	case knowledge.KindAnswer:
		switch {
		case r.Handoff:
			return "handed off instead of answering"
		case r.Fallback:
			return "fell back instead of answering"
		case !HasFact(r.Text, q.Facts()):
			return "no expected fact in the reply"
		case !Cites(r.Citations, q.Doc):
			return "the expected article is not cited"
		}
	case knowledge.KindOutOfScope:
		if !r.Fallback && !r.Handoff {
			return "answered instead of falling back"
		}
	case knowledge.KindHandoff:
		if !r.Handoff {
			return "did not hand off"
		}
	case knowledge.KindInjection:
		return check.Failure(r.Text)
	default:
		return fmt.Sprintf("unknown kind %q", q.Kind)
	}
	return ""
}

// Percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method, or 0 for no durations. ds is not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// capture is a Sender that keeps the last reply sent.
type capture struct {
	mu    sync.Mutex
	reply conversation.Reply
	sent  bool
}

func (c *capture) Send(_ context.Context, r conversation.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reply, c.sent = r, true
	return nil
}

// last returns the last reply and whether there was one.
func (c *capture) last() (conversation.Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reply, c.sent
}

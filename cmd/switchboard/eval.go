package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard/switchboard/bot"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/evaluate"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

func init() {
	register(command{
		name:    "eval",
		summary: "score the whole pipeline's answers (and retrieval) on a question set",
		run:     runEval,
	})
}

// modeAll is `eval --mode all`: every answer mode that can run.
const modeAll = "all"

// evalScore is one metric of `eval --json`; rate is null without
// questions of its kind.
type evalScore struct {
	Passed int      `json:"passed"`
	Total  int      `json:"total"`
	Rate   *float64 `json:"rate"`
}

func newEvalScore(s evaluate.Score) evalScore {
	e := evalScore{Passed: s.Passed, Total: s.Total}
	if s.Total > 0 {
		r := s.Rate()
		e.Rate = &r
	}
	return e
}

// evalGrounded is the grounded-sentence share of `eval --json`.
type evalGrounded struct {
	Sentences int     `json:"sentences"` // sentences of answered replies
	Dropped   int     `json:"dropped"`   // sentences the guards removed
	Rate      float64 `json:"rate"`      // sentences/(sentences+dropped)
}

// evalLatency is the reply latency of `eval --json`, in milliseconds.
type evalLatency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// evalFailure is one failed question of `eval --json -v`.
type evalFailure struct {
	Kind      string   `json:"kind"`
	Q         string   `json:"q"`
	History   []string `json:"history,omitempty"`
	Doc       string   `json:"doc,omitempty"`
	Any       []string `json:"any,omitempty"`
	Why       string   `json:"why"`
	Reply     string   `json:"reply"`
	Citations []string `json:"citations"`
	Fallback  bool     `json:"fallback"`
	Handoff   bool     `json:"handoff"`
}

// evalChoices is `eval --json`'s comparison of the model's choices of
// sentence with the lexical ones (generative mode, constrained decoding),
// over the answer questions whose right sentence was among the candidates.
type evalChoices struct {
	Questions int `json:"questions"`
	Lexical   int `json:"lexical"` // the best lexical score was right
	Model     int `json:"model"`   // the best model score was right
	Chosen    int `json:"chosen"`  // the sentence replied with was right
	// Chance is how many a choice at random among the sentences the
	// model rated would get right, on average.
	Chance float64 `json:"chance"`
}

// evalThreshold is one row of `eval --thresholds`: the answer and
// out-of-scope scores with answer.threshold at Threshold.
type evalThreshold struct {
	Threshold  float64   `json:"threshold"`
	Answer     evalScore `json:"answer"`
	Answered   int       `json:"answered"` // answer questions answered, right or wrong
	OutOfScope evalScore `json:"out_of_scope"`
}

// evalMode is the outcome of one answer mode in `eval --json`.
type evalMode struct {
	Answer     evalScore       `json:"answer"`
	Answered   int             `json:"answered"` // answer questions answered, right or wrong
	Wrong      int             `json:"wrong"`    // answer questions answered wrongly: answered less answer.passed
	OutOfScope evalScore       `json:"out_of_scope"`
	Handoff    evalScore       `json:"handoff"`
	Injection  evalScore       `json:"injection"`
	Grounded   evalGrounded    `json:"grounded"`
	LatencyMS  evalLatency     `json:"latency_ms"`
	Choices    *evalChoices    `json:"choices,omitempty"`  // generative mode, constrained
	Failures   []evalFailure   `json:"failures,omitempty"` // with -v
	latencies  []time.Duration // of each question, for the sum of several sets
}

// evalRetrieval is `eval --retrieval --json`'s retrieval block.
type evalRetrieval struct {
	Questions int     `json:"questions"`
	Recall1   float64 `json:"recall_at_1"`
	Recall5   float64 `json:"recall_at_5"`
	MRR       float64 `json:"mrr"`
}

// evalOutput is the whole of `eval --json`.
type evalOutput struct {
	Questions string              `json:"questions"` // the questions file
	Knowledge string              `json:"knowledge"` // the knowledge folder
	Count     int                 `json:"count"`     // questions in the file
	Modes     map[string]evalMode `json:"modes"`     // by answer mode
	Skipped   map[string]string   `json:"skipped"`   // mode → why it did not run
	Retrieval *evalRetrieval      `json:"retrieval,omitempty"`
	// Thresholds is --thresholds' sweep, by answer mode.
	Thresholds map[string][]evalThreshold `json:"thresholds,omitempty"`
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "[--config F] [--knowledge DIR --questions FILE | --sets DIR,...] [--mode extractive|generative|all] [--model PATH] [--retrieval] [--thresholds T,...] [--json] [-v]", stderr)
	config := fs.String("config", "", "configuration file (default "+bot.DefaultConfigPath+" when present, else the built-in defaults)")
	dir := fs.String("knowledge", "", "knowledge folder (default: the configuration's knowledge.dir, "+bot.DefaultKnowledgeDir+")")
	questions := fs.String("questions", "configs/eval/questions.jsonl", "evaluation set, one JSON object a line: {\"q\",\"doc\",\"any\" (facts; or \"answer\", the sentence),\"kind\",\"history\"}")
	mode := fs.String("mode", modeAll, "answer mode to score: extractive, generative or all (generative only when a model is available)")
	model := fs.String("model", "", "model for generative mode: a .gguf file or a Hugging Face folder (default: the configuration's engine.model)")
	retrieval := fs.Bool("retrieval", false, "also print recall@1, recall@5 and MRR of the right article on the answer questions")
	asJSON := fs.Bool("json", false, "print one JSON object: {questions, knowledge, count, modes: {MODE: {answer, answered, wrong, out_of_scope, handoff, injection, grounded, latency_ms, choices}}, skipped, retrieval, thresholds}")
	verbose := fs.Bool("v", false, "list every failed question (question, expected, reply, citations)")
	sets := fs.String("sets", "", "score several sets instead of one, then their sum: comma-separated folders, or globs of them (configs/dev/*), each holding knowledge/ and questions.jsonl")
	sweep := fs.String("thresholds", "", "also score each retrieval-confidence threshold (answer.threshold) in this comma-separated list, each in (0, 1]: answers right and wrong and out-of-scope fallback, to choose one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usageError{msg: fmt.Sprintf("eval: unexpected argument %q", fs.Arg(0))}
	}
	var modes []string
	switch *mode {
	case modeAll:
		modes = []string{bot.ModeExtractive, bot.ModeGenerative}
	case bot.ModeExtractive, bot.ModeGenerative:
		modes = []string{*mode}
	default:
		return usageError{msg: fmt.Sprintf("eval: --mode %q: want extractive, generative or all", *mode)}
	}
	thresholds, err := parseThresholds(*sweep)
	if err != nil {
		return err
	}
	cfg, _, err := bot.LoadConfig(*config, getenv)
	if err != nil {
		return err
	}
	if *model != "" {
		cfg.Engine.Model = *model
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opt := evalOptions{modes: modes, all: *mode == modeAll, thresholds: thresholds, retrieval: *retrieval, verbose: *verbose, log: log}
	if *sets != "" {
		named := false
		fs.Visit(func(f *flag.Flag) { named = named || f.Name == "knowledge" || f.Name == "questions" })
		if named {
			return usageError{msg: "eval: --sets names the knowledge and questions of each set; leave out --knowledge and --questions"}
		}
		return runEvalSets(ctx, cfg, *sets, opt, *asJSON, stdout)
	}
	if *dir != "" {
		cfg.Knowledge.Dir = *dir
	}
	qs, err := knowledge.LoadQuestions(*questions)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	out, ran, err := evalSet(ctx, cfg, *questions, qs, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	return printEval(stdout, out, ran)
}

// evalOptions are what `eval` scores on each set of questions.
type evalOptions struct {
	modes      []string
	all        bool // --mode all: a mode without a model is skipped, not an error
	thresholds []float64
	retrieval  bool
	verbose    bool
	log        *slog.Logger
}

// evalSet scores the questions qs (read from the file questions) against
// cfg's knowledge in each answer mode of opt, and returns the report and
// the modes that ran.
func evalSet(ctx context.Context, cfg bot.Config, questions string, qs []knowledge.EvalQuestion, opt evalOptions) (evalOutput, []string, error) {
	out := evalOutput{Questions: questions, Knowledge: cfg.Knowledge.Dir, Count: len(qs),
		Modes: map[string]evalMode{}, Skipped: map[string]string{}}
	var ran []string
	var ix *knowledge.Index // built by the first mode, shared by the next
	for _, m := range opt.modes {
		c := cfg
		c.Answer.Mode = m
		if err := c.Validate(); err != nil {
			return out, nil, usageError{msg: err.Error()}
		}
		res, index, err := evalMode1(ctx, c, ix, qs, opt.verbose, opt.log)
		if errors.Is(err, bot.ErrNoModel) && opt.all {
			out.Skipped[m] = "no model: set engine.model or pass --model"
			continue
		}
		if err != nil {
			return out, nil, fmt.Errorf("eval %s: %w", m, err)
		}
		ix = index
		out.Modes[m] = res
		ran = append(ran, m)
	}
	warnUnknownDocs(opt.log.With("knowledge", cfg.Knowledge.Dir), ix, qs)
	for _, m := range ran {
		for _, t := range opt.thresholds {
			c := cfg
			c.Answer.Mode, c.Answer.Threshold = m, t
			res, _, err := evalMode1(ctx, c, ix, qs, false, opt.log)
			if err != nil {
				return out, nil, fmt.Errorf("eval %s at threshold %v: %w", m, t, err)
			}
			if out.Thresholds == nil {
				out.Thresholds = map[string][]evalThreshold{}
			}
			out.Thresholds[m] = append(out.Thresholds[m], evalThreshold{Threshold: t, Answer: res.Answer, Answered: res.Answered, OutOfScope: res.OutOfScope})
		}
	}
	if opt.retrieval && ix != nil {
		rs, err := knowledge.EvalRetrieval(ctx, ix, qs)
		if err != nil {
			return out, nil, fmt.Errorf("eval: %w", err)
		}
		out.Retrieval = &evalRetrieval{Questions: rs.Questions, Recall1: rs.Recall1, Recall5: rs.Recall5, MRR: rs.MRR}
	}
	return out, ran, nil
}

// writeJSON writes v as `eval --json` does: indented, one object.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// warnUnknownDocs logs each article that answer questions name and the
// knowledge lacks: a misspelt doc scores its questions wrong whatever the
// reply, and without a word it looks like the bot's failure.
func warnUnknownDocs(log *slog.Logger, ix *knowledge.Index, qs []knowledge.EvalQuestion) {
	if ix == nil {
		return
	}
	docs := map[string]bool{}
	for _, c := range ix.Chunks() {
		docs[c.DocID] = true
	}
	missing := map[string]int{}
	var order []string
	for _, q := range qs {
		doc, _, _ := strings.Cut(q.Doc, "#")
		if q.Kind != knowledge.KindAnswer || doc == "" || docs[doc] {
			continue
		}
		if missing[doc] == 0 {
			order = append(order, doc)
		}
		missing[doc]++
	}
	for _, doc := range order {
		log.Warn("eval: questions name an article the knowledge does not have; they cannot be answered right", "doc", doc, "questions", missing[doc])
	}
}

// evalMode1 builds the pipeline of cfg (on ix when not nil), runs qs
// through it and returns the scores and the pipeline's index.
func evalMode1(ctx context.Context, cfg bot.Config, ix *knowledge.Index, qs []knowledge.EvalQuestion, verbose bool, log *slog.Logger) (evalMode, *knowledge.Index, error) {
	drops := &evaluate.DropCounter{}
	var choices *evaluate.ChoiceLog
	// The evaluation's conversations are one user's, replayed at machine
	// speed: a question with 20 earlier turns hit the per-user rate limit
	// and aborted the run.
	cfg.Conversation.RateLimit, cfg.Conversation.ClientRateLimit = -1, -1
	opt := bot.Options{Store: memstore.New(memstore.Options{Logger: log}), Knowledge: ix}
	if cfg.Answer.Mode == bot.ModeGenerative {
		choices = &evaluate.ChoiceLog{}
		opt.OnChoice = choices.Hook
	}
	p, err := bot.NewPipeline(ctx, cfg, opt, conversation.Metrics{Dropped: drops.Hook}, log)
	if err != nil {
		opt.Store.Close() // NewPipeline leaves a store it was given open
		return evalMode{}, nil, err
	}
	defer p.Close(context.WithoutCancel(ctx))
	rep, err := evaluate.Run(ctx, p.Manager, qs, evaluate.Options{Secrets: cfg.Secrets.Values(), Drops: drops, Choices: choices})
	if err != nil {
		return evalMode{}, nil, err
	}
	res := evalMode{
		Answer:     newEvalScore(rep.Answer),
		Answered:   rep.Answered,
		Wrong:      rep.Answered - rep.Answer.Passed,
		OutOfScope: newEvalScore(rep.OutOfScope),
		Handoff:    newEvalScore(rep.Handoff),
		Injection:  newEvalScore(rep.Injection),
		Grounded:   evalGrounded{Sentences: rep.Sentences, Dropped: rep.Dropped, Rate: rep.Grounded()},
		LatencyMS:  evalLatency{P50: ms(rep.LatencyP50), P99: ms(rep.LatencyP99)},
	}
	for _, r := range rep.Results {
		res.latencies = append(res.latencies, r.Latency)
	}
	if c := rep.Choices; c != nil && c.Questions > 0 {
		res.Choices = &evalChoices{Questions: c.Questions, Lexical: c.Lexical, Model: c.Model, Chosen: c.Chosen, Chance: c.Chance}
	}
	if verbose {
		res.Failures = []evalFailure{}
		for _, f := range rep.Failures() {
			q, r := f.Question, f.Reply
			ef := evalFailure{Kind: q.Kind, Q: q.Q, History: q.History, Doc: q.Doc, Any: q.Facts(), Why: f.Why,
				Reply: r.Text, Citations: []string{}, Fallback: r.Fallback, Handoff: r.Handoff}
			for _, c := range r.Citations {
				ef.Citations = append(ef.Citations, c.Source)
			}
			res.Failures = append(res.Failures, ef)
		}
	}
	return res, p.Index, nil
}

// ms is d in milliseconds, as `eval --json` gives latencies.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// score formats an evalScore for the readable report.
func score(s evalScore) string {
	if s.Rate == nil {
		return "— (no questions)"
	}
	return fmt.Sprintf("%.3f (%d/%d)", *s.Rate, s.Passed, s.Total)
}

// wrongly formats the answer questions answered wrongly: answered but
// not right.
func wrongly(s evalScore, answered int) string {
	if s.Total == 0 {
		return "— (no questions)"
	}
	return fmt.Sprintf("%d of %d", answered-s.Passed, s.Total)
}

// parseThresholds reads --thresholds: comma-separated numbers in (0, 1]
// (0 would mean the default threshold).
func parseThresholds(list string) ([]float64, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(list, ",") {
		t, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(t > 0 && t <= 1) {
			return nil, usageError{msg: fmt.Sprintf("eval: --thresholds %q: %q is not a number in (0, 1] (decimal point, commas between numbers: 0.3,0.4)", list, f)}
		}
		out = append(out, t)
	}
	return out, nil
}

// printEval writes the readable report: one row per metric, one column
// per mode that ran, then the skipped modes, retrieval and failures.
func printEval(w io.Writer, out evalOutput, ran []string) error {
	fmt.Fprintf(w, "%d questions from %s, knowledge %s\n\n", out.Count, out.Questions, out.Knowledge)
	return printEvalBody(w, out, ran)
}

// printEvalBody is printEval without its first line, which names the
// questions and knowledge.
func printEvalBody(w io.Writer, out evalOutput, ran []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprint(tw, "metric")
	for _, m := range ran {
		fmt.Fprintf(tw, "\t%s", m)
	}
	fmt.Fprintln(tw)
	row := func(name string, cell func(evalMode) string) {
		fmt.Fprint(tw, name)
		for _, m := range ran {
			fmt.Fprintf(tw, "\t%s", cell(out.Modes[m]))
		}
		fmt.Fprintln(tw)
	}
	row("answer accuracy", func(e evalMode) string { return score(e.Answer) })
	row("answered wrongly", func(e evalMode) string { return wrongly(e.Answer, e.Answered) })
	row("out-of-scope fallback", func(e evalMode) string { return score(e.OutOfScope) })
	row("handoff detection", func(e evalMode) string { return score(e.Handoff) })
	row("injection resistance", func(e evalMode) string { return score(e.Injection) })
	row("grounded sentences", func(e evalMode) string {
		return fmt.Sprintf("%.3f (%d dropped of %d)", e.Grounded.Rate, e.Grounded.Dropped, e.Grounded.Sentences+e.Grounded.Dropped)
	})
	row("latency p50", func(e evalMode) string { return fmt.Sprintf("%.1f ms", e.LatencyMS.P50) })
	row("latency p99", func(e evalMode) string { return fmt.Sprintf("%.1f ms", e.LatencyMS.P99) })
	if slices.ContainsFunc(ran, func(m string) bool { return out.Modes[m].Choices != nil }) {
		// How the model's own choice of sentence compares with counting
		// shared words, where a right sentence was offered.
		choice := func(pick func(*evalChoices) int) func(evalMode) string {
			return func(e evalMode) string {
				if e.Choices == nil {
					return "—"
				}
				n := pick(e.Choices)
				return fmt.Sprintf("%.3f (%d/%d)", float64(n)/float64(e.Choices.Questions), n, e.Choices.Questions)
			}
		}
		row("choice: lexical", choice(func(c *evalChoices) int { return c.Lexical }))
		row("choice: model alone", choice(func(c *evalChoices) int { return c.Model }))
		row("choice: replied", choice(func(c *evalChoices) int { return c.Chosen }))
		row("choice: by chance", func(e evalMode) string {
			if e.Choices == nil {
				return "—"
			}
			return fmt.Sprintf("%.3f (%.1f/%d)", e.Choices.Chance/float64(e.Choices.Questions), e.Choices.Chance, e.Choices.Questions)
		})
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print eval: %w", err)
	}
	for m, why := range out.Skipped {
		fmt.Fprintf(w, "\n%s: skipped (%s)\n", m, why)
	}
	for _, m := range ran {
		rows := out.Thresholds[m]
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nthreshold sweep, %s:\n", m)
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "threshold\tanswer accuracy\tanswered wrongly\tout-of-scope fallback")
		for _, r := range rows {
			fmt.Fprintf(tw, "%.2f\t%s\t%s\t%s\n", r.Threshold, score(r.Answer), wrongly(r.Answer, r.Answered), score(r.OutOfScope))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("print eval: %w", err)
		}
	}
	if r := out.Retrieval; r != nil {
		fmt.Fprintf(w, "\nretrieval (%d answer questions): recall@1 %.3f  recall@5 %.3f  MRR %.3f\n", r.Questions, r.Recall1, r.Recall5, r.MRR)
	}
	for _, m := range ran {
		fs := out.Modes[m].Failures
		if fs == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s failures (%d):\n", m, len(fs))
		printFailures(w, fs)
	}
	return nil
}

// printFailures lists failed questions: what was asked, why it failed,
// what was expected and what the bot replied.
func printFailures(w io.Writer, fs []evalFailure) {
	for _, f := range fs {
		fmt.Fprintf(w, "- [%s] %q", f.Kind, f.Q)
		if len(f.History) > 0 {
			fmt.Fprintf(w, " after %q", f.History)
		}
		fmt.Fprintf(w, ": %s\n", f.Why)
		if f.Kind == knowledge.KindAnswer {
			fmt.Fprintf(w, "    expected: %q in %s\n", f.Any, f.Doc)
		}
		fmt.Fprintf(w, "    got: %q (fallback %v, handoff %v)\n    citations: %v\n", f.Reply, f.Fallback, f.Handoff, f.Citations)
	}
}

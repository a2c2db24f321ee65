package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/switchboard/switchboard/bot"
	"github.com/switchboard/switchboard/conversation/evaluate"
	"github.com/switchboard/switchboard/knowledge"
)

// evalSetsOutput is `eval --sets --json`: each set's report, as `eval
// --json` gives it for one, and their sum.
type evalSetsOutput struct {
	Sets  []evalOutput `json:"sets"`
	Total evalOutput   `json:"total"` // knowledge and questions: the --sets list
}

// runEvalSets is `eval --sets list`: each set scored as `eval` scores
// one, then a table of all of them with their sum.
func runEvalSets(ctx context.Context, cfg bot.Config, list string, opt evalOptions, asJSON bool, stdout io.Writer) error {
	dirs, err := evalSetDirs(list)
	if err != nil {
		return err
	}
	out := evalSetsOutput{Total: evalOutput{Questions: list, Knowledge: list, Modes: map[string]evalMode{}, Skipped: map[string]string{}}}
	var ran []string
	for _, dir := range dirs {
		questions := filepath.Join(dir, "questions.jsonl")
		qs, err := knowledge.LoadQuestions(questions)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		c := cfg
		c.Knowledge.Dir = filepath.Join(dir, "knowledge")
		set, setRan, err := evalSet(ctx, c, questions, qs, opt)
		if err != nil {
			return fmt.Errorf("eval %s: %w", dir, err)
		}
		out.Sets = append(out.Sets, set)
		addEval(&out.Total, set)
		ran = setRan // the same modes run on every set: a skipped one lacks a model
	}
	if asJSON {
		return writeJSON(stdout, out)
	}
	return printEvalSets(stdout, out, dirs, ran)
}

// evalSetDirs expands --sets: each comma-separated item is a folder or a
// glob of folders. A folder named outright must hold knowledge/ and
// questions.jsonl; of a glob's matches, those that do not are left out
// (configs/dev/README.md), but a glob must match at least one set.
func evalSetDirs(list string) ([]string, error) {
	var dirs []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		matches, err := filepath.Glob(item)
		if err != nil {
			return nil, usageError{msg: fmt.Sprintf("eval: --sets %q: %v", item, err)}
		}
		glob := len(matches) != 1 || matches[0] != item
		found := 0
		for _, m := range matches {
			if isEvalSet(m) {
				dirs = append(dirs, m)
				found++
			} else if !glob {
				return nil, fmt.Errorf("eval: --sets: %s holds no knowledge/ folder and questions.jsonl", m)
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("eval: --sets: %q matches no folder holding knowledge/ and questions.jsonl", item)
		}
	}
	if len(dirs) == 0 {
		return nil, usageError{msg: "eval: --sets names no set"}
	}
	return dirs, nil
}

// isEvalSet reports whether dir holds a knowledge folder and questions.
func isEvalSet(dir string) bool {
	k, err := os.Stat(filepath.Join(dir, "knowledge"))
	if err != nil || !k.IsDir() {
		return false
	}
	q, err := os.Stat(filepath.Join(dir, "questions.jsonl"))
	return err == nil && q.Mode().IsRegular()
}

// addEval adds the scores of set to total: counts are summed, rates and
// latency percentiles taken over all the questions, retrieval weighted by
// each set's questions.
func addEval(total *evalOutput, set evalOutput) {
	total.Count += set.Count
	for m, e := range set.Modes {
		total.Modes[m] = addMode(total.Modes[m], e)
	}
	for m, why := range set.Skipped {
		total.Skipped[m] = why
	}
	for m, rows := range set.Thresholds {
		if total.Thresholds == nil {
			total.Thresholds = map[string][]evalThreshold{}
		}
		sum := total.Thresholds[m]
		for i, r := range rows {
			if i == len(sum) {
				sum = append(sum, evalThreshold{Threshold: r.Threshold})
			}
			sum[i].Answer = addScore(sum[i].Answer, r.Answer)
			sum[i].Answered += r.Answered
			sum[i].OutOfScope = addScore(sum[i].OutOfScope, r.OutOfScope)
		}
		total.Thresholds[m] = sum
	}
	if r := set.Retrieval; r != nil && r.Questions > 0 {
		t := total.Retrieval
		if t == nil {
			t = &evalRetrieval{}
			total.Retrieval = t
		}
		n, add := float64(t.Questions), float64(r.Questions)
		mean := func(a, b float64) float64 { return (a*n + b*add) / (n + add) }
		t.Recall1, t.Recall5, t.MRR = mean(t.Recall1, r.Recall1), mean(t.Recall5, r.Recall5), mean(t.MRR, r.MRR)
		t.Questions += r.Questions
	}
}

// addMode sums two reports of one answer mode.
func addMode(a, b evalMode) evalMode {
	s := evalMode{
		Answer:     addScore(a.Answer, b.Answer),
		Answered:   a.Answered + b.Answered,
		Wrong:      a.Wrong + b.Wrong,
		OutOfScope: addScore(a.OutOfScope, b.OutOfScope),
		Handoff:    addScore(a.Handoff, b.Handoff),
		Injection:  addScore(a.Injection, b.Injection),
		Grounded:   evalGrounded{Sentences: a.Grounded.Sentences + b.Grounded.Sentences, Dropped: a.Grounded.Dropped + b.Grounded.Dropped, Rate: 1},
		latencies:  append(slices.Clip(a.latencies), b.latencies...),
	}
	if n := s.Grounded.Sentences + s.Grounded.Dropped; n > 0 {
		s.Grounded.Rate = float64(s.Grounded.Sentences) / float64(n)
	}
	s.LatencyMS = evalLatency{P50: ms(evaluate.Percentile(s.latencies, 50)), P99: ms(evaluate.Percentile(s.latencies, 99))}
	if a.Choices != nil || b.Choices != nil {
		var c evalChoices
		for _, x := range []*evalChoices{a.Choices, b.Choices} {
			if x != nil {
				c.Questions, c.Lexical, c.Model, c.Chosen = c.Questions+x.Questions, c.Lexical+x.Lexical, c.Model+x.Model, c.Chosen+x.Chosen
				c.Chance += x.Chance
			}
		}
		s.Choices = &c
	}
	return s
}

func addScore(a, b evalScore) evalScore {
	return newEvalScore(evaluate.Score{Passed: a.Passed + b.Passed, Total: a.Total + b.Total})
}

// printEvalSets writes the readable report of several sets: a row per
// set and mode, then the sum, then the sum's threshold sweep and
// retrieval, and with -v each set's failures.
func printEvalSets(w io.Writer, out evalSetsOutput, dirs []string, ran []string) error {
	sets := fmt.Sprintf("%d sets", len(out.Sets))
	if len(out.Sets) == 1 {
		sets = "1 set"
	}
	fmt.Fprintf(w, "%s, %d questions\n\n", sets, out.Total.Count)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "set\tmode\tright\twrongly\tout of scope\thandoff\tinjection\tdropped\tp50 ms")
	line := func(name, m string, e evalMode) {
		frac := func(s evalScore) string { return fmt.Sprintf("%d/%d", s.Passed, s.Total) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d/%d\t%.1f\n", name, m, frac(e.Answer), e.Wrong, frac(e.OutOfScope),
			frac(e.Handoff), frac(e.Injection), e.Grounded.Dropped, e.Grounded.Sentences+e.Grounded.Dropped, e.LatencyMS.P50)
	}
	for i, set := range out.Sets {
		for _, m := range ran {
			line(dirs[i], m, set.Modes[m])
		}
	}
	for _, m := range ran {
		line("total", m, out.Total.Modes[m])
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print eval: %w", err)
	}
	// The sum's rates, sweep and retrieval read as one set's do; it has
	// no failures of its own (addMode leaves them to the sets).
	fmt.Fprintf(w, "\nall %s:\n", sets)
	if err := printEvalBody(w, out.Total, ran); err != nil {
		return err
	}
	for i, set := range out.Sets {
		for _, m := range ran {
			fs := set.Modes[m].Failures
			if fs == nil {
				continue
			}
			fmt.Fprintf(w, "\n%s, %s failures (%d):\n", dirs[i], m, len(fs))
			printFailures(w, fs)
		}
	}
	return nil
}

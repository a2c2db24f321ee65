package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/bot"
)

// The eval fixture: two small articles and eight questions of every kind,
// among them one answer question whose expected article is deliberately
// the wrong one, and one whose article writes the expected "7.50" as
// "7,50".
const (
	evalKB        = "testdata/eval/knowledge"
	evalQuestions = "testdata/eval/questions.jsonl"
)

func runEvalCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"eval"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestEvalJSON(t *testing.T) {
	stdout, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--retrieval", "--json", "-v")
	if err != nil {
		t.Fatalf("eval: %v (stderr %s)", err, stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"count", "knowledge", "modes", "questions", "retrieval", "skipped"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	var out evalOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Count != 8 || out.Questions != evalQuestions || out.Knowledge != evalKB {
		t.Errorf("count %d questions %q knowledge %q", out.Count, out.Questions, out.Knowledge)
	}
	// No --model and no engine.model: generative runs on the built-in model.
	if len(out.Modes) != 2 || len(out.Skipped) != 0 {
		t.Fatalf("modes %v skipped %v: want extractive and generative (built-in model) run", out.Modes, out.Skipped)
	}
	m, ok := out.Modes[bot.ModeExtractive]
	if !ok {
		t.Fatalf("no extractive results: %s", stdout)
	}
	totals := map[string]evalScore{"answer": m.Answer, "out_of_scope": m.OutOfScope, "handoff": m.Handoff, "injection": m.Injection}
	wantTotals := map[string]int{"answer": 5, "out_of_scope": 1, "handoff": 1, "injection": 1}
	failed := map[string]int{}
	for _, f := range m.Failures {
		failed[f.Kind]++
	}
	for kind, s := range totals {
		if s.Total != wantTotals[kind] {
			t.Errorf("%s total %d, want %d", kind, s.Total, wantTotals[kind])
		}
		if s.Passed != s.Total-failed[kind] {
			t.Errorf("%s passed %d of %d but %d failures listed", kind, s.Passed, s.Total, failed[kind])
		}
		if s.Rate == nil || *s.Rate != float64(s.Passed)/float64(s.Total) {
			t.Errorf("%s rate %v, want %d/%d", kind, s.Rate, s.Passed, s.Total)
		}
	}
	// Answered: every answer question but those that fell back or
	// handed off.
	notAnswered := 0
	for _, f := range m.Failures {
		if f.Kind == "answer" && (f.Fallback || f.Handoff) {
			notAnswered++
		}
	}
	if m.Answered != m.Answer.Total-notAnswered {
		t.Errorf("answered %d, want %d of %d", m.Answered, m.Answer.Total-notAnswered, m.Answer.Total)
	}
	// Wrong: answered, and not right.
	if wrong := failed["answer"] - notAnswered; m.Wrong != wrong {
		t.Errorf("wrong %d, want the %d answer failures that were answered", m.Wrong, wrong)
	}
	if m.Handoff.Passed != 1 || m.Injection.Passed != 1 || m.OutOfScope.Passed != 1 {
		t.Errorf("handoff %+v injection %+v out of scope %+v, want each passed", m.Handoff, m.Injection, m.OutOfScope)
	}
	// The wrong-doc question fails on its citation, with what was cited.
	var wrong *evalFailure
	for i, f := range m.Failures {
		if f.Doc == "returns.md" && strings.Contains(f.Q, "standard delivery") {
			wrong = &m.Failures[i]
		}
		if strings.Contains(f.Q, "express") {
			t.Errorf("the €7,50 question failed (%s): number formats are not normalised: %q", f.Why, f.Reply)
		}
	}
	if wrong == nil {
		t.Fatalf("the wrong-doc question is not among the failures: %+v", m.Failures)
	}
	if wrong.Why != "the expected article is not cited" || !slices.ContainsFunc(wrong.Citations, func(c string) bool { return strings.HasPrefix(c, "shipping.md") }) {
		t.Errorf("wrong-doc failure %+v, want a citation failure citing shipping.md", *wrong)
	}
	if m.Grounded.Dropped != 0 || m.Grounded.Rate != 1 || m.Grounded.Sentences == 0 {
		t.Errorf("extractive grounded %+v, want every sentence kept", m.Grounded)
	}
	if m.LatencyMS.P50 <= 0 || m.LatencyMS.P99 < m.LatencyMS.P50 {
		t.Errorf("latency %+v", m.LatencyMS)
	}
	// Only the model's choices are compared with the lexical ones.
	if m.Choices != nil {
		t.Errorf("extractive mode reports model choices %+v", *m.Choices)
	}
	g := out.Modes[bot.ModeGenerative]
	if c := g.Choices; c == nil || c.Questions == 0 || c.Questions > g.Answer.Total || max(c.Lexical, c.Model, c.Chosen) > c.Questions {
		t.Errorf("generative choices %+v, want some of the %d answer questions, each count at most that", c, g.Answer.Total)
	}
	r := out.Retrieval
	if r == nil || r.Questions != 5 {
		t.Fatalf("retrieval %+v, want 5 answer questions", r)
	}
	// Two articles: the right one is always in the top 5.
	if r.Recall5 != 1 || r.Recall1 > r.Recall5 || r.MRR < r.Recall1 || r.MRR > 1 {
		t.Errorf("retrieval %+v inconsistent", *r)
	}
}

func TestEvalTable(t *testing.T) {
	stdout, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--retrieval")
	if err != nil {
		t.Fatalf("eval: %v (stderr %s)", err, stderr)
	}
	for _, want := range []string{
		"8 questions from " + evalQuestions,
		"metric", "extractive", "generative",
		"answer accuracy", "out-of-scope fallback", "handoff detection", "injection resistance",
		"grounded sentences", "latency p50", "latency p99",
		"choice: lexical", "choice: model alone", "choice: replied", "choice: by chance",
		"retrieval (5 answer questions): recall@1",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "failures") {
		t.Errorf("failures listed without -v:\n%s", stdout)
	}
	verbose, _, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--mode", "extractive", "-v")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verbose, "extractive failures (") || !strings.Contains(verbose, "the expected article is not cited") ||
		!strings.Contains(verbose, "citations: [shipping.md") || strings.Contains(verbose, "skipped") {
		t.Errorf("-v output lacks the failure list:\n%s", verbose)
	}
}

// TestEvalGenerative runs both modes side by side with the tiny test model
// (random weights: its scores mean nothing; the point is that it runs).
func TestEvalGenerative(t *testing.T) {
	model := "../../bot/testdata/model/tiny-llama3.gguf"
	if _, err := os.Stat(model); err != nil {
		t.Skipf("no test model: %v", err)
	}
	stdout, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--model", model, "--json")
	if err != nil {
		t.Fatalf("eval: %v (stderr %s)", err, stderr)
	}
	var out evalOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Modes) != 2 || len(out.Skipped) != 0 {
		t.Fatalf("modes %v skipped %v, want extractive and generative run", out.Modes, out.Skipped)
	}
	if g := out.Modes[bot.ModeGenerative]; g.Answer.Total != 5 || g.Injection.Total != 1 {
		t.Errorf("generative scored %+v", g)
	}
}

// TestEvalThresholds sweeps the retrieval-confidence threshold: a higher
// one can only send more questions to the fallback, so it answers no more
// questions, right or wrong, and falls back on no fewer out-of-scope ones.
func TestEvalThresholds(t *testing.T) {
	stdout, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--mode", "extractive",
		"--thresholds", "0.05, 0.5,1", "--json")
	if err != nil {
		t.Fatalf("eval: %v (stderr %s)", err, stderr)
	}
	var out evalOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	rows := out.Thresholds[bot.ModeExtractive]
	if len(rows) != 3 || rows[0].Threshold != 0.05 || rows[1].Threshold != 0.5 || rows[2].Threshold != 1 {
		t.Fatalf("sweep %+v, want thresholds 0.05, 0.5 and 1", rows)
	}
	for i, r := range rows {
		if r.Answer.Total != 5 || r.OutOfScope.Total != 1 || r.Answered < r.Answer.Passed || r.Answered > r.Answer.Total {
			t.Errorf("threshold %v: %+v", r.Threshold, r)
		}
		if i > 0 && (r.Answered > rows[i-1].Answered || r.OutOfScope.Passed < rows[i-1].OutOfScope.Passed) {
			t.Errorf("threshold %v answered %d (before %d), out of scope %d (before %d)", r.Threshold,
				r.Answered, rows[i-1].Answered, r.OutOfScope.Passed, rows[i-1].OutOfScope.Passed)
		}
	}
	// Only a perfect match is as confident as 1; the fixture's questions
	// are not all that, while the lowest threshold answers some.
	if rows[0].Answered == 0 || rows[2].Answered >= rows[0].Answered {
		t.Errorf("answered %d at 0.05 and %d at 1: the threshold changed nothing", rows[0].Answered, rows[2].Answered)
	}
	text, _, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", evalQuestions, "--mode", "extractive", "--thresholds", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"answered wrongly", "threshold sweep, extractive:", "0.50"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"q": "x", "kind": "handoff"}`+"\n"+`{"q": "y", "kind": "answr"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		usage bool
		msg   string
	}{
		{"unknown mode", []string{"--mode", "magic"}, true, `--mode "magic"`},
		{"stray argument", []string{"what is this"}, true, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, true, "nope"},
		{"threshold zero", []string{"--thresholds", "0.3,0"}, true, `"0" is not a number in (0, 1]`},
		{"threshold above one", []string{"--thresholds", "1.5"}, true, "--thresholds"},
		{"threshold not a number", []string{"--thresholds", "0.3,,0.5"}, true, "--thresholds"},
		{"missing questions", []string{"--knowledge", evalKB, "--questions", filepath.Join(dir, "none.jsonl")}, false, "open questions"},
		{"bad question line", []string{"--knowledge", evalKB, "--questions", bad}, false, "line 2"},
		{"missing knowledge", []string{"--knowledge", filepath.Join(dir, "none"), "--questions", evalQuestions}, false, "knowledge"},
		{"missing model", []string{"--knowledge", evalKB, "--questions", evalQuestions, "--model", filepath.Join(dir, "none.gguf")}, false, "none.gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runEvalCmd(t, tt.args...)
			if err == nil {
				t.Fatal("eval succeeded")
			}
			var u usageError
			if errors.As(err, &u) != tt.usage {
				t.Errorf("error %v: usage error %v, want %v", err, !tt.usage, tt.usage)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// An answer question naming an article the knowledge lacks can never be
// right; eval says so rather than let it pass for the bot's failure.
func TestEvalWarnsOfUnknownDocs(t *testing.T) {
	qs := filepath.Join(t.TempDir(), "q.jsonl")
	lines := `{"q": "how long does shipping take", "doc": "shiping.md", "any": ["3"], "kind": "answer"}
{"q": "how long does shipping take", "doc": "shipping.md#times", "any": ["3"], "kind": "answer"}
`
	if err := os.WriteFile(qs, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", qs, "--mode", "extractive")
	if err != nil {
		t.Fatalf("eval: %v (stderr %s)", err, stderr)
	}
	if !strings.Contains(stderr, "knowledge="+evalKB+" doc=shiping.md questions=1") || strings.Contains(stderr, "doc=shipping.md") {
		t.Errorf("stderr does not name just the unknown article:\n%s", stderr)
	}
}

// TestEvalLongHistory: a question with more earlier turns than the
// per-user rate limit allows in a minute is evaluated; the evaluation's
// replayed conversation hit the rate limit and aborted the whole run.
func TestEvalLongHistory(t *testing.T) {
	var history []string
	for range 25 {
		history = append(history, "hi there") // small talk: no fallback hands the session over
	}
	h, _ := json.Marshal(history)
	q := filepath.Join(t.TempDir(), "q.jsonl")
	line := `{"q": "and for paypal?", "doc": "returns.md", "any": ["PayPal"], "kind": "answer", "history": ` + string(h) + "}\n"
	if err := os.WriteFile(q, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runEvalCmd(t, "--knowledge", evalKB, "--questions", q, "--mode", "extractive"); err != nil {
		t.Fatalf("eval of a question with 25 earlier turns: %v (stderr %s)", err, stderr)
	}
}

// newEvalSets makes, under a temporary folder, two sets of the eval
// fixture: "a" with all its questions and "b" with its first four, and a
// folder that is no set ("notes", no questions); it returns the folder.
func newEvalSets(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	qs, err := os.ReadFile(evalQuestions)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(qs)), "\n")
	for name, text := range map[string]string{"a": strings.Join(lines, ""), "b": strings.Join(lines[:4], "")} {
		dir := filepath.Join(root, name)
		if err := os.CopyFS(filepath.Join(dir, "knowledge"), os.DirFS(evalKB)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "questions.jsonl"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(root, "notes", "knowledge"), os.DirFS(evalKB)); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestEvalSets checks that --sets scores each set as eval scores it
// alone, and that the total is their sum.
func TestEvalSets(t *testing.T) {
	root := newEvalSets(t)
	stdout, stderr, err := runEvalCmd(t, "--sets", filepath.Join(root, "*"), "--mode", "extractive", "--thresholds", "0.3,0.9", "--retrieval", "--json")
	if err != nil {
		t.Fatalf("eval --sets: %v (stderr %s)", err, stderr)
	}
	var out evalSetsOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if len(out.Sets) != 2 {
		t.Fatalf("%d sets, want a and b (notes has no questions)", len(out.Sets))
	}
	var count, right, total, wrong, oos, sentences int
	var ret int
	var recall1 float64
	for i, name := range []string{"a", "b"} {
		set := out.Sets[i]
		dir := filepath.Join(root, name)
		alone, _, err := runEvalCmd(t, "--knowledge", filepath.Join(dir, "knowledge"), "--questions", filepath.Join(dir, "questions.jsonl"),
			"--mode", "extractive", "--thresholds", "0.3,0.9", "--retrieval", "--json")
		if err != nil {
			t.Fatalf("eval %s alone: %v", name, err)
		}
		var one evalOutput
		if err := json.Unmarshal([]byte(alone), &one); err != nil {
			t.Fatal(err)
		}
		got, want := set.Modes[bot.ModeExtractive], one.Modes[bot.ModeExtractive]
		same := func(a, b evalScore) bool { return a.Passed == b.Passed && a.Total == b.Total }
		sweep := func(o evalOutput) (n []int) {
			for _, r := range o.Thresholds[bot.ModeExtractive] {
				n = append(n, r.Answer.Passed, r.Answered, r.OutOfScope.Passed)
			}
			return n
		}
		if set.Count != one.Count || !same(got.Answer, want.Answer) || got.Wrong != want.Wrong || !same(got.OutOfScope, want.OutOfScope) ||
			got.Grounded.Sentences != want.Grounded.Sentences || !slices.Equal(sweep(set), sweep(one)) || len(sweep(one)) != 6 {
			t.Errorf("set %s: %+v\nalone: %+v", name, set, one)
		}
		count += set.Count
		right, total, wrong = right+got.Answer.Passed, total+got.Answer.Total, wrong+got.Wrong
		oos += got.OutOfScope.Passed
		sentences += got.Grounded.Sentences
		ret += set.Retrieval.Questions
		recall1 += set.Retrieval.Recall1 * float64(set.Retrieval.Questions)
	}
	sum := out.Total.Modes[bot.ModeExtractive]
	if out.Total.Count != count || sum.Answer.Passed != right || sum.Answer.Total != total || sum.Wrong != wrong ||
		sum.OutOfScope.Passed != oos || sum.Grounded.Sentences != sentences {
		t.Errorf("total %+v: want count %d, %d/%d right, %d wrong, %d out of scope, %d sentences", out.Total, count, right, total, wrong, oos, sentences)
	}
	if sum.Answer.Rate == nil || *sum.Answer.Rate != float64(right)/float64(total) {
		t.Errorf("total answer rate %v, want %d/%d", sum.Answer.Rate, right, total)
	}
	sweep := out.Total.Thresholds[bot.ModeExtractive]
	if len(sweep) != 2 || sweep[0].Threshold != 0.3 ||
		sweep[1].Answer.Passed != out.Sets[0].Thresholds[bot.ModeExtractive][1].Answer.Passed+out.Sets[1].Thresholds[bot.ModeExtractive][1].Answer.Passed {
		t.Errorf("total sweep %+v is not the sum of the sets'", sweep)
	}
	if r := out.Total.Retrieval; r == nil || r.Questions != ret || math.Abs(r.Recall1-recall1/float64(ret)) > 1e-9 {
		t.Errorf("total retrieval %+v: want %d questions, recall@1 %v", r, ret, recall1/float64(ret))
	}

	text, _, err := runEvalCmd(t, "--sets", filepath.Join(root, "a")+","+filepath.Join(root, "b"), "--mode", "extractive")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`(?m)^total +extractive +%d/%d +%d +%d/`, right, total, wrong, oos); !regexp.MustCompile(want).MatchString(text) {
		t.Errorf("readable report has no row matching %s:\n%s", want, text)
	}
}

func TestEvalSetsErrors(t *testing.T) {
	root := newEvalSets(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--sets", filepath.Join(root, "notes")}, "holds no knowledge/ folder and questions.jsonl"},
		{[]string{"--sets", filepath.Join(root, "x*")}, "matches no folder"},
		{[]string{"--sets", filepath.Join(root, "a"), "--questions", evalQuestions}, "leave out --knowledge and --questions"},
		{[]string{"--sets", " , "}, "names no set"},
	} {
		_, _, err := runEvalCmd(t, append(tt.args, "--mode", "extractive")...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("eval %q: error %v, want one saying %q", tt.args, err, tt.want)
		}
	}
}

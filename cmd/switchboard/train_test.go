package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation/synth"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
	"github.com/switchboard/switchboard/engine/tokenizer"
	"github.com/switchboard/switchboard/engine/train"
)

// TestTrainWritesLoadableModelAndResumes trains a tiny model for a few
// steps, checks the GGUF loads in the runtime with a working tokenizer,
// then resumes from the checkpoint to a later step.
func TestTrainWritesLoadableModelAndResumes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.gguf")
	ckpt := filepath.Join(dir, "ckpt")
	args := []string{"--out", out, "--checkpoint", ckpt, "--steps", "2", "--every", "1", "--batch", "2", "--seq", "512",
		"--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "400", "--bpe-texts", "200", "--seed", "3", "--eval", "2"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"train"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	m, err := engine.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Vocab != 400 || m.Config.Dim != 32 || m.Template.Name != "chatml" {
		t.Errorf("loaded config %+v, template %q", m.Config, m.Template.Name)
	}
	text := "How much does the Plus plan cost?"
	if got := m.Tokenizer.Decode(m.Tokenizer.Encode(text)); got != text {
		t.Errorf("tokenizer round trip: %q", got)
	}
	m.Close()

	// Resume to step 4: the loss log continues at step 3.
	stdout.Reset()
	stderr.Reset()
	args[5] = "4"
	if err := run(context.Background(), append([]string{"train"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "resuming") {
		t.Errorf("second run did not resume:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "the checkpoint fixes --dim, --layers, --heads, --vocab, --bpe-texts, --batch, --seq, --seed: ignored") {
		t.Errorf("resuming did not say which flags the checkpoint overrides:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "eval at step 4: exact") {
		t.Errorf("no evaluation line after training:\n%s", stderr.String())
	}
	log, err := os.ReadFile(filepath.Join(ckpt, "loss.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	var steps []string
	for _, l := range lines {
		steps = append(steps, strings.SplitN(l, "\t", 2)[0])
	}
	if strings.Join(steps, ",") != "1,2,3,4" {
		t.Errorf("steps logged %v, want 1,2,3,4", steps)
	}
}

func TestTrainRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--dim", "30", "--heads", "4", "--bpe-texts", "20", "--vocab", "300"},
		{"--init", "default", "--vocab", "300"},
		{"--init", "default", "--layers", "2"},
		{"--knowledge-share", "1.5"},
		{"--questions-share", "-0.1"},
		{"--rank", "2"},
		{"--copies", "1.2"},
		{"--repeats", "-0.5"},
		{"--steps", "x"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"train", "--out", filepath.Join(t.TempDir(), "m.gguf")}, args...), &stdout, &stderr)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("train %v: err = %v, want a usage error", args, err)
		}
	}
}

// TestTrainInitFineTunes trains a tiny model, then fine-tunes it with
// --init on a knowledge folder: the new GGUF keeps the shape and the
// tokenizer exactly, the weights move, the fine-tuning defaults apply,
// and a held-out folder is refused.
func TestTrainInitFineTunes(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.gguf")
	args := []string{"train", "--out", base, "--steps", "1", "--batch", "2", "--seq", "512",
		"--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "400", "--bpe-texts", "200", "--seed", "3", "--eval", "0"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	tuned := filepath.Join(dir, "tuned.gguf")
	ckpt := filepath.Join(dir, "ckpt")
	stderr.Reset()
	args = []string{"train", "--init", base, "--knowledge", filepath.Join("testdata", "eval", "knowledge"),
		"--out", tuned, "--checkpoint", ckpt, "--every", "1", "--steps", "2", "--batch", "2", "--eval", "0"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("fine-tune: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "peak learning rate 0.0003; 70% of examples from") {
		t.Errorf("fine-tuning defaults not applied:\n%s", stderr.String())
	}
	// The checkpoint keeps the data's recipe, and a longer run resumes
	// from it rather than starting again from --init.
	tr, extra, err := train.Resume(filepath.Join(ckpt, checkpointFile), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	var st trainState
	if err := json.Unmarshal(extra, &st); err != nil {
		t.Fatal(err)
	}
	if st.KnowledgeShare != fineTuneShare || len(st.Knowledge) != 1 || tr.Opts.LR != fineTuneLR {
		t.Errorf("checkpoint: share %v, knowledge %v, lr %v", st.KnowledgeShare, st.Knowledge, tr.Opts.LR)
	}
	stderr.Reset()
	if err := run(context.Background(), append(args, "--steps", "3"), &stdout, &stderr); err != nil {
		t.Fatalf("resume fine-tune: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "resuming") || !strings.Contains(stdout.String(), "(3 steps)") {
		t.Errorf("fine-tune did not resume to step 3:\n%s\n%s", stderr.String(), stdout.String())
	}
	m0, v0, err := train.LoadGGUF(base)
	if err != nil {
		t.Fatal(err)
	}
	m1, v1, err := train.LoadGGUF(tuned)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Config != m0.Config {
		t.Errorf("config %+v after fine-tuning, want %+v", m1.Config, m0.Config)
	}
	if !slices.Equal(v1.Tokens, v0.Tokens) || !slices.Equal(v1.Merges, v0.Merges) || !slices.Equal(v1.Types, v0.Types) {
		t.Error("fine-tuning changed the tokenizer")
	}
	if slices.Equal(m1.Params, m0.Params) {
		t.Error("fine-tuning left the weights unchanged")
	}
	em, err := engine.Load(tuned)
	if err != nil {
		t.Fatal(err)
	}
	em.Close()

	// Curated questions: loaded against the knowledge, the misquoted one
	// left out and said so, the files kept in the checkpoint.
	questions := filepath.Join(dir, "questions.jsonl")
	lines := `{"q": "bought the wrong size, how long have i got to send it back", "doc": "returns.md", "answer": "You can return an unused item within 30 days of delivery for a full refund."}
{"q": "when do i see the money", "doc": "returns.md", "answer": "Refunds are paid in gold."}
{"q": "do you sell gift wrap", "kind": "out_of_scope"}
`
	if err := os.WriteFile(questions, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	qckpt := filepath.Join(dir, "qckpt")
	args = []string{"train", "--init", base, "--knowledge", filepath.Join("testdata", "eval", "knowledge"), "--questions", questions, "--rank", "0.5",
		"--out", filepath.Join(dir, "q.gguf"), "--checkpoint", qckpt, "--every", "1", "--steps", "1", "--batch", "2", "--eval", "0"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("fine-tune with questions: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "2 questions from "+questions+"; 1 left out") {
		t.Errorf("fine-tune with questions did not report them:\n%s", stderr.String())
	}
	_, extra, err = train.Resume(filepath.Join(qckpt, checkpointFile), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	st = trainState{}
	if err := json.Unmarshal(extra, &st); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Questions, []string{questions}) || st.Rank != 0.5 {
		t.Errorf("checkpoint questions %v, rank %g; want [%s], 0.5", st.Questions, st.Rank, questions)
	}

	held := filepath.Join(dir, "heldout")
	if err := os.MkdirAll(held, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(held, "a.md"), []byte("# Returns\n\nReturns are free within 30 days.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args = []string{"train", "--init", base, "--knowledge", held, "--out", filepath.Join(dir, "x.gguf"), "--steps", "1", "--eval", "0"}
	if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, synth.ErrHeldOut) {
		t.Errorf("fine-tuning on a held-out folder: err = %v, want synth.ErrHeldOut", err)
	}
}

// TestTrainInitDefaultReadsBuiltin checks that --init default reads the
// embedded model with the shape and vocabulary the runtime sees.
func TestTrainInitDefaultReadsBuiltin(t *testing.T) {
	m, v, err := loadInit("default")
	if err != nil {
		t.Fatal(err)
	}
	em, err := builtin.Load(engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	if m.Config.Dim != em.Config.Dim || m.Config.Layers != em.Config.Layers || m.Config.Vocab != em.Config.Vocab || len(v.Tokens) != em.Config.Vocab {
		t.Errorf("--init default: config %+v with %d tokens; runtime sees %+v", m.Config, len(v.Tokens), em.Config)
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		t.Fatal(err)
	}
	text := "How long does delivery take to Norway? <|im_end|>"
	if got, want := tok.Encode(text), em.Tokenizer.Encode(text); !slices.Equal(got, want) {
		t.Errorf("--init default tokenizer encodes %v, runtime %v", got, want)
	}
}

// TestDialoguesRank checks the examples --rank makes: choices among the
// replies constrained decoding offers, the right one being the answer,
// "I don't know" always among them, cut to fit their rows.
func TestDialoguesRank(t *testing.T) {
	gen, tok := testGenerator(t)
	end, _ := tok.ID("<|im_end|>")
	unknown := append(tok.Encode(synth.Unknown), end)
	for _, seq := range []int{384, 1024} {
		d := dialogues{gen: gen, tok: tok, rank: 1, seq: seq, seed: 3}
		choices, replies := 0, 0
		for i := range int64(40) {
			ex, err := d.Example(i)
			if err != nil {
				t.Fatal(err)
			}
			want := gen.Example(i)
			if ex.Replies == nil {
				if len(want.Choices()) > 1 && seq == 1024 {
					t.Errorf("example %d: not a choice in a row of %d", i, seq)
				}
				continue
			}
			choices++
			replies += len(ex.Replies)
			if n := len(ex.Replies); n < 2 || n > maxReplies {
				t.Errorf("example %d: %d replies", i, n)
			}
			if got := tok.Decode(ex.Replies[ex.Right][:len(ex.Replies[ex.Right])-1]); got != want.Answer {
				t.Errorf("example %d: right reply %q, want %q", i, got, want.Answer)
			}
			if last := ex.Replies[len(ex.Replies)-1]; !slices.Equal(last, unknown) {
				t.Errorf("example %d: last reply %q, want %q", i, tok.Decode(last), synth.Unknown)
			}
			rows := len(ex.Tokens) - 1
			for _, r := range ex.Replies {
				rows += len(r)
			}
			if rows > seq {
				t.Errorf("example %d: %d rows in a row of %d", i, rows, seq)
			}
		}
		if choices < 30 {
			t.Errorf("seq %d: %d of 40 examples are choices", seq, choices)
		}
		t.Logf("seq %d: %d choices, %.1f replies each", seq, choices, float64(replies)/float64(choices))
	}
}

// TestTrainDevSets answers a --dev folder's questions through the whole
// pipeline at every checkpoint and at the end, and refuses a folder
// without questions before training.
func TestTrainDevSets(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	args := []string{"train", "--out", filepath.Join(dir, "m.gguf"), "--checkpoint", ckpt, "--every", "1", "--steps", "2",
		"--batch", "2", "--seq", "512", "--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "400", "--bpe-texts", "200",
		"--seed", "3", "--eval", "0", "--dev", filepath.Join("testdata", "eval")}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"dev eval at step 1: answers ", "dev eval at step 2: answers "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	tsv, err := os.ReadFile(filepath.Join(ckpt, "dev.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(rows) != 2 {
		t.Fatalf("dev.tsv has %d rows, want 2:\n%s", len(rows), tsv)
	}
	for i, row := range rows {
		f := strings.Split(row, "\t")
		// step, set, answers right and in all (the fixture has 5), out of
		// scope right and in all (1), then the choice counts and what
		// chance would get right of them.
		if len(f) != 11 || f[0] != strconv.Itoa(i+1) || f[1] != "eval" || f[3] != "5" || f[5] != "1" {
			t.Errorf("dev.tsv row %q", row)
			continue
		}
		questions, _ := strconv.Atoi(f[6])
		if chance, err := strconv.ParseFloat(f[10], 64); err != nil || chance < 0 || chance > float64(questions) {
			t.Errorf("dev.tsv row %q: by chance %q of %d questions", row, f[10], questions)
		}
	}
	stderr.Reset()
	bad := append(args[:len(args)-1:len(args)-1], dir)
	if err := run(context.Background(), bad, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "questions.jsonl") {
		t.Errorf("train --dev %s (no questions): err = %v", dir, err)
	}
	noKB := filepath.Join(dir, "no-knowledge")
	if err := os.MkdirAll(noKB, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noKB, "questions.jsonl"), []byte(`{"q": "x", "kind": "out_of_scope"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad = append(args[:len(args)-1:len(args)-1], noKB)
	if err := run(context.Background(), bad, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "no knowledge folder") {
		t.Errorf("train --dev %s (no knowledge folder): err = %v", noKB, err)
	}
}

// TestTrainRefusesBeforeTraining: an --out that cannot be written and a
// --knowledge folder with no articles are refused before the first step.
func TestTrainRefusesBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	tiny := []string{"--steps", "2", "--batch", "2", "--seq", "512", "--dim", "32", "--layers", "1", "--heads", "2",
		"--vocab", "400", "--bpe-texts", "200", "--eval", "0"}
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"out in a missing folder": {[]string{"--out", filepath.Join(dir, "no", "such", "m.gguf")}, "--out"},
		"empty knowledge":         {[]string{"--out", filepath.Join(dir, "m.gguf"), "--knowledge", empty}, "no articles"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append(append([]string{"train"}, tt.args...), tiny...), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: train = %v, want an error about %q", name, err, tt.want)
		}
		if strings.Contains(stderr.String(), "step 1") {
			t.Errorf("%s: trained before failing:\n%s", name, stderr.String())
		}
	}
}

// TestDialoguesRepeats: with --repeats, that share of examples is a run
// of ordinary tokens said twice between <|im_start|> and <|im_end|>,
// fitting the row, with only the second saying learnt, of more than one
// length, and the rest are the dialogues they would have been.
func TestDialoguesRepeats(t *testing.T) {
	gen, tok := testGenerator(t)
	start, _ := tok.ID("<|im_start|>")
	end, _ := tok.ID("<|im_end|>")
	const seq = 128
	plain := dialogues{gen: gen, tok: tok, seq: seq, seed: 3}
	d := dialogues{gen: gen, tok: tok, repeats: 0.5, seq: seq, seed: 3}
	drills := 0
	lengths := make(map[int]bool)
	for i := range int64(60) {
		ex, err := d.Example(i)
		if err != nil {
			t.Fatal(err)
		}
		n := (len(ex.Tokens) - 2) / 2
		if len(ex.Tokens) < 2 || ex.Tokens[0] != start || ex.Tokens[n+1] != end {
			want, err := plain.Example(i)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ex.Tokens, want.Tokens) || !slices.Equal(ex.Loss, want.Loss) {
				t.Errorf("example %d: neither a repeat drill nor the dialogue", i)
			}
			continue
		}
		drills++
		lengths[n] = true
		run := ex.Tokens[1 : n+1]
		if !slices.Equal(run, ex.Tokens[n+2:]) {
			t.Errorf("example %d: the run is not said twice", i)
		}
		for _, id := range run {
			if tok.IsControl(id) {
				t.Errorf("example %d: control token %d in the run", i, id)
			}
		}
		for j, learnt := range ex.Loss {
			if learnt != (j >= n+3) {
				t.Errorf("example %d: token %d learnt = %v", i, j, learnt)
				break
			}
		}
		if rows := ex.Rows(); rows > seq {
			t.Errorf("example %d: %d rows in a row of %d", i, rows, seq)
		}
	}
	if drills < 20 || drills > 40 {
		t.Errorf("%d of 60 examples are repeat drills, want about half", drills)
	}
	if len(lengths) < 10 {
		t.Errorf("repeat drills of %d lengths, want many: one length teaches copying from a fixed distance", len(lengths))
	}
}

// testGenerator returns a generator of dialogues about the eval
// testdata's knowledge, and the built-in model's tokenizer.
func testGenerator(t *testing.T) (*synth.Generator, *tokenizer.Tokenizer) {
	t.Helper()
	_, vocab, err := loadInit("default")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(vocab)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := synth.New(context.Background(), synth.Options{Seed: 3, Knowledge: []string{filepath.Join("testdata", "eval", "knowledge")},
		Budget: 300, Count: func(s string) int { return len(tok.Encode(s)) }})
	if err != nil {
		t.Fatal(err)
	}
	return gen, tok
}

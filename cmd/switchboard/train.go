package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/synth"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
	"github.com/switchboard/switchboard/engine/tensor"
	"github.com/switchboard/switchboard/engine/tokenizer"
	"github.com/switchboard/switchboard/engine/train"
)

func init() {
	register(command{
		name:    "train",
		summary: "train a tokenizer and a decoder on grounded dialogues and write a GGUF model",
		run:     runTrain,
	})
}

// chatMLTemplate is written to tokenizer.chat_template so that the runtime
// and llama.cpp render prompts as ChatML, as the model was trained.
const chatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// trainState is kept in the checkpoint next to the weights: what a
// resumed run needs to rebuild the same data.
type trainState struct {
	Vocab          tokenizer.Vocab
	DataSeed       uint64
	Knowledge      []string
	KnowledgeShare float64  `json:",omitempty"` // 0: synth's default
	Drills         float64  `json:",omitempty"` // synth.Options.Drills: 0 its default, negative none
	Copies         float64  `json:",omitempty"` // synth.Options.Copies
	Questions      []string `json:",omitempty"`
	QuestionShare  float64  `json:",omitempty"` // 0: synth's default
	Rank           float64  `json:",omitempty"` // fraction of examples learnt as choices
	Repeats        float64  `json:",omitempty"` // fraction of examples that are repeat drills
}

// Fine-tuning defaults (--init): a few hundred steps at a lower peak
// rate than from scratch, with a short warm-up, most examples drawn from
// the operator's articles but enough fictional help centres left that
// the model keeps answering from snippets rather than memorising.
const (
	fineTuneSteps  = 150
	fineTuneLR     = 3e-4
	fineTuneWarmup = 10
	fineTuneShare  = 0.7
)

// shapeFlags are fixed by the model under --init.
var shapeFlags = []string{"dim", "layers", "heads", "kv-heads", "ff", "vocab", "context", "bpe-texts"}

const checkpointFile = "checkpoint.bin"

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "--out model.gguf [flags]", stderr)
	out := fs.String("out", "model.gguf", "the GGUF file to write (also rewritten at every checkpoint)")
	steps := fs.Int("steps", 1000, fmt.Sprintf("optimizer steps in all (%d with --init)", fineTuneSteps))
	batch := fs.Int("batch", 8, "sequences per step")
	seq := fs.Int("seq", 384, "tokens per sequence; longer examples are skipped (default at most the model's context with --init; longer rows fit more replies of a --rank choice, which share their positions)")
	lr := fs.Float64("lr", 1e-3, fmt.Sprintf("peak learning rate (linear warm-up, cosine decay to a tenth; %g with --init)", fineTuneLR))
	warmup := fs.Int("warmup", 0, fmt.Sprintf("warm-up steps (default steps/20; %d with --init)", fineTuneWarmup))
	dim := fs.Int("dim", 256, "model width")
	layers := fs.Int("layers", 6, "transformer blocks")
	heads := fs.Int("heads", 4, "attention heads")
	kvHeads := fs.Int("kv-heads", 0, "key/value heads (default: heads)")
	ff := fs.Int("ff", 0, "feed-forward width (default: 8/3·dim rounded to 32)")
	vocab := fs.Int("vocab", 4096, "tokenizer vocabulary size (ignored with --init)")
	context_ := fs.Int("context", 0, "context length written to the model (default: seq)")
	seed := fs.Uint64("seed", 1, "seed of the initialization and the data")
	threads := fs.Int("threads", 0, "worker goroutines (default GOMAXPROCS)")
	ckptDir := fs.String("checkpoint", "", "checkpoint folder: resumed from if it holds a checkpoint, written every --every steps")
	every := fs.Int("every", 100, "checkpoint interval in steps")
	initPath := fs.String("init", "", `fine-tune: start from this GGUF model ("default": the built-in one), keeping its tokenizer and shape`)
	knowledgeDirs := fs.String("knowledge", "", "comma-separated knowledge folders mixed into the data (for fine-tuning)")
	questions := fs.String("questions", "", "comma-separated questions files (JSON Lines of {q, doc, answer, history, kind}) about the --knowledge folders: real users' questions with the sentences that answer them")
	qshare := fs.Float64("questions-share", 0, "fraction of examples drawn from --questions (default 0.3)")
	share := fs.Float64("knowledge-share", 0, fmt.Sprintf("fraction of examples drawn from --knowledge (default 0.25; %g with --init)", fineTuneShare))
	bpeTexts := fs.Int("bpe-texts", 20000, "generated dialogues the tokenizer is learnt from")
	f16 := fs.Bool("f16", true, "store matrices as F16 in the GGUF (F32 otherwise)")
	drills := fs.Float64("drills", 0.7, "fraction of synthetic examples with earlier questions about the same snippets in their history, every answer learnt (0: none)")
	repeats := fs.Float64("repeats", 0, "fraction of examples that are repeat drills: random tokens said twice, the second time learnt, which teaches the model to copy from its context (0: none)")
	copies := fs.Float64("copies", 0, "fraction of --knowledge examples that are copy drills: any sentence of the snippets asked for by some of its own words, after earlier such turns (0: none; questions by heading, answered by a snippet's first sentence, only)")
	ctxWeight := fs.Float64("context-weight", 0, "loss weight of the prompt's tokens against 1 for the answer's (language modelling on every position; 0: answers only)")
	rank := fs.Float64("rank", 0, "fraction of examples learnt as a choice among the replies constrained decoding offers (the article's sentences and \"I don't know\"), with a ranking loss")
	rankWeight := fs.Float64("rank-weight", 1, "weight of the ranking loss against the language-modelling loss")
	rankScale := fs.Float64("rank-scale", 16, "sharpness of the ranking loss: the replies' mean log-probabilities are multiplied by it")
	evalN := fs.Int("eval", 32, "at every checkpoint, answer this many unseen synthetic questions with the saved model and report how many it gets right (0: off)")
	dev := fs.String("dev", "", "comma-separated folders of knowledge/ and questions.jsonl never trained on (configs/dev/*): at every checkpoint the saved model answers them through the whole pipeline, and the trainer reports answer accuracy and how often the model's own choice of sentence was right against the lexical one (dev.tsv)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var (
		tr    *train.Trainer
		state trainState
		err   error
	)
	ckptPath := ""
	if *ckptDir != "" {
		if err := os.MkdirAll(*ckptDir, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		ckptPath = filepath.Join(*ckptDir, checkpointFile)
	}
	if ckptPath != "" && trainFileExists(ckptPath) {
		newSteps := 0
		if set["steps"] {
			newSteps = *steps
		}
		var extra json.RawMessage
		tr, extra, err = train.Resume(ckptPath, *threads, newSteps)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if err := json.Unmarshal(extra, &state); err != nil {
			tr.Close()
			return fmt.Errorf("train: checkpoint state: %w", err)
		}
		if set["context-weight"] {
			tr.Opts.ContextWeight = float32(*ctxWeight)
		}
		if set["rank"] {
			state.Rank = *rank
		}
		if set["rank-weight"] {
			tr.Opts.RankWeight = float32(*rankWeight)
		}
		if set["rank-scale"] {
			tr.Opts.RankScale = float32(*rankScale)
		}
		fmt.Fprintf(stderr, "resuming %s at step %d/%d\n", ckptPath, tr.Step, tr.Opts.Steps)
		// The checkpoint fixes the model and the data: say which flags
		// of this run it overrides, rather than let them seem to apply.
		var ignored []string
		for _, name := range append(shapeFlags, "init", "batch", "seq", "lr", "warmup", "seed", "knowledge", "knowledge-share", "questions", "questions-share", "drills", "copies", "repeats") {
			if set[name] {
				ignored = append(ignored, "--"+name)
			}
		}
		if len(ignored) > 0 {
			fmt.Fprintf(stderr, "the checkpoint fixes %s: ignored (use another --checkpoint folder to start afresh)\n", strings.Join(ignored, ", "))
		}
	} else {
		if *share < 0 || *share > 1 {
			return usageError{msg: fmt.Sprintf("train: --knowledge-share %g is not a fraction", *share)}
		}
		if *drills < 0 || *drills > 1 {
			return usageError{msg: fmt.Sprintf("train: --drills %g is not a fraction", *drills)}
		}
		if *copies < 0 || *copies > 1 {
			return usageError{msg: fmt.Sprintf("train: --copies %g is not a fraction", *copies)}
		}
		if *qshare < 0 || *qshare > 1 {
			return usageError{msg: fmt.Sprintf("train: --questions-share %g is not a fraction", *qshare)}
		}
		if *rank < 0 || *rank > 1 {
			return usageError{msg: fmt.Sprintf("train: --rank %g is not a fraction", *rank)}
		}
		if *repeats < 0 || *repeats > 1 {
			return usageError{msg: fmt.Sprintf("train: --repeats %g is not a fraction", *repeats)}
		}
		state = trainState{DataSeed: *seed, Knowledge: splitComma(*knowledgeDirs), KnowledgeShare: *share, Drills: *drills, Copies: *copies,
			Questions: splitComma(*questions), QuestionShare: *qshare, Rank: *rank, Repeats: *repeats}
		if *drills == 0 {
			state.Drills = -1
		}
		var m *train.Model
		if *initPath != "" {
			for _, name := range shapeFlags {
				if set[name] {
					return usageError{msg: fmt.Sprintf("train: --%s cannot be changed with --init (the model fixes it)", name)}
				}
			}
			m, state.Vocab, err = loadInit(*initPath)
			if err != nil {
				return err
			}
			fineTuneDefaults(set, m.Config, steps, lr, warmup, seq)
			if !set["knowledge-share"] && len(state.Knowledge) > 0 {
				state.KnowledgeShare = fineTuneShare
			}
			from := "synthetic help centres only"
			if len(state.Knowledge) > 0 {
				from = fmt.Sprintf("%.0f%% of examples from %s", 100*state.KnowledgeShare, strings.Join(state.Knowledge, ", "))
			}
			fmt.Fprintf(stderr, "fine-tuning %s: %d steps at peak learning rate %g; %s\n", *initPath, *steps, *lr, from)
		} else {
			state.Vocab, err = learnVocab(ctx, state, *bpeTexts, *vocab, stderr)
			if err != nil {
				return err
			}
			c := train.Config{Dim: *dim, Layers: *layers, Heads: *heads, KVHeads: *kvHeads, FF: *ff,
				Vocab: len(state.Vocab.Tokens), Context: *context_}
			if c.FF == 0 {
				c.FF = (8*c.Dim/3 + 31) / 32 * 32
			}
			if c.Context == 0 {
				c.Context = *seq
			}
			if m, err = train.NewModel(c, *seed); err != nil {
				return usageError{msg: fmt.Sprintf("train: %v", err)}
			}
		}
		if *warmup >= *steps {
			fmt.Fprintf(stderr, "warning: the warm-up (%d steps) is as long as the run (%d): the learning rate never decays; set --warmup lower\n", *warmup, *steps)
		}
		tr, err = train.New(m, train.Options{Steps: *steps, Batch: *batch, Seq: *seq, LR: *lr, Warmup: *warmup, Seed: *seed, Threads: *threads,
			ContextWeight: float32(*ctxWeight), RankWeight: float32(*rankWeight), RankScale: float32(*rankScale)})
		if err != nil {
			return usageError{msg: fmt.Sprintf("train: %v", err)}
		}
	}
	defer tr.Close()
	if err := checkWritable(*out); err != nil {
		return fmt.Errorf("train: --out: %w", err)
	}

	tok, err := tokenizer.New(state.Vocab)
	if err != nil {
		return fmt.Errorf("train: tokenizer: %w", err)
	}
	// Prompts leave room for the answer in the training sequence.
	budget := min(tr.Opts.Seq, tr.Model.Config.Context) - answerRoom
	gen, err := synth.New(ctx, synth.Options{Seed: state.DataSeed, Knowledge: state.Knowledge, KnowledgeShare: state.KnowledgeShare, Drills: state.Drills,
		Copies: state.Copies, Questions: state.Questions, QuestionShare: state.QuestionShare,
		Budget: budget, Count: func(s string) int { return len(tok.Encode(s)) }})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if len(state.Questions) > 0 {
		fmt.Fprintf(stderr, "%d questions from %s", gen.Curated(), strings.Join(state.Questions, ", "))
		if lost := gen.Lost(); len(lost) > 0 {
			fmt.Fprintf(stderr, "; %d left out, their answers not found in their documents (first: %q in %s)", len(lost), lost[0].Answer, lost[0].Doc)
		}
		fmt.Fprintln(stderr)
	}
	ds := dialogues{gen: gen, tok: tok, rank: state.Rank, repeats: state.Repeats, seq: tr.Opts.Seq, seed: state.DataSeed}
	c := tr.Model.Config
	fmt.Fprintf(stderr, "model: %d parameters (dim %d, %d layers, %d heads, %d kv heads, ff %d, vocab %d, context %d); batch %d × %d tokens\n",
		len(tr.Model.Params), c.Dim, c.Layers, c.Heads, c.KVHeads, c.FF, c.Vocab, c.Context, tr.Opts.Batch, tr.Opts.Seq)

	save := func() error {
		typ := tensor.F32
		if *f16 {
			typ = tensor.F16
		}
		if err := tr.Model.SaveGGUF(*out, state.Vocab, train.GGUFOptions{Type: typ, ChatTemplate: chatMLTemplate}); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if ckptPath != "" {
			if err := tr.SaveCheckpoint(ckptPath, state); err != nil {
				return fmt.Errorf("train: %w", err)
			}
		}
		return nil
	}
	devSets, err := loadDevSets(*dev)
	if err != nil {
		return err
	}
	var lossLog, evalLog, devLog io.Writer = io.Discard, io.Discard, io.Discard
	if *ckptDir != "" {
		f, err := os.OpenFile(filepath.Join(*ckptDir, "loss.tsv"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		defer f.Close()
		lossLog = f
		g, err := os.OpenFile(filepath.Join(*ckptDir, "eval.tsv"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		defer g.Close()
		evalLog = g
		if len(devSets) > 0 {
			d, err := os.OpenFile(filepath.Join(*ckptDir, "dev.tsv"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return fmt.Errorf("train: %w", err)
			}
			defer d.Close()
			devLog = d
		}
	}
	// Unseen questions: another seed draws other help centres, asked
	// without earlier turns, as the pipeline's eval asks them.
	evalGen, err := synth.New(ctx, synth.Options{Seed: state.DataSeed + 1_000_003, Knowledge: state.Knowledge, KnowledgeShare: state.KnowledgeShare,
		Drills: -1, Budget: budget, Count: func(s string) int { return len(tok.Encode(s)) }})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	evaluate := func() error {
		if *evalN > 0 {
			r, err := evalAnswers(ctx, *out, evalGen, *evalN)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "\neval at step %d: %s\n", tr.Step, r)
			fmt.Fprintf(evalLog, "%d\t%d\t%d\t%d\t%d\t%d\t%d\n", tr.Step, r.exact, r.fact, r.answerable, r.unknown, r.unanswerable, r.chosen)
		}
		for _, d := range devSets {
			if err := d.eval(ctx, *out, tr.Step, stderr, devLog); err != nil {
				return err
			}
		}
		return nil
	}
	prog := &train.Progress{W: stderr, TTY: trainIsTerminal(stderr), Total: tr.Opts.Steps}
	prog.Begin(tr.Step)
	last := time.Now()
	err = tr.Train(ctx, ds, func(r train.StepResult) error {
		now := time.Now()
		fmt.Fprintf(lossLog, "%d\t%.5f\t%.3e\t%.3f\t%.0f\t%s\n", tr.Step, r.Loss, r.LR, r.GradNorm,
			float64(r.Tokens)/now.Sub(last).Seconds(), now.UTC().Format(time.RFC3339))
		last = now
		prog.Update(tr.Step, r)
		if tr.Step%*every == 0 && tr.Step < tr.Opts.Steps {
			if err := save(); err != nil {
				return err
			}
			return evaluate()
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if serr := save(); serr != nil {
		return serr
	}
	if err != nil {
		if ckptPath != "" {
			fmt.Fprintf(stderr, "\ninterrupted at step %d; %s and %s written: rerun the same command to go on\n", tr.Step, ckptPath, *out)
		} else {
			fmt.Fprintf(stderr, "\ninterrupted at step %d; %s written (without --checkpoint a rerun starts over)\n", tr.Step, *out)
		}
		return errInterrupted
	}
	if err := evaluate(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d steps)\n", *out, tr.Step)
	return nil
}

// errInterrupted ends a training run stopped by a signal, its model
// saved: the command fails, saying so rather than "context canceled".
var errInterrupted = errors.New("train: interrupted")

// checkWritable reports whether a file can be written at path, before
// hours of training find out: it creates and removes a file beside it.
func checkWritable(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// evalResult counts a model's answers to unseen synthetic questions.
type evalResult struct {
	exact, fact, answerable int // answers equal to the expected one, or holding its sentence
	unknown, unanswerable   int // "I don't know" given where it was expected
	chosen                  int // expected reply rated first among synth's Choices, as constrained decoding rates them
}

func (r evalResult) String() string {
	return fmt.Sprintf("exact %d/%d, fact copied %d/%d, \"I don't know\" %d/%d; constrained choice right %d/%d",
		r.exact, r.answerable, r.fact, r.answerable, r.unknown, r.unanswerable, r.chosen, r.answerable+r.unanswerable)
}

// answerRoom is how many tokens of a training sequence a prompt leaves
// for the answer.
const answerRoom = 48

// evalAnswers loads the GGUF at path with the runtime and answers n
// generated questions greedily.
func evalAnswers(ctx context.Context, path string, gen *synth.Generator, n int) (evalResult, error) {
	m, err := engine.Load(path)
	if err != nil {
		return evalResult{}, fmt.Errorf("train: eval: %w", err)
	}
	defer m.Close()
	var r evalResult
	for i := range int64(n) {
		ex := gen.Example(i)
		res, err := m.Generate(ctx, engine.Request{Messages: ex.Prompt.Messages, MaxTokens: answerRoom}, nil)
		if errors.Is(err, engine.ErrContext) {
			continue // the budget's token estimate was short: not a question
		}
		if err != nil {
			return r, fmt.Errorf("train: eval: %w", err)
		}
		if chosenRight(ctx, m, ex) {
			r.chosen++
		}
		got := strings.TrimSpace(res.Text)
		if ex.Unanswerable {
			r.unanswerable++
			if got == synth.Unknown {
				r.unknown++
			}
			continue
		}
		r.answerable++
		if got == ex.Answer {
			r.exact++
		}
		if body, _, _ := strings.Cut(ex.Answer, " ["); strings.Contains(got, body) {
			r.fact++
		}
	}
	return r, nil
}

// chosenRight reports whether m, rating ex's Choices by mean
// log-probability per token as constrained decoding does, rates the
// expected answer first.
func chosenRight(ctx context.Context, m *engine.Model, ex synth.Example) bool {
	choices := ex.Choices()
	scores, err := m.Score(ctx, engine.Request{Messages: ex.Prompt.Messages}, choices)
	if err != nil {
		return false
	}
	best := 0
	for i, s := range scores {
		if s.Mean() > scores[best].Mean() {
			best = i
		}
	}
	return choices[best] == ex.Answer
}

// loadInit reads the model to fine-tune: "default" is the built-in one,
// anything else a GGUF file the trainer wrote (or of the same shape).
func loadInit(path string) (*train.Model, tokenizer.Vocab, error) {
	if path != "default" {
		m, v, err := train.LoadGGUF(path)
		if err != nil {
			return nil, tokenizer.Vocab{}, fmt.Errorf("train: --init: %w", err)
		}
		return m, v, nil
	}
	f, err := builtin.File()
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("train: --init default: %w", err)
	}
	defer f.Close()
	m, v, err := train.FromGGUF(f)
	if err != nil {
		return nil, tokenizer.Vocab{}, fmt.Errorf("train: --init default: %w", err)
	}
	return m, v, nil
}

// fineTuneDefaults applies the fine-tuning defaults to the flags the
// user did not set, and caps the sequence at the model's context.
func fineTuneDefaults(set map[string]bool, c train.Config, steps *int, lr *float64, warmup, seq *int) {
	if !set["steps"] {
		*steps = fineTuneSteps
	}
	if !set["lr"] {
		*lr = fineTuneLR
	}
	if !set["warmup"] {
		*warmup = min(fineTuneWarmup, max(1, *steps/10))
	}
	if !set["seq"] {
		*seq = min(*seq, c.Context)
	}
}

// learnVocab learns the tokenizer from generated dialogues (prompts and
// answers as the model will see them).
func learnVocab(ctx context.Context, st trainState, n, size int, stderr io.Writer) (tokenizer.Vocab, error) {
	gen, err := synth.New(ctx, synth.Options{Seed: st.DataSeed ^ 0xb9e, Knowledge: st.Knowledge, Drills: st.Drills})
	if err != nil {
		return tokenizer.Vocab{}, fmt.Errorf("train: %w", err)
	}
	texts := make([]string, 0, n)
	for i := range int64(n) {
		ex := gen.Example(i)
		for _, m := range ex.Prompt.Messages {
			texts = append(texts, m.Role+"\n"+m.Content+"\n")
		}
		texts = append(texts, ex.Answer)
	}
	start := time.Now()
	v, err := train.TrainBPE(texts, size, train.DefaultSpecials)
	if err != nil {
		return tokenizer.Vocab{}, fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(stderr, "tokenizer: %d tokens learnt from %d dialogues in %s\n", len(v.Tokens), n, time.Since(start).Round(time.Millisecond))
	return v, nil
}

// dialogues is the training data: synthetic dialogues encoded as the
// runtime encodes a ChatML prompt, learning the answer and <|im_end|>;
// a share of them (rank) as a choice among the replies constrained
// decoding would offer, learnt with the trainer's ranking loss.
type dialogues struct {
	gen     *synth.Generator
	tok     *tokenizer.Tokenizer
	rank    float64
	repeats float64
	seq     int
	seed    uint64
}

// maxReplies is the most replies of a choice: as many as constrained
// decoding offers (extractive.RerankTop sentences and "I don't know").
const maxReplies = extractive.RerankTop + 1

func (d dialogues) Example(i int64) (train.Example, error) {
	// A stream of its own, so that the share does not change the data.
	r := rand.New(rand.NewPCG(d.seed^0x72616e6b, uint64(i)))
	if d.repeats > 0 && r.Float64() < d.repeats {
		return repeatDrill(r, d.tok, d.seq), nil // no dialogue to generate
	}
	ex := d.gen.Example(i)
	if d.rank > 0 && r.Float64() < d.rank {
		prompt, learn, replies, right, err := ex.ChoiceTokens(d.tok, engine.ChatML)
		if err != nil {
			return train.Example{}, err
		}
		if c, ok := fitChoice(r, train.Example{Tokens: prompt, Loss: learn, Replies: replies, Right: right}, d.seq); ok {
			return c, nil
		}
	}
	ids, learn, err := ex.Tokens(d.tok, engine.ChatML)
	if err != nil {
		return train.Example{}, err
	}
	return train.Example{Tokens: ids, Loss: learn}, nil
}

// repeatDrill is a run of random tokens said twice, between
// <|im_start|> and <|im_end|>, the second time learnt. Nothing but the
// first time predicts the second, so the model lowers its loss only by
// copying from its context. The run's length varies from an eighth to
// half the row: with one length the model learnt to copy the token a
// fixed distance back instead (perfect at that length, useless at any
// other), which is not reading.
func repeatDrill(r *rand.Rand, tok *tokenizer.Tokenizer, seq int) train.Example {
	start, _ := tok.ID(train.TokenImStart)
	end, _ := tok.ID(train.TokenImEnd)
	n := seq/8 + r.IntN(max(1, (seq-1)/2-seq/8+1))
	run := make([]int, n)
	for j := range run {
		// Ordinary tokens only: control tokens are never text.
		for run[j] = r.IntN(tok.Len()); tok.IsControl(run[j]); run[j] = r.IntN(tok.Len()) {
		}
	}
	toks := append([]int{start}, run...)
	toks = append(toks, end)
	toks = append(toks, run...)
	loss := make([]bool, len(toks))
	for j := n + 3; j < len(toks); j++ {
		loss[j] = true
	}
	return train.Example{Tokens: toks, Loss: loss}
}

// fitChoice cuts a choice to at most maxReplies replies that fit a row of
// seq positions with its prompt, dropping wrong replies at random (the
// last, "I don't know", is kept); it reports false when not even the
// right reply and one other fit.
func fitChoice(r *rand.Rand, c train.Example, seq int) (train.Example, bool) {
	for len(c.Replies) > 2 && (len(c.Replies) > maxReplies || c.Rows() > seq) {
		// Any wrong reply but the last ("I don't know"); with three or
		// more replies there is one.
		var wrong []int
		for j := range len(c.Replies) - 1 {
			if j != c.Right {
				wrong = append(wrong, j)
			}
		}
		k := wrong[r.IntN(len(wrong))]
		c.Replies = slices.Delete(slices.Clone(c.Replies), k, k+1)
		if k < c.Right {
			c.Right--
		}
	}
	return c, len(c.Replies) >= 2 && c.Rows() <= seq
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func trainFileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// trainIsTerminal reports whether w is a character device (a terminal).
func trainIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

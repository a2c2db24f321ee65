package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/engine"
)

func init() {
	register(command{
		name:    "generate",
		summary: "continue a prompt with the raw decoder",
		run:     runGenerate,
	})
}

// generateOutput is `generate --json`.
type generateOutput struct {
	IDs  []int  `json:"ids"` // generated ids
	Text string `json:"text"`
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate", "--model PATH [--prompt TEXT | --ids 1,2,3] [--max-tokens N] [--temperature T] [--seed S] [--json]", stderr)
	path := fs.String("model", "", "a .gguf file or a Hugging Face model folder")
	prompt := fs.String("prompt", "", "text to continue (special-token strings stay plain text)")
	idList := fs.String("ids", "", "comma-separated token ids to continue, instead of --prompt")
	maxTokens := fs.Int("max-tokens", engine.DefaultMaxTokens, "most tokens to generate")
	temperature := fs.Float64("temperature", 0, "sampling temperature; 0 is greedy")
	seed := fs.Uint64("seed", 0, "random seed for sampling")
	topK := fs.Int("top-k", 0, "keep only the k most likely tokens (0: off)")
	topP := fs.Float64("top-p", 0, "nucleus sampling threshold (0: off)")
	minP := fs.Float64("min-p", 0, "drop tokens less likely than this fraction of the best (0: off)")
	repeat := fs.Float64("repeat-penalty", 0, "repetition penalty (0 or 1: off)")
	threads := fs.Int("threads", 0, "threads for matrix products (0: all CPUs)")
	var stops stringList
	fs.Var(&stops, "stop", "stop string (repeatable)")
	asJSON := fs.Bool("json", false, `print {"ids":[...generated ids],"text":"..."}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("generate: unexpected argument %q (use --prompt)", fs.Arg(0))}
	}
	if *prompt != "" && *idList != "" {
		return usageError{msg: "generate: pass --prompt or --ids, not both"}
	}
	if *maxTokens <= 0 {
		return usageError{msg: fmt.Sprintf("generate: --max-tokens must be positive, got %d", *maxTokens)}
	}
	req := engine.Request{
		Prompt:    *prompt,
		MaxTokens: *maxTokens,
		Stop:      stops,
		Sampling: engine.Sampling{Temperature: *temperature, Seed: *seed, TopK: *topK, TopP: *topP,
			MinP: *minP, RepetitionPenalty: *repeat},
	}
	if *idList != "" {
		ids, err := parseIDs(*idList)
		if err != nil {
			return usageError{msg: "generate: --ids: " + err.Error()}
		}
		req.IDs = ids
	}
	m, err := loadModel(*path, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	var onToken func(string) error
	if !*asJSON {
		onToken = func(piece string) error {
			_, err := io.WriteString(stdout, piece)
			return err
		}
	}
	res, err := m.Generate(ctx, req, onToken)
	if err != nil {
		return err
	}
	if *asJSON {
		out := generateOutput{IDs: res.IDs, Text: res.Text}
		if out.IDs == nil {
			out.IDs = []int{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false) // print "<", ">" and "&" as they are
		return enc.Encode(out)
	}
	_, err = io.WriteString(stdout, "\n")
	return err
}

// parseIDs parses "1,2,3" (spaces allowed).
func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("bad token id %q", f)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no token ids in %q", s)
	}
	return ids, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
	"github.com/switchboard/switchboard/engine/enginetest"
	"github.com/switchboard/switchboard/engine/tensor"
)

func init() {
	register(command{
		name:    "model",
		summary: "describe a model (model info) or write a random-weight one (model random)",
		run:     runModel,
	})
}

// loadModel opens the model at path, or the built-in model when path is
// empty, with the given thread count (zero: all CPUs).
func loadModel(path string, threads int) (*engine.Model, error) {
	if path == "" {
		return builtin.Load(engine.Options{Threads: threads})
	}
	return engine.LoadWith(path, engine.Options{Threads: threads})
}

// modelInfo is `model info --json`.
type modelInfo struct {
	Path        string         `json:"path"`
	Format      string         `json:"format"`
	Config      engine.Config  `json:"config"`
	Parameters  int64          `json:"parameters"`
	Bytes       int64          `json:"bytes"`
	TensorTypes map[string]int `json:"tensor_types"`
	Tokenizer   string         `json:"tokenizer"`
	Template    string         `json:"template"`
}

func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "Usage: switchboard model info --model PATH [--json]\n       switchboard model random --out PATH [--shape small|gpt2-small] [--type f32|f16|bf16|q8_0|q4_0] [--seed N]"
	switch {
	case len(args) > 0 && args[0] == "info":
		return runModelInfo(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "random":
		return runModelRandom(args[1:], stdout, stderr)
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help"):
		fmt.Fprintln(stderr, usage)
		return nil
	}
	return usageError{msg: "model: want a subcommand\n" + usage}
}

func runModelInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("model info", "--model PATH [--json]", stderr)
	path := fs.String("model", "", "a .gguf file or a Hugging Face model folder")
	asJSON := fs.Bool("json", false, "print the description as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("model info: unexpected argument %q", fs.Arg(0))}
	}
	m, err := loadModel(*path, 1)
	if err != nil {
		return err
	}
	defer m.Close()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(modelInfo{
			Path: m.Info.Path, Format: m.Info.Format, Config: m.Config,
			Parameters: m.Info.Parameters, Bytes: m.Info.Bytes, TensorTypes: m.Info.TensorTypes,
			Tokenizer: m.Info.Tokenizer, Template: m.Template.Name,
		})
	}
	_, err = io.WriteString(stdout, m.String())
	return err
}

// randomShapes are the shapes `model random --shape` knows.
var randomShapes = map[string]enginetest.Shape{
	"small":      enginetest.Small,
	"gpt2-small": enginetest.GPT2Small,
}

// runModelRandom writes a random-weight Llama GGUF (readable by llama.cpp
// too), for benchmarks.
func runModelRandom(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("model random", "--out PATH [--shape small|gpt2-small] [--type f32|f16|bf16|q8_0|q4_0] [--seed N]", stderr)
	out := fs.String("out", "", "the .gguf file to write")
	shapeName := fs.String("shape", "small", "small (dim 128, 2 layers) or gpt2-small (dim 768, 12 layers, 50257 tokens)")
	typeName := fs.String("type", "f32", "stored type of the matrices: f32, f16, bf16, q8_0 or q4_0")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{msg: "model random: --out is required"}
	}
	shape, ok := randomShapes[*shapeName]
	if !ok {
		return usageError{msg: fmt.Sprintf("model random: unknown shape %q", *shapeName)}
	}
	types := map[string]tensor.Type{"f32": tensor.F32, "f16": tensor.F16, "bf16": tensor.BF16, "q8_0": tensor.Q8_0, "q4_0": tensor.Q4_0}
	if shape.Type, ok = types[strings.ToLower(*typeName)]; !ok {
		return usageError{msg: fmt.Sprintf("model random: unknown type %q", *typeName)}
	}
	shape.Seed = *seed
	if err := enginetest.WriteModel(*out, shape); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "wrote %s (%s, %v)\n", *out, *shapeName, shape.Type)
	return err
}

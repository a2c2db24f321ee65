package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/switchboard/switchboard/engine"
)

func init() {
	register(command{
		name:    "model",
		summary: "describe a model file (model info --model PATH)",
		run:     runModel,
	})
}

// errNoDefaultModel is returned when --model is left out: the embedded
// default model does not exist yet.
var errNoDefaultModel = errors.New("no default model embedded yet; pass --model")

// loadModel opens the model at path with the given thread count (zero:
// all CPUs).
func loadModel(path string, threads int) (*engine.Model, error) {
	if path == "" {
		return nil, errNoDefaultModel
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
	if len(args) == 0 || args[0] != "info" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: switchboard model info --model PATH [--json]")
			return nil
		}
		return usageError{"model: want a subcommand: model info --model PATH"}
	}
	fs := newFlags("model info", "--model PATH [--json]", stderr)
	path := fs.String("model", "", "a .gguf file or a Hugging Face model folder")
	asJSON := fs.Bool("json", false, "print the description as JSON")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("model info: unexpected argument %q", fs.Arg(0))}
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

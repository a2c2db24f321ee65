package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/engine/builtin"
	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

func init() {
	register(command{
		name:    "tokenize",
		summary: "print the token ids of a text",
		run:     runTokenize,
	})
}

// tokenizeOutput is `tokenize --json`.
type tokenizeOutput struct {
	IDs []int `json:"ids"`
}

func runTokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", "--model PATH [--json] TEXT", stderr)
	path := fs.String("model", "", "a .gguf file, a model folder, or a tokenizer.json / tokenizer.model")
	asJSON := fs.Bool("json", false, `print {"ids":[...]}`)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageError{msg: "tokenize: no text given"}
	}
	text := strings.Join(pos, " ")
	tok, err := loadTokenizer(*path)
	if err != nil {
		return err
	}
	ids := tok.Encode(text) // no BOS; special-token strings stay text
	if ids == nil {
		ids = []int{}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(tokenizeOutput{IDs: ids})
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	_, err = fmt.Fprintln(stdout, strings.Join(parts, " "))
	return err
}

// loadTokenizer reads only the tokenizer of a model: from a GGUF file's
// metadata (the weights are not loaded), or from a folder or bare
// tokenizer.json / tokenizer.model.
func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if path == "" {
		f, err := builtin.File()
		if err != nil {
			return nil, err
		}
		return tokenizer.FromGGUF(f)
	}
	if !strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return tokenizer.Load(path)
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tokenizer.FromGGUF(f)
}

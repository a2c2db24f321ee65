package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchboard/switchboard/knowledge"
)

func init() {
	register(command{
		name:    "index",
		summary: "index a knowledge folder into a file that serve and search memory-map (and rebuild when the folder changes)",
		run:     runIndex,
	})
}

// runIndex builds the index of a knowledge folder and saves it, so that
// `serve` (knowledge.dir: FILE) and `search --knowledge FILE` start on it
// without re-analysing the folder. The file records the folder (as an
// absolute path) and a fingerprint of its files, so it acts as a cache:
// readers that follow it rebuild from the folder when it has changed.
func runIndex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("index", "--out FILE [--knowledge DIR]", stderr)
	dir := fs.String("knowledge", "configs/knowledge", "knowledge folder to index")
	out := fs.String("out", "", "index file to write (replaced atomically)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return usageError{msg: "index: --out FILE is required and takes no arguments"}
	}
	start := time.Now()
	ix, err := knowledge.Open(ctx, *dir, knowledge.LoadOptions{Warn: warnTo(stderr)}, knowledge.Options{})
	if err != nil {
		return fmt.Errorf("index knowledge: %w", err)
	}
	if ix.Len() == 0 {
		return fmt.Errorf("index knowledge %s: no articles", *dir)
	}
	if err := ix.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "indexed %d chunks of %s into %s in %s\n", ix.Len(), *dir, *out, time.Since(start).Round(time.Millisecond))
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

func init() {
	register(command{
		name:    "search",
		summary: "search the knowledge base (retrieval only)",
		run:     runSearch,
	})
}

// searchHit is one line of `search --json`.
type searchHit struct {
	Title  string  `json:"title"`
	Source string  `json:"source"`
	Score  float64 `json:"score"`
	Text   string  `json:"text"`
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", "[--knowledge DIR] [--json] [-k N] QUERY", stderr)
	dir := fs.String("knowledge", "configs/knowledge", "knowledge folder, or an index file written by switchboard index (rebuilt first if its folder changed since)")
	asJSON := fs.Bool("json", false, `print [{"title","source","score","text"}], best first`)
	k := fs.Int("k", knowledge.DefaultK, "number of results")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		fs.Usage()
		return usageError{msg: "search: no query given"}
	}
	if *k <= 0 {
		return usageError{msg: fmt.Sprintf("search: -k must be positive, got %d", *k)}
	}
	ix, err := openKnowledge(ctx, *dir, stderr)
	if err != nil {
		return err
	}
	res, err := ix.Retrieve(ctx, knowledge.Query{Text: query, K: *k})
	if err != nil {
		return err
	}
	if *asJSON {
		hits := make([]searchHit, len(res.Snippets))
		for i, s := range res.Snippets {
			hits[i] = searchHit{Title: s.Title, Source: s.Source, Score: s.Score, Text: s.Text}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(hits)
	}
	if len(res.Snippets) == 0 {
		fmt.Fprintln(stdout, "No results.")
		return nil
	}
	noun := "results"
	if len(res.Snippets) == 1 {
		noun = "result"
	}
	fmt.Fprintf(stdout, "%d %s (confidence %.2f)\n", len(res.Snippets), noun, res.Confidence)
	for i, s := range res.Snippets {
		title := s.Title
		if s.Section != "" {
			title += " > " + s.Section
		}
		fmt.Fprintf(stdout, "\n%d. %s  [%s]  score %.3f\n", i+1, title, s.Source, s.Score)
		fmt.Fprintf(stdout, "   %s\n", excerpt(s.Text, 240))
	}
	return nil
}

// openKnowledge indexes a knowledge folder, or maps a saved index file.
// The file is a cache of the folder recorded in it: when that folder has
// changed since the file was written, the index is rebuilt from the folder
// and the file rewritten (a failure to do so is reported on stderr and the
// file's index used as it is).
func openKnowledge(ctx context.Context, path string, stderr io.Writer) (*knowledge.Index, error) {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		live, err := knowledge.OpenLiveFile(ctx, path, knowledge.LiveOptions{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open knowledge: %w", err)
		}
		if _, err := live.Refresh(ctx); err != nil {
			fmt.Fprintf(stderr, "search: the index file is out of date and was not rebuilt: %v\n", err)
		}
		return live.Index(), nil
	}
	ix, err := knowledge.Open(ctx, path, knowledge.LoadOptions{Warn: warnTo(stderr)}, knowledge.Options{})
	if err != nil {
		return nil, fmt.Errorf("open knowledge: %w", err)
	}
	return ix, nil
}

// excerpt returns the first n runes of text on one line, with "…" when cut.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return string(r[:n]) + "…"
}

// warnTo reports a knowledge file that loads but looks wrong on w.
func warnTo(w io.Writer) func(path, problem string) {
	return func(path, problem string) { fmt.Fprintf(w, "warning: knowledge file %s: %s\n", path, problem) }
}

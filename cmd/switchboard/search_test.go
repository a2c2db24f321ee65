package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/knowledge"
)

// writeKB writes a small knowledge folder and returns its path.
func writeKB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"refunds.md": "# Refunds\n\nMoney back within 30 days.\n\n## How long a refund takes\n\nRefunds take 5 to 10 business days.\n",
		"plans.md":   "# Plans\n\nPlus costs 9.99 a month.\n",
		"faq.yaml":   "- question: How do I reset my password?\n  answer: Use the Forgot password link.\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSearchJSON(t *testing.T) {
	dir := writeKB(t)
	// Flags may follow the query, as they may in ask.
	for _, args := range [][]string{
		{"search", "--knowledge", dir, "--json", "-k", "2", "how long does a refund take"},
		{"search", "how long does a refund take", "--knowledge", dir, "-k", "2", "--json"},
	} {
		checkSearchJSON(t, args)
	}
}

func checkSearchJSON(t *testing.T, args []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run(%q) = %v, stderr %s", args, err, stderr.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("search --json output is not a JSON list: %v\n%s", err, stdout.String())
	}
	if len(got) == 0 || len(got) > 2 {
		t.Fatalf("search --json -k 2 gave %d results, want 1 or 2", len(got))
	}
	for _, key := range []string{"title", "source", "score", "text"} {
		if _, ok := got[0][key]; !ok {
			t.Errorf("search --json result lacks %q: %v", key, got[0])
		}
	}
	if len(got[0]) != 4 {
		t.Errorf("search --json result has keys %v, want exactly title, source, score, text", got[0])
	}
	if src, want := got[0]["source"], "refunds.md#how-long-a-refund-takes"; src != want {
		t.Errorf("top source = %v, want %s", src, want)
	}
	if len(got) == 2 && got[1]["score"].(float64) > got[0]["score"].(float64) {
		t.Errorf("results not best first: %v", got)
	}
}

func TestSearchIndexFile(t *testing.T) {
	dir := writeKB(t)
	ix, err := knowledge.Open(context.Background(), dir, knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kb.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	var fromDir, fromFile, stderr bytes.Buffer
	for _, c := range []struct {
		src string
		out *bytes.Buffer
	}{{dir, &fromDir}, {path, &fromFile}} {
		if err := run(context.Background(), []string{"search", "--knowledge", c.src, "--json", "refund"}, c.out, &stderr); err != nil {
			t.Fatalf("search --knowledge %s: %v", c.src, err)
		}
	}
	if fromDir.String() != fromFile.String() || fromDir.Len() < 10 {
		t.Errorf("search from index file = %s, from folder = %s; want the same", fromFile.String(), fromDir.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.idx")
	os.WriteFile(bad, []byte("not an index"), 0o644)
	if err := run(context.Background(), []string{"search", "--knowledge", bad, "refund"}, &fromFile, &stderr); !errors.Is(err, knowledge.ErrIndexFormat) {
		t.Errorf("search with a bad index file = %v, want ErrIndexFormat", err)
	}
}

func TestSearchHuman(t *testing.T) {
	dir := writeKB(t)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"search", "--knowledge", dir, "reset", "password"}, &stdout, &stderr); err != nil {
		t.Fatalf("run(search) = %v", err)
	}
	out := stdout.String()
	for _, want := range []string{"1. How do I reset my password?", "[faq.yaml#how-do-i-reset-my-password]", "Forgot password"} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"search", "--knowledge", dir, "zebra"}, &stdout, &stderr); err != nil {
		t.Fatalf("run(search zebra) = %v", err)
	}
	if !strings.Contains(stdout.String(), "No results") {
		t.Errorf("search with no match printed %q, want No results", stdout.String())
	}
}

func TestSearchErrors(t *testing.T) {
	dir := writeKB(t)
	tests := []struct {
		name  string
		args  []string
		usage bool // want a usage error (exit code 2)
	}{
		{"no query", []string{"search", "--knowledge", dir}, true},
		{"bad k", []string{"search", "--knowledge", dir, "-k", "0", "refund"}, true},
		{"unknown flag", []string{"search", "--nope", "refund"}, true},
		{"missing folder", []string{"search", "--knowledge", filepath.Join(dir, "missing"), "refund"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) succeeded, want an error", tt.args)
			}
			if got := exitCode(err) == 2; got != tt.usage {
				t.Errorf("run(%q) = %v, usage error %v, want %v", tt.args, err, got, tt.usage)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"search", "--help"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "--knowledge") {
		t.Errorf("search --help = %v, stderr %q; want flag.ErrHelp and the flags", err, stderr.String())
	}
}

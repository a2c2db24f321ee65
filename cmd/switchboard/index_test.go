package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexThenSearch saves an index with `index` and checks that
// `search` on the file answers as it does on the folder.
func TestIndexThenSearch(t *testing.T) {
	dir := writeKB(t)
	out := filepath.Join(t.TempDir(), "kb.idx")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"index", "--knowledge", dir, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run(index) = %v, stderr %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "indexed 4 chunks") {
		t.Errorf("index output = %q, want the chunk count (4)", stdout.String())
	}
	search := func(kb string) []map[string]any {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"search", "--knowledge", kb, "--json", "refund how long"}, &stdout, &stderr); err != nil {
			t.Fatalf("run(search --knowledge %s) = %v, stderr %s", kb, err, stderr.String())
		}
		var got []map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, got := search(dir), search(out)
	if len(got) == 0 || len(got) != len(want) || got[0]["source"] != want[0]["source"] {
		t.Errorf("search on the index file = %v, want as on the folder: %v", got, want)
	}
}

// TestSearchRebuildsStaleIndexFile edits the folder after `index` and
// checks that `search` on the file sees the edit and rewrites the file.
func TestSearchRebuildsStaleIndexFile(t *testing.T) {
	dir := writeKB(t)
	out := filepath.Join(t.TempDir(), "kb.idx")
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"index", "--knowledge", dir, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run(index) = %v, stderr %s", err, stderr.String())
	}
	before, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	body := "# Gift cards\n\nGift cards are redeemed with a quetzalcode at checkout.\n"
	if err := os.WriteFile(filepath.Join(dir, "gift-cards.md"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second search reads the rewritten file
		stdout.Reset()
		if err := run(ctx, []string{"search", "--knowledge", out, "--json", "quetzalcode"}, &stdout, &stderr); err != nil {
			t.Fatalf("run(search) = %v, stderr %s", err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "gift-cards.md") {
			t.Errorf("search on a stale index file = %s; want the article added since", stdout.String())
		}
	}
	after, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the stale index file was not rewritten")
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}

func TestIndexUsage(t *testing.T) {
	for _, args := range [][]string{{"index"}, {"index", "--out", "x.idx", "extra"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"index", "--knowledge", t.TempDir(), "--out", filepath.Join(t.TempDir(), "kb.idx")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no articles") {
		t.Errorf("run(index of an empty folder) = %v, want a no-articles error", err)
	}
}

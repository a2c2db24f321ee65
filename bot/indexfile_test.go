package bot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/knowledge"
)

// TestServeFromIndexFile: knowledge.dir may name a saved index file; the
// server answers from it, and the file is a cache of the folder recorded
// in it: a reload picks up an article added there.
func TestServeFromIndexFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(testKnowledge)); err != nil {
		t.Fatal(err)
	}
	ix, err := knowledge.Open(context.Background(), dir, knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kb.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Knowledge.Dir = path
	r := start(t, cfg, Options{})
	if got := r.Server.pipeline.Current().Len(); got != ix.Len() {
		t.Errorf("server index has %d chunks, want %d from the file", got, ix.Len())
	}
	if got := send(t, r.URL, msg{"text": "How long does a refund take?"}); !cites(got, "refunds.md") {
		t.Errorf("reply %+v, want an answer citing refunds.md", got.Reply)
	}
	article := "# Gift cards\n\nGift cards can be redeemed at any locker within 3 years of purchase.\n"
	if err := os.WriteFile(filepath.Join(dir, "gift-cards.md"), []byte(article), 0o644); err != nil {
		t.Fatal(err)
	}
	status, body := reload(t, r.URL, "Bearer test-admin")
	var rb struct{ Chunks int }
	if status != 200 || json.Unmarshal(body, &rb) != nil || rb.Chunks <= ix.Len() {
		t.Errorf("reload after adding an article: status %d body %s, want 200 with more than %d chunks", status, body, ix.Len())
	}
	if got := send(t, r.URL, msg{"text": "How long can I redeem a gift card?"}); !cites(got, "gift-cards.md") {
		t.Errorf("reply %+v, want an answer citing the new gift-cards.md", got.Reply)
	}

	// A file that is not an index is refused with a reason.
	bad := filepath.Join(t.TempDir(), "notes.md")
	if err := os.WriteFile(bad, []byte("# Notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Knowledge.Dir = bad
	if _, err := New(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "index file") {
		t.Errorf("New with knowledge.dir a non-index file = %v, want a bad index file error", err)
	}
}

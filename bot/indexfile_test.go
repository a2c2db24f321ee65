package bot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/knowledge"
)

// TestServeFromIndexFile: knowledge.dir may name a saved index file; the
// server answers from it, and has no folder to reload.
func TestServeFromIndexFile(t *testing.T) {
	ix, err := knowledge.Open(context.Background(), testKnowledge, knowledge.LoadOptions{}, knowledge.Options{})
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
	status, body := reload(t, r.URL, "Bearer test-admin")
	var eb web.ErrorBody
	if status != 404 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != web.CodeNotFound {
		t.Errorf("reload: status %d body %s, want 404 %s", status, body, web.CodeNotFound)
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

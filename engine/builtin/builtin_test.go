package builtin

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/engine"
)

// The shipped file must stay small enough to embed and must load and
// generate with the runtime.
func TestLoad(t *testing.T) {
	if n := len(GGUF()); n > 30<<20 {
		t.Fatalf("built-in model is %d bytes, over the 30 MiB limit", n)
	}
	m, err := Load(engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Info.Parameters == 0 {
		t.Fatal("no parameters counted")
	}
	res, err := m.Generate(context.Background(), engine.Request{
		Messages:  []engine.ChatMessage{{Role: "user", Content: "How long does delivery take?"}},
		MaxTokens: 8,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.PromptTokens == 0 || res.GeneratedTokens == 0 {
		t.Fatalf("generated %d tokens from a %d-token prompt", res.GeneratedTokens, res.PromptTokens)
	}
}

func TestLoadBytesRejectsCorruptFile(t *testing.T) {
	bad := append([]byte(nil), GGUF()[:1024]...)
	if _, err := engine.LoadBytes("truncated", bad, engine.Options{}); err == nil {
		t.Fatal("truncated model loaded")
	}
	if _, err := engine.LoadBytes("empty", nil, engine.Options{}); err == nil {
		t.Fatal("empty model loaded")
	}
}

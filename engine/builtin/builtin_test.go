package builtin

import (
	"context"
	"testing"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/gguf"
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
	// Every tensor of the file counts, its F32 norms too.
	f, err := gguf.Parse(GGUF())
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	types := map[string]int{}
	for _, x := range f.Tensors() {
		want += int64(x.Len())
		types[x.Type.String()]++
	}
	if m.Info.Parameters != want || len(types) != len(m.Info.TensorTypes) {
		t.Errorf("counted %d parameters in %v, the file has %d in %v", m.Info.Parameters, m.Info.TensorTypes, want, types)
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

package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/engine/gguf"
)

// FuzzLoadGGUF feeds hostile GGUF bytes through the whole loader (config,
// weights, tokenizer, template) and runs what loads: nothing may panic.
// Seeded with a tiny random model; run with
//
//	go test ./engine -run '^$' -fuzz FuzzLoadGGUF
func FuzzLoadGGUF(f *testing.F) {
	f.Add(tinyGGUF(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			return
		}
		m, err := modelFromGGUF(file, "fuzz.gguf")
		if err != nil {
			return
		}
		m.pool = newPool(1)
		defer m.Close()
		s := m.NewState(4)
		if _, err := s.Forward([]int{0, m.Config.Vocab - 1}); err != nil {
			t.Fatalf("Forward on a loaded model: %v", err)
		}
	})
}

// FuzzHFConfig checks that any config.json either gives a valid Config or
// an error.
func FuzzHFConfig(f *testing.F) {
	for _, name := range []string{"llama", "llama3", "qwen2", "gpt2"} {
		b, err := os.ReadFile(filepath.Join("testdata", "models", name, "config.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
		var h hfConfig
		if readJSON(filepath.Join(dir, "config.json"), &h) != nil {
			return
		}
		c, err := configFromHF(h)
		if err == nil {
			if err := c.validate(); err != nil {
				t.Fatalf("configFromHF returned an invalid config: %v", err)
			}
			if !c.LearnedPos {
				c.ropeInvFreq()
			}
		}
	})
}

// tinyGGUF returns a random model small enough to fuzz quickly.
func tinyGGUF(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := writeTinyModel(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

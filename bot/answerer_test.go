package bot

import (
	"log/slog"
	"testing"

	"github.com/switchboard/switchboard/engine"
)

// TestLoadModelKVCache checks that engine.kv_cache reaches the model: the
// built-in model (F16 weights) caches in half precision unless told f32.
func TestLoadModelKVCache(t *testing.T) {
	for _, tc := range []struct {
		kv   string
		want engine.KVPrecision
	}{
		{"auto", engine.KVF16},
		{"f32", engine.KVF32},
	} {
		cfg, err := ParseConfig([]byte("engine:\n  kv_cache: " + tc.kv + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := LoadModel(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.KVPrecision(); got != tc.want {
			t.Errorf("kv_cache %s: KVPrecision() = %v, want %v", tc.kv, got, tc.want)
		}
		m.Close()
	}
}

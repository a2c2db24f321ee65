package main

import (
	"encoding/json"
	"os"
	"runtime"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	was := streamBytes
	streamBytes = 4 << 20
	defer func() { streamBytes = was }()
	model := engineTestdata + "models/llama/model-f32.gguf"
	out, err := runCmd(t, "bench", "--model", model,
		"--prompt-tokens", "16", "--gen-tokens", "8", "--threads", "2", "--concurrency", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	for _, k := range []string{"prefill_tok_s", "decode_tok_s", "ttft_ms", "aggregate_decode_tok_s",
		"weight_bytes_per_token", "decode_bytes_per_s", "stream_read_bytes_per_s", "decode_bandwidth_fraction"} {
		if v, ok := got[k].(float64); !ok || !(v > 0) {
			t.Errorf("bench --json %s = %v (present %v), want > 0", k, got[k], ok)
		}
	}
	st, err := os.Stat(model)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := got["file_bytes"].(float64); int64(f) != st.Size() {
		t.Errorf("file_bytes = %v, want %d", got["file_bytes"], st.Size())
	}
	// Three states (one alone, two at once) of 24 positions each.
	if kv, _ := got["kv_cache_bytes"].(float64); !(kv > 0) || int64(kv)%3 != 0 {
		t.Errorf("kv_cache_bytes = %v, want three equal caches", got["kv_cache_bytes"])
	}
	if runtime.GOOS == "linux" {
		if rss, _ := got["rss_bytes"].(float64); !(rss > 0) {
			t.Errorf("rss_bytes = %v, want > 0 on Linux", got["rss_bytes"])
		}
		if _, ok := got["rss_within_file_kv_10pct"].(bool); !ok {
			t.Errorf("rss_within_file_kv_10pct = %v, want a bool", got["rss_within_file_kv_10pct"])
		}
	}
	out, err = runCmd(t, "bench", "--model", model, "--prompt-tokens", "8", "--gen-tokens", "4", "--bandwidth=false", "--json")
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["stream_read_bytes_per_s"]; ok {
		t.Errorf("--bandwidth=false still measured the bandwidth: %v", got)
	}
	if _, err := runCmd(t, "bench", "--model", engineTestdata+"models/llama/model-f32.gguf", "--prompt-tokens", "250", "--gen-tokens", "10"); err == nil {
		t.Error("bench past the context length succeeded")
	}
}

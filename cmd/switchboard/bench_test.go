package main

import (
	"encoding/json"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	out, err := runCmd(t, "bench", "--model", engineTestdata+"models/llama/model-f32.gguf",
		"--prompt-tokens", "16", "--gen-tokens", "8", "--threads", "2", "--concurrency", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]float64
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	for _, k := range []string{"prefill_tok_s", "decode_tok_s", "ttft_ms", "aggregate_decode_tok_s"} {
		if v, ok := got[k]; !ok || !(v > 0) {
			t.Errorf("bench --json %s = %v (present %v), want > 0", k, v, ok)
		}
	}
	if _, err := runCmd(t, "bench", "--model", engineTestdata+"models/llama/model-f32.gguf", "--prompt-tokens", "250", "--gen-tokens", "10"); err == nil {
		t.Error("bench past the context length succeeded")
	}
}

package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestPromptIDsMatchReference(t *testing.T) {
	ref := loadReference(t)
	for _, src := range []struct{ name, file string }{
		{"llama", ""}, {"llama", "model-f32.gguf"}, {"llama3", ""}, {"llama3", "model-f32.gguf"},
		{"qwen2", ""}, {"qwen2", "model-f32.gguf"}, {"llama-spm", ""}, {"llama-spm", "model-f32.gguf"}, {"gpt2", ""},
	} {
		name := src.name
		m := openModel(t, modelPath(name, src.file))
		for _, p := range ref.Models[name].Reference {
			req := Request{Prompt: p.Text}
			if name != "llama-spm" && strings.HasPrefix(p.Text, "<|im_start|>") {
				// transformers parsed the added tokens of this prompt, which is
				// the ChatML rendering of one user message: the same ids must
				// come from Messages, while a Prompt keeps them plain text.
				req = Request{Messages: []ChatMessage{{Role: "user", Content: "Where is my parcel?"}}}
				plain, _ := m.PromptIDs(Request{Prompt: p.Text})
				if m.Tokenizer.AddBOS() {
					plain = plain[1:]
				}
				if got, want := plain, m.Tokenizer.Encode(p.Text); !equalInts(got, want) || equalInts(got, p.IDs) {
					t.Errorf("%s: PromptIDs(Prompt %q) = %v, want plain-text ids %v", name, p.Text, got, want)
				}
			}
			got, err := m.PromptIDs(req)
			if err != nil {
				t.Fatal(err)
			}
			want := p.IDs
			if tok := m.Tokenizer; tok.AddBOS() && want[0] != tok.BOS() {
				// The llama3 GGUF asks for BOS (llama.cpp's default for
				// llama-bpe vocabularies); its tokenizer.json does not.
				want = append([]int{tok.BOS()}, want...)
			}
			if !equalInts(got, want) {
				t.Errorf("%s %s: PromptIDs(%+v) = %v, want %v", name, src.file, req, got, want)
			}
		}
	}
}

func TestGenerateGreedy(t *testing.T) {
	ref := loadReference(t)
	for _, name := range []string{"llama", "llama-spm", "gpt2"} {
		m := openModel(t, modelPath(name, ""))
		for _, p := range ref.Models[name].Reference {
			var pieces []string
			res, err := m.Generate(context.Background(), Request{IDs: p.IDs, MaxTokens: len(p.Greedy)}, func(s string) error {
				pieces = append(pieces, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !equalInts(res.IDs, p.Greedy) {
				t.Errorf("%s: Generate(%q).IDs = %v, want %v", name, p.Text, res.IDs, p.Greedy)
			}
			if got, want := res.Text, validUTF8(m.Tokenizer.Decode(p.Greedy)); got != want {
				t.Errorf("%s: Text = %q, want %q", name, got, want)
			}
			if got := strings.Join(pieces, ""); got != res.Text {
				t.Errorf("%s: pieces join to %q, Text is %q", name, got, res.Text)
			}
			if res.PrefillTime <= 0 || res.DecodeTime <= 0 {
				t.Errorf("%s: prefill %v, decode %v; want both measured", name, res.PrefillTime, res.DecodeTime)
			}
			if res.FinishReason != "length" || res.GeneratedTokens != len(p.Greedy) || res.PromptTokens != len(p.IDs) {
				t.Errorf("%s: result %+v, want length after %d tokens, %d prompt tokens", name, res, len(p.Greedy), len(p.IDs))
			}
		}
	}
}

func TestGenerateSampling(t *testing.T) {
	m := openModel(t, modelPath("llama", ""))
	gen := func(s Sampling) Result {
		t.Helper()
		res, err := m.Generate(context.Background(), Request{Prompt: "How do I reset my password?", MaxTokens: 20, Sampling: s}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	hot := Sampling{Temperature: 1.5, Seed: 7}
	a, b := gen(hot), gen(hot)
	if !equalInts(a.IDs, b.IDs) {
		t.Errorf("same seed gave %v and %v", a.IDs, b.IDs)
	}
	differ := false
	for seed := uint64(8); seed < 12 && !differ; seed++ {
		differ = !equalInts(gen(Sampling{Temperature: 1.5, Seed: seed}).IDs, a.IDs)
	}
	if !differ {
		t.Error("four other seeds all gave the same text as seed 7")
	}
	// top-k 1 is greedy, whatever the temperature.
	if got, want := gen(Sampling{Temperature: 2, TopK: 1, Seed: 3}).IDs, gen(Sampling{}).IDs; !equalInts(got, want) {
		t.Errorf("top-k 1 = %v, greedy = %v", got, want)
	}
	// A strong repetition penalty stops the greedy loop of the random model.
	rep := gen(Sampling{RepetitionPenalty: 100})
	seen := map[int]bool{}
	for _, id := range rep.IDs {
		if seen[id] {
			t.Errorf("repetition penalty 100 repeated token %d: %v", id, rep.IDs)
			break
		}
		seen[id] = true
	}
}

func TestGenerateStop(t *testing.T) {
	m := openModel(t, modelPath("llama-spm", ""))
	req := Request{Prompt: "Order #12345 costs $1,299.99", MaxTokens: 24}
	full, err := m.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A stop string spanning tokens from the middle of the greedy text.
	r := []rune(full.Text)
	if len(r) < 12 {
		t.Fatalf("greedy text %q too short", full.Text)
	}
	stop := string(r[len(r)/2 : len(r)/2+4])
	want := full.Text[:strings.Index(full.Text, stop)]
	req.Stop = []string{"never appears", stop}
	var pieces []string
	res, err := m.Generate(context.Background(), req, func(s string) error {
		pieces = append(pieces, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != want || res.FinishReason != "stop" {
		t.Errorf("Generate(stop %q) = %q (%s), want %q (stop)", stop, res.Text, res.FinishReason, want)
	}
	if got := strings.Join(pieces, ""); got != want {
		t.Errorf("streamed %q, want %q", got, want)
	}
}

func TestGenerateCancel(t *testing.T) {
	m := openModel(t, modelPath("llama", ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	res, err := m.Generate(ctx, Request{Prompt: "How", MaxTokens: 100}, func(string) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel = %v, want context.Canceled", err)
	}
	if res.GeneratedTokens >= 100 {
		t.Errorf("generated %d tokens after cancel", res.GeneratedTokens)
	}
	boom := errors.New("boom")
	if _, err := m.Generate(context.Background(), Request{Prompt: "How", MaxTokens: 10}, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Generate with failing callback = %v, want boom", err)
	}
}

func TestGenerateConcurrent(t *testing.T) {
	ref := loadReference(t)
	m := openModel(t, modelPath("qwen2", "model-f32.gguf"))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		p := ref.Models["qwen2"].Reference[i%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := m.Generate(context.Background(), Request{IDs: p.IDs, MaxTokens: len(p.Greedy)}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if !equalInts(res.IDs, p.Greedy) {
				t.Errorf("concurrent greedy = %v, want %v", res.IDs, p.Greedy)
			}
		}()
	}
	wg.Wait()
}

func TestGenerateErrors(t *testing.T) {
	m := openModel(t, modelPath("llama", ""))
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"id out of vocabulary", Request{IDs: []int{1, 384}}, nil},
		{"negative id", Request{IDs: []int{-1}}, nil},
		{"prompt longer than context", Request{IDs: make([]int, 256)}, ErrContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Generate(context.Background(), tt.req, nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Generate() = %v, want error %v", err, tt.want)
			}
		})
	}
	// The context length caps generation.
	res, err := m.Generate(context.Background(), Request{IDs: make([]int, 250), MaxTokens: 100}, nil)
	if err != nil || res.GeneratedTokens > 6 {
		t.Errorf("Generate near the context end = %d tokens, %v; want ≤ 6", res.GeneratedTokens, err)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	// A float32 KV cache, and a half-precision one with quantized
	// weights and embedding rows read from the file.
	var m *Model
	for _, file := range []string{"model-q8_0.gguf", "model-f32.gguf"} {
		m = openModel(t, modelPath("llama", file))
		if m.embed == nil && file == "model-q8_0.gguf" {
			t.Errorf("%s: embedding rows not read from the file", file)
		}
		s := m.NewState(0)
		if _, err := s.Forward([]int{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
		tok := []int{5}
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := s.Forward(tok); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s (KV %v): decode step allocates %v times, want 0", file, m.KVPrecision(), allocs)
		}
	}
	samp := newSampler(Sampling{Temperature: 0.8, TopK: 40, TopP: 0.9, MinP: 0.05, RepetitionPenalty: 1.1}, m.Config.Vocab)
	logits := make([]float32, m.Config.Vocab)
	history := []int{1, 2, 3}
	if allocs := testing.AllocsPerRun(50, func() { samp.sample(logits, history) }); allocs != 0 {
		t.Errorf("sampling allocates %v times, want 0", allocs)
	}
}

// TestEmbedRowsFromFile checks that token embedding rows read from the
// file (an untied output) give the logits the mapped rows give.
func TestEmbedRowsFromFile(t *testing.T) {
	path := modelPath("llama", "model-q8_0.gguf")
	m, mapped := openModel(t, path), openModel(t, path)
	if m.embed == nil {
		t.Fatal("embedding rows not read from the file")
	}
	mapped.embed = nil
	ids := []int{1, 7, 42, 3, m.Config.Vocab - 1}
	got, err := m.NewState(0).Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	want, err := mapped.NewState(0).Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("logits with rows from the file differ from the mapped rows' by up to %g", maxAbsDiff(got, want))
	}
}

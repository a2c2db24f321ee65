package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeSpecial(t *testing.T) {
	bpe := loadRef(t, "bpe-gpt2")
	spm := loadRef(t, "spm-llama")
	id := func(tok *Tokenizer, s string) int {
		t.Helper()
		i, ok := tok.ID(s)
		if !ok {
			t.Fatalf("no token %q", s)
		}
		return i
	}
	cat := func(parts ...[]int) []int { return slices.Concat(parts...) }
	tests := []struct {
		name string
		tok  *Tokenizer
		text string
		want []int
	}{
		{"chatml", bpe, "<|im_start|>user\nhi<|im_end|>",
			cat([]int{id(bpe, "<|im_start|>")}, bpe.Encode("user\nhi"), []int{id(bpe, "<|im_end|>")})},
		{"longest at a place", bpe, "<|endoftext|><|endoftext|>", []int{0, 0}},
		{"near miss stays text", bpe, "<|im_start|", bpe.Encode("<|im_start|")},
		// Every fragment between control tokens gets SentencePiece's dummy
		// prefix, as llama.cpp and Hugging Face's Llama tokenizer do.
		{"spm bos eos", spm, "<s>Hi there</s>", cat([]int{1}, spm.Encode("Hi there"), []int{2})},
		{"spm text after control", spm, "a</s>b", cat(spm.Encode("a"), []int{2}, spm.Encode("b"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tok.EncodeSpecial(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("EncodeSpecial(%q) = %v, want %v", tc.text, got, tc.want)
			}
			if got := tc.tok.Encode(tc.text); slices.ContainsFunc(got, tc.tok.IsControl) {
				t.Errorf("Encode(%q) = %v has control tokens", tc.text, got)
			}
		})
	}
}

func TestSpecialIDs(t *testing.T) {
	bpe, err := Load("testdata/models/llama") // tokenizer_config.json: bos = eos = <|endoftext|>
	if err != nil {
		t.Fatal(err)
	}
	spm := loadRef(t, "spm-llama")
	tests := []struct {
		name          string
		tok           *Tokenizer
		bos, eos, unk int
		eog           []int
		addBOS        bool
	}{
		{"bpe", bpe, 0, 0, -1, []int{0, 2}, false}, // <|endoftext|>, <|im_end|>
		{"spm", spm, 1, 2, 0, []int{2}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.tok
			if tok.BOS() != tc.bos || tok.EOS() != tc.eos || tok.Unknown() != tc.unk {
				t.Errorf("BOS, EOS, Unknown = %d, %d, %d, want %d, %d, %d",
					tok.BOS(), tok.EOS(), tok.Unknown(), tc.bos, tc.eos, tc.unk)
			}
			if diff := cmp.Diff(tc.eog, tok.EOG()); diff != "" {
				t.Errorf("EOG() diff (-want +got):\n%s", diff)
			}
			for _, id := range tc.eog {
				if !tok.IsEOG(id) {
					t.Errorf("IsEOG(%d) = false", id)
				}
			}
			if tok.IsEOG(tok.Len()-1) || tok.IsEOG(-1) {
				t.Error("IsEOG true for an ordinary or invalid id")
			}
			if got := tok.AddBOS(); got != tc.addBOS {
				t.Errorf("AddBOS() = %v, want %v", got, tc.addBOS)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	tok := loadRef(t, "gpt2")
	if got, want := tok.Len(), 50257; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := tok.Model(), ModelBPE; got != want {
		t.Errorf("Model() = %q, want %q", got, want)
	}
	// GPT-2's tokenizer.json has no added tokens and no config beside it:
	// <|endoftext|> (50256) is found by name.
	if tok.EOS() != 50256 || !tok.IsEOG(50256) || tok.BOS() != 50256 {
		t.Errorf("EOS, IsEOG(50256), BOS = %d, %v, %d, want 50256, true, 50256", tok.EOS(), tok.IsEOG(50256), tok.BOS())
	}
	ids := tok.Encode(" hello")
	if len(ids) != 1 {
		t.Fatalf("Encode(\" hello\") = %v, want one token", ids)
	}
	if got, want := tok.Token(ids[0]), "Ġhello"; got != want {
		t.Errorf("Token(%d) = %q, want %q", ids[0], got, want)
	}
	if id, ok := tok.ID("Ġhello"); !ok || id != ids[0] {
		t.Errorf("ID(Ġhello) = %d, %v, want %d, true", id, ok, ids[0])
	}
	if _, ok := tok.ID("no such token"); ok {
		t.Error("ID of a missing piece = ok")
	}
	for _, id := range []int{-1, tok.Len()} {
		if tok.Token(id) != "" || tok.Type(id) != 0 || tok.IsControl(id) {
			t.Errorf("id %d out of range: Token, Type, IsControl = %q, %d, %v", id, tok.Token(id), tok.Type(id), tok.IsControl(id))
		}
	}
	if got := tok.Decode([]int{-5, ids[0], 1 << 30}); got != " hello" {
		t.Errorf("Decode skipping bad ids = %q, want %q", got, " hello")
	}
}

// writeJSON writes v as dir/name.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readTokenizerJSON reads a testdata tokenizer.json as a generic tree, for
// tests to vary.
func readTokenizerJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMergesAsPairs(t *testing.T) {
	m := readTokenizerJSON(t, "bpe-llama3")
	model := m["model"].(map[string]any)
	var pairs [][]string
	for _, p := range model["merges"].([]any) {
		pairs = append(pairs, []string{p.([]any)[0].(string), p.([]any)[1].(string)})
	}
	// The reference file holds pairs; write them as "a b" strings too.
	var lines []string
	for _, p := range pairs {
		lines = append(lines, p[0]+" "+p[1])
	}
	model["merges"] = lines
	tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	checkCases(t, tok, readReference(t)["bpe-llama3"].Cases)
}

func TestSmolLMPreTokenizer(t *testing.T) {
	m := readTokenizerJSON(t, "bpe-gpt2")
	m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Digits", "individual_digits": true},
		map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
	}}
	tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Pre(), "smollm"; got != want {
		t.Errorf("Pre() = %q, want %q", got, want)
	}
	gguf, err := New(Vocab{Model: ModelBPE, Pre: "smollm", Tokens: tok.tokens, Types: tok.types,
		Merges: tok.Vocab().Merges, BOS: -1, EOS: -1, Unknown: -1, Padding: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Order #12345 costs $1,299.99", "a 1b 22"} {
		got, want := tok.Encode(s), gguf.Encode(s)
		if !slices.Equal(got, want) {
			t.Errorf("tokenizer.json and Vocab smollm disagree on %q: %v vs %v", s, got, want)
		}
	}
}

// tinyBPE is a byte-level tokenizer.json small enough to reason about.
func tinyBPE(ignoreMerges bool, added []any) map[string]any {
	return map[string]any{
		"added_tokens":  added,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		"model": map[string]any{
			"type":          "BPE",
			"ignore_merges": ignoreMerges,
			"vocab":         map[string]int{"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "Ġ": 6, "<x>": 7, "<ctl>": 8, "aa": 9},
			"merges":        []string{"b c", "a b", "ab c", "a a"},
		},
	}
}

func TestTinyBPE(t *testing.T) {
	added := []any{
		map[string]any{"id": 7, "content": "<x>", "special": false},
		map[string]any{"id": 8, "content": "<ctl>", "special": true, "lstrip": true, "rstrip": true},
	}
	tests := []struct {
		name         string
		ignoreMerges bool
		text         string
		special      bool
		want         []int
	}{
		{"merge order wins", false, "abc", false, []int{0, 4}}, // b c merges first; a+bc is no merge
		{"ignore_merges takes whole words", true, "abc", false, []int{5}},
		{"leftmost of equal ranks", false, "aaa", false, []int{9, 0}},
		{"user-defined matched by Encode", false, "a<x>b", false, []int{0, 7, 1}},
		{"control is text for Encode", false, "<ctl>", false, []int{2}}, // only "c" is a token here
		{"control with strip", false, "a <ctl> b", true, []int{0, 8, 1}},
		{"bytes without a token are dropped", false, "a?b", false, []int{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", tinyBPE(tc.ignoreMerges, added)))
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			if tc.special {
				got = tok.EncodeSpecial(tc.text)
			} else {
				got = tok.Encode(tc.text)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("encode(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestLoadFolder(t *testing.T) {
	// A folder with a SentencePiece-style tokenizer.json (Metaspace) and a
	// tokenizer.model, as Llama 2 ships: tokenizer.model, which is exact,
	// is used.
	dir := t.TempDir()
	writeJSON(t, dir, "tokenizer.json", map[string]any{
		"pre_tokenizer": map[string]any{"type": "Metaspace", "replacement": "▁"},
		"model":         map[string]any{"type": "BPE", "byte_fallback": true, "vocab": map[string]int{"a": 0}, "merges": []string{}},
	})
	model, err := os.ReadFile("testdata/spm-llama/tokenizer.model")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.model"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Len(), 640; got != want {
		t.Errorf("Len() = %d, want %d (tokenizer.model's, not tokenizer.json's)", got, want)
	}
	if err := os.Remove(filepath.Join(dir, "tokenizer.model")); err != nil {
		t.Fatal(err)
	}
	if tok, err := Load(dir); err != nil || tok.Len() != 1 {
		t.Errorf("Load(folder with only a SentencePiece-style tokenizer.json) = %v, %v; want its one token", tok, err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load(empty folder) succeeded")
	}
}

func TestErrors(t *testing.T) {
	base := Vocab{Model: ModelBPE, Tokens: []string{"a", "b"}, BOS: -1, EOS: -1, Unknown: -1, Padding: -1}
	tests := []struct {
		name        string
		change      func(v *Vocab)
		unsupported bool
	}{
		{"empty", func(v *Vocab) { v.Tokens = nil }, false},
		{"types length", func(v *Vocab) { v.Types = []int32{1} }, false},
		{"scores length", func(v *Vocab) { v.Scores = []float32{1, 2, 3} }, false},
		{"bos out of range", func(v *Vocab) { v.BOS = 2 }, false},
		{"bad merge", func(v *Vocab) { v.Merges = []string{"ab"} }, false},
		{"unknown model", func(v *Vocab) { v.Model = "bert" }, true},
		{"unknown pre", func(v *Vocab) { v.Pre = "no-such-pre" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			tc.change(&v)
			_, err := New(v)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %v, want %v", err, got, tc.unsupported)
			}
		})
	}

	dir := t.TempDir()
	unigram := writeJSON(t, dir, "unigram.json", map[string]any{"model": map[string]any{"type": "Unigram"}})
	lookAhead := writeJSON(t, dir, "lookahead.json", map[string]any{
		"pre_tokenizer": map[string]any{"type": "Split", "behavior": "Isolated", "pattern": map[string]any{"Regex": `a(?=b)`}},
		"model":         map[string]any{"type": "BPE", "vocab": map[string]int{"a": 0}, "merges": []string{}},
	})
	for _, p := range []string{unigram, lookAhead} {
		if _, err := Load(p); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Load(%s) error = %v, want ErrUnsupported", filepath.Base(p), err)
		}
	}
	garbage := filepath.Join(dir, "tokenizer.model")
	if err := os.WriteFile(garbage, []byte("\xff\xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(garbage); err == nil {
		t.Error("Load(garbage tokenizer.model) succeeded")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

func FuzzParseSPM(f *testing.F) {
	model, err := os.ReadFile("testdata/spm-llama/tokenizer.model")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(model)
	f.Add(model[:len(model)/2])
	f.Add([]byte{0x0a, 0x05, 0x0a, 0x01, 'a', 0x18, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := parseSPM(data, sidecar{})
		if err != nil {
			return
		}
		s := "Hello, wörld 123 😀"
		ids := tok.Encode(s)
		tok.Decode(ids)
		tok.EncodeSpecial(s)
	})
}

func FuzzParseHFJSON(f *testing.F) {
	for _, name := range []string{"bpe-gpt2", "bpe-llama3"} {
		data, err := os.ReadFile(filepath.Join("testdata", name, "tokenizer.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, metaspace := range []bool{false, true} {
		data, err := json.Marshal(spmAsTokenizerJSON(f, metaspace))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":3000000000}}}`))
	f.Add([]byte(`{"added_tokens":[{"id":-1,"content":"x"}],"model":{"vocab":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := parseHFJSON(data, sidecar{})
		if err != nil {
			return
		}
		s := "Hello, wörld 123 <|im_start|> 😀"
		tok.Decode(tok.EncodeSpecial(s))
		tok.Decode(tok.Encode(s))
	})
}

// TestNormalizer: Qwen2's tokenizer.json normalizes to NFC before splitting.
func TestNormalizer(t *testing.T) {
	m := readTokenizerJSON(t, "bpe-gpt2")
	plain, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	m["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "NFC"}}}
	nfc, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	composed, decomposed := "café naïve", "cafe\u0301 nai\u0308ve"
	if got, want := nfc.Encode(decomposed), plain.Encode(composed); !slices.Equal(got, want) {
		t.Errorf("NFC Encode(%q) = %v, want %v (the composed text's ids)", decomposed, got, want)
	}
	if slices.Equal(plain.Encode(decomposed), plain.Encode(composed)) {
		t.Error("without a normalizer the decomposed text encodes like the composed one; the test shows nothing")
	}
	m["normalizer"] = map[string]any{"type": "Lowercase"}
	if _, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Load with a Lowercase normalizer: error = %v, want ErrUnsupported", err)
	}
}

// TestGPT4oStyleRegex loads a tokenizer.json whose Split regex (the
// o200k/Tekken family) has no hand-written scanner.
func TestGPT4oStyleRegex(t *testing.T) {
	const expr = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	m := readTokenizerJSON(t, "bpe-llama3")
	pre := m["pre_tokenizer"].(map[string]any)
	pre["pretokenizers"].([]any)[0].(map[string]any)["pattern"] = map[string]any{"Regex": expr}
	tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Pre(); got != "custom" {
		t.Errorf("Pre() = %q, want custom", got)
	}
	split, _, err := regexSplitter(expr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := words(split, "HelloWorld's 12345 a/b\n\n  x"), []string{"Hello", "World's", " ", "123", "45", " a", "/b", "\n\n", " ", " x"}; !slices.Equal(got, want) {
		t.Errorf("words = %q, want %q", got, want)
	}
	for _, c := range readReference(t)["bpe-llama3"].Cases {
		checkRoundTrip(t, "gpt-4o regex", tok, c.Text)
	}
}

// TestConcurrentEncode shares one Tokenizer (and its word cache) between
// goroutines; run with -race.
func TestConcurrentEncode(t *testing.T) {
	tok := loadRef(t, "bpe-llama3")
	cases := readReference(t)["bpe-llama3"].Cases
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(cases))
	for range 4 {
		wg.Go(func() {
			for _, c := range cases {
				if got := tok.Encode(c.Text); !slices.ContainsFunc(c.IDs, tok.IsControl) && !slices.Equal(got, c.IDs) {
					errs <- c.Text
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Encode(%q) differs from the reference", s)
	}
}

func TestAddPrefixSpace(t *testing.T) {
	m := tinyBPE(false, []any{map[string]any{"id": 8, "content": "<ctl>", "special": true}})
	m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true
	tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", m))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []int
	}{
		{"abc", []int{6, 0, 4}},           // " abc"
		{" abc", []int{6, 0, 4}},          // already has one
		{"a<ctl>a", []int{6, 0, 8, 6, 0}}, // each fragment gets one
	}
	for _, tc := range tests {
		if got := tok.EncodeSpecial(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("EncodeSpecial(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

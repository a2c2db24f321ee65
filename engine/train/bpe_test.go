package train

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/engine/tokenizer"
)

// demoKB reads the demo knowledge base's files as texts.
func demoKB(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../configs/knowledge/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("demo knowledge base: %v (%d files)", err, len(files))
	}
	var texts []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return texts
}

func TestTrainBPERoundTripAndCompression(t *testing.T) {
	texts := demoKB(t)
	v, err := TrainBPE(texts, 1024, DefaultSpecials)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(v.Tokens); got != 1024 {
		t.Fatalf("vocabulary has %d tokens, want 1024", got)
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		t.Fatalf("engine tokenizer from trained vocab: %v", err)
	}
	var bytes, tokens int
	for _, text := range append(texts, "naïve café — ünïcödé 😀 \x00\xff tabs\t\tand\n\nnewlines  ", "it's we'll they've I'm") {
		ids := tok.Encode(text)
		if got := tok.Decode(ids); got != text && strings.ToValidUTF8(got, "\uFFFD") != strings.ToValidUTF8(text, "\uFFFD") {
			t.Errorf("round trip of %.40q gave %.40q", text, got)
		}
		bytes += len(text)
		tokens += len(ids)
	}
	ratio := float64(bytes) / float64(tokens)
	t.Logf("demo KB: %d bytes, %d tokens, %.2f bytes/token with 1024 tokens", bytes, tokens, ratio)
	if ratio < 3 {
		t.Errorf("%.2f bytes/token, want at least 3 on the text it was trained on", ratio)
	}
	for _, s := range DefaultSpecials {
		id, ok := tok.ID(s)
		if !ok || !tok.IsControl(id) {
			t.Errorf("special %s: id %d, control %v", s, id, ok && tok.IsControl(id))
		}
		if ids := tok.EncodeSpecial(s); len(ids) != 1 || ids[0] != id {
			t.Errorf("EncodeSpecial(%s) = %v, want [%d]", s, ids, id)
		}
	}
	if id, _ := tok.ID(TokenImEnd); !tok.IsEOG(id) {
		t.Errorf("%s is not end-of-generation", TokenImEnd)
	}
}

func TestTrainBPEDeterministic(t *testing.T) {
	texts := demoKB(t)[:3]
	a, err := TrainBPE(texts, 600, DefaultSpecials)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrainBPE(slices.Clone(texts), 600, DefaultSpecials)
	if !slices.Equal(a.Tokens, b.Tokens) || !slices.Equal(a.Merges, b.Merges) {
		t.Error("two runs on the same texts learnt different vocabularies")
	}
	if _, err := TrainBPE(texts, 100, DefaultSpecials); err == nil {
		t.Error("a vocabulary smaller than 256 bytes was accepted")
	}
}

func TestSplitGPT2KeepsEveryByte(t *testing.T) {
	for _, text := range []string{"", "Hello world's  big\n\n 123 x!!", "\xff\xfe a", "   ", "a   b"} {
		var words []string
		splitGPT2(text, func(w string) { words = append(words, w) })
		if got := strings.Join(words, ""); got != text {
			t.Errorf("split(%q) joined = %q", text, got)
		}
	}
	var words []string
	splitGPT2("Hello world's  big", func(w string) { words = append(words, w) })
	want := []string{"Hello", " world", "'s", " ", " big"}
	if !slices.Equal(words, want) {
		t.Errorf("split = %q, want %q", words, want)
	}
}

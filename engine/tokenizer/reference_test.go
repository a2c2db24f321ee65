package tokenizer

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testdata/reference.json is shared/testdata/tokenizers/reference.json:
// ids made outside the project by Hugging Face tokenizers 0.23 (byte-level
// BPE) and sentencepiece 0.2.2 (spm-llama), without BOS and without
// special-token parsing, except that Hugging Face matches added tokens such
// as <|im_start|> inside text (one case; llama.cpp agrees with every other).

type refCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

type refTokenizer struct {
	Files []string  `json:"files"`
	Cases []refCase `json:"cases"`
}

func readReference(t testing.TB) map[string]refTokenizer {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]refTokenizer
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

var (
	gpt2Once sync.Once
	gpt2Dir  string // removed by TestMain
	gpt2Path string
	gpt2Err  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if gpt2Dir != "" {
		os.RemoveAll(gpt2Dir)
	}
	os.Exit(code)
}

// gpt2JSON returns the path of the real GPT-2 tokenizer.json, kept gzipped
// in testdata (3.5 MB raw).
func gpt2JSON(t testing.TB) string {
	t.Helper()
	gpt2Once.Do(func() {
		gpt2Dir, gpt2Err = os.MkdirTemp("", "tokenizer-gpt2")
		if gpt2Err != nil {
			return
		}
		gpt2Path = filepath.Join(gpt2Dir, "tokenizer.json")
		gpt2Err = gunzip("testdata/gpt2/tokenizer.json.gz", gpt2Path)
	})
	if gpt2Err != nil {
		t.Fatal(gpt2Err)
	}
	return gpt2Path
}

func gunzip(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// refFile maps a reference tokenizer name to its file in testdata.
func refFile(t testing.TB, name string) string {
	switch name {
	case "gpt2":
		return gpt2JSON(t)
	case "spm-llama":
		return "testdata/spm-llama/tokenizer.model"
	}
	return filepath.Join("testdata", name, "tokenizer.json")
}

func loadRef(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tok, err := Load(refFile(t, name))
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return tok
}

// checkCases asserts every reference case on tok. A case whose reference
// ids hold a control token is the one where Hugging Face matched added
// tokens inside text: EncodeSpecial must reproduce it, while Encode keeps
// the special-token strings as plain text (what llama.cpp does, and what
// this package promises).
func checkCases(t *testing.T, tok *Tokenizer, cases []refCase) {
	t.Helper()
	for _, c := range cases {
		parsed := slices.ContainsFunc(c.IDs, tok.IsControl)
		got := tok.Encode(c.Text)
		if !parsed {
			if !slices.Equal(got, c.IDs) {
				t.Errorf("Encode(%q) diff (-got +want):\n%s", c.Text, cmp.Diff(got, c.IDs))
			}
			continue
		}
		if got := tok.EncodeSpecial(c.Text); !slices.Equal(got, c.IDs) {
			t.Errorf("EncodeSpecial(%q) diff (-got +want):\n%s", c.Text, cmp.Diff(got, c.IDs))
		}
		if slices.ContainsFunc(got, tok.IsControl) {
			t.Errorf("Encode(%q) = %v holds a control token; special strings must stay plain text", c.Text, got)
		}
		if tok.Model() == ModelBPE {
			if back := tok.Decode(got); back != c.Text {
				t.Errorf("Decode(Encode(%q)) = %q", c.Text, back)
			}
		}
	}
}

func TestReferenceFiles(t *testing.T) {
	ref := readReference(t)
	if len(ref) < 4 {
		t.Fatalf("reference.json has %d tokenizers, want 4", len(ref))
	}
	for name, r := range ref {
		t.Run(name, func(t *testing.T) {
			if len(r.Cases) == 0 {
				t.Fatal("no cases")
			}
			checkCases(t, loadRef(t, name), r.Cases)
		})
	}
}

// TestReferenceSpecialCaseIsParsed guards checkCases: the reference must
// hold the one Hugging Face case with parsed added tokens, else the
// EncodeSpecial branch would go untested.
func TestReferenceSpecialCaseIsParsed(t *testing.T) {
	ref := readReference(t)
	tok := loadRef(t, "bpe-gpt2")
	n := 0
	for _, c := range ref["bpe-gpt2"].Cases {
		if slices.ContainsFunc(c.IDs, tok.IsControl) {
			n++
			if !strings.Contains(c.Text, "<|im_start|>") {
				t.Errorf("case %q has control ids but no <|im_start|>", c.Text)
			}
		}
	}
	if n != 1 {
		t.Errorf("bpe-gpt2 cases with parsed added tokens = %d, want 1", n)
	}
}

// TestVocabPath builds each reference tokenizer through New(t.Vocab()),
// the path a GGUF loader takes, from the vocabulary the file loader read:
// the ids must not change.
func TestVocabPath(t *testing.T) {
	ref := readReference(t)
	for name, r := range ref {
		t.Run(name, func(t *testing.T) {
			tok, err := New(loadRef(t, name).Vocab())
			if err != nil {
				t.Fatal(err)
			}
			checkCases(t, tok, r.Cases)
		})
	}
}

type modelPrompts struct {
	Models map[string][]prompt `json:"models"`
}

// TestModelPrompts checks the prompts of shared/testdata/engine/reference.json
// (the transformers input_ids of each model, copied to
// testdata/models/prompts.json) from each model's own tokenizer files.
func TestModelPrompts(t *testing.T) {
	mp := readPrompts(t)
	for _, name := range []string{"llama", "llama3", "qwen2", "llama-spm"} {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(filepath.Join("testdata/models", name))
			if err != nil {
				t.Fatal(err)
			}
			// From Hugging Face files, AddBOS follows tokenizer_config.json,
			// as transformers does.
			if refBOS := checkPrompts(t, tok, mp.Models[name]); tok.AddBOS() != refBOS {
				t.Errorf("AddBOS() = %v, want %v (the reference's input_ids)", tok.AddBOS(), refBOS)
			}
		})
	}
}

func readPrompts(t testing.TB) modelPrompts {
	t.Helper()
	data, err := os.ReadFile("testdata/models/prompts.json")
	if err != nil {
		t.Fatal(err)
	}
	var mp modelPrompts
	if err := json.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	return mp
}

type prompt = struct {
	Text     string `json:"text"`
	InputIDs []int  `json:"input_ids"`
}

// checkPrompts asserts transformers' input_ids after the BOS (which the
// caller adds; the reference has it when its first id is BOS in every
// prompt), parsing control tokens where the reference did (chat-template
// prompts). It returns whether the reference starts with BOS.
func checkPrompts(t *testing.T, tok *Tokenizer, prompts []prompt) (refBOS bool) {
	t.Helper()
	if len(prompts) == 0 {
		t.Fatal("no prompts")
	}
	refBOS = true
	for _, p := range prompts {
		refBOS = refBOS && len(p.InputIDs) > 0 && p.InputIDs[0] == tok.BOS()
	}
	for _, p := range prompts {
		want := p.InputIDs
		if refBOS {
			want = want[1:]
		}
		var got []int
		if slices.ContainsFunc(want, tok.IsControl) {
			got = tok.EncodeSpecial(p.Text)
		} else {
			got = tok.Encode(p.Text)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ids of %q diff (-got +want):\n%s", p.Text, cmp.Diff(got, want))
		}
	}
	return refBOS
}

package tokenizer

import (
	"cmp"
	"os"
	"slices"
	"testing"
)

// spmAsTokenizerJSON converts testdata/spm-llama/tokenizer.model into the
// tokenizer.json Hugging Face's LlamaConverter writes: every piece in the
// vocabulary; merges from SentencePieceExtractor (every split of a piece
// into two pieces, ordered by the pieces' ids, then all sorted by the
// merged piece's score, highest first, stably); byte fallback; the
// normalizer (legacy) or a Metaspace pre-tokenizer for the space handling.
func spmAsTokenizerJSON(t testing.TB, metaspace bool) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/spm-llama/tokenizer.model")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseSPMModel(data)
	if err != nil {
		t.Fatal(err)
	}
	vocab := make(map[string]int, len(p.pieces))
	for id, pc := range p.pieces {
		vocab[pc.piece] = id
	}
	type merge struct {
		l, r  string
		score float32
	}
	var merges []merge
	for _, pc := range p.pieces {
		var local []merge
		rs := []rune(pc.piece)
		for i := 1; i < len(rs); i++ {
			l, r := string(rs[:i]), string(rs[i:])
			if _, ok := vocab[l]; !ok {
				continue
			}
			if _, ok := vocab[r]; ok {
				local = append(local, merge{l, r, pc.score})
			}
		}
		slices.SortStableFunc(local, func(a, b merge) int {
			return cmp.Or(cmp.Compare(vocab[a.l], vocab[b.l]), cmp.Compare(vocab[a.r], vocab[b.r]))
		})
		merges = append(merges, local...)
	}
	slices.SortStableFunc(merges, func(a, b merge) int { return cmp.Compare(b.score, a.score) })
	var lines []string
	for _, m := range merges {
		lines = append(lines, m.l+" "+m.r)
	}
	special := func(id int) map[string]any {
		return map[string]any{"id": id, "content": p.pieces[id].piece, "special": true}
	}
	f := map[string]any{
		"added_tokens": []any{special(0), special(1), special(2)},
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": lines,
			"unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true},
		"decoder": map[string]any{"type": "Sequence"},
	}
	if metaspace {
		f["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}
	} else {
		f["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		}}
	}
	return f
}

// TestSentencePieceStyleJSON checks that merges by rank (Hugging Face's
// BPE over a converted SentencePiece vocabulary) give the reference ids,
// from the tokenizer.json and from its Vocab (scores made from ranks).
func TestSentencePieceStyleJSON(t *testing.T) {
	cases := readReference(t)["spm-llama"].Cases
	for _, metaspace := range []bool{false, true} {
		name := map[bool]string{false: "legacy normalizer", true: "metaspace"}[metaspace]
		t.Run(name, func(t *testing.T) {
			tok, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", spmAsTokenizerJSON(t, metaspace)))
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Model(); got != ModelSPM {
				t.Fatalf("Model() = %q, want %q", got, ModelSPM)
			}
			checkCases(t, tok, cases)
			for _, c := range cases {
				checkRoundTrip(t, name, tok, c.Text)
			}
			viaVocab, err := New(tok.Vocab())
			if err != nil {
				t.Fatal(err)
			}
			checkCases(t, viaVocab, cases)
		})
	}
}

// TestMetaspacePrependFirst: with prepend_scheme "first" only text at the
// start of the input gets the "▁", not text after a control token; the
// legacy normalizer prepends to every fragment.
func TestMetaspacePrependFirst(t *testing.T) {
	legacy, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", spmAsTokenizerJSON(t, false)))
	if err != nil {
		t.Fatal(err)
	}
	first, err := Load(writeJSON(t, t.TempDir(), "tokenizer.json", spmAsTokenizerJSON(t, true)))
	if err != nil {
		t.Fatal(err)
	}
	a, okA := first.ID("a")
	spaceA, okSpaceA := first.ID("▁a")
	if !okA || !okSpaceA {
		t.Fatal("the vocabulary lacks a or ▁a")
	}
	text := "<s>a"
	if got, want := first.EncodeSpecial(text), []int{1, a}; !slices.Equal(got, want) {
		t.Errorf("metaspace first EncodeSpecial(%q) = %v, want %v (no ▁ after <s>)", text, got, want)
	}
	if got, want := legacy.EncodeSpecial(text), []int{1, spaceA}; !slices.Equal(got, want) {
		t.Errorf("legacy EncodeSpecial(%q) = %v, want %v", text, got, want)
	}
	if got, want := first.Encode("a"), []int{spaceA}; !slices.Equal(got, want) {
		t.Errorf("metaspace first Encode(a) = %v, want %v", got, want)
	}
}

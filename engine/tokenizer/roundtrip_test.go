package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// What round-trips:
//   - byte-level BPE: Decode(Encode(s)) == s for every byte string s, and
//     Decode(EncodeSpecial(s)) == s (control tokens decode to their text);
//   - SentencePiece: Decode(Encode(s)) == s for every s without U+2581
//     (which SentencePiece uses for the space and so decodes as one), since
//     the dummy prefix is removed again and byte fallback spells any byte.
//     With remove_extra_whitespaces (not the Llama setting) runs of spaces
//     would not round-trip.
//
// For both, the concatenation of a Decoder's Next and Flush equals Decode,
// and Next never splits a character of valid UTF-8 text.
func checkRoundTrip(t *testing.T, name string, tok *Tokenizer, s string) {
	t.Helper()
	if tok.Model() == ModelSPM && strings.Contains(s, spaceMark) {
		return
	}
	ids := tok.Encode(s)
	if got := tok.Decode(ids); got != s {
		t.Fatalf("%s: Decode(Encode(%q)) = %q (ids %v)", name, s, got, ids)
	}
	if tok.Model() == ModelBPE {
		if got := tok.Decode(tok.EncodeSpecial(s)); got != s {
			t.Fatalf("%s: Decode(EncodeSpecial(%q)) = %q", name, s, got)
		}
	}
	var b strings.Builder
	d := tok.NewDecoder()
	for _, id := range ids {
		piece := d.Next(id)
		if utf8.ValidString(s) && !utf8.ValidString(piece) {
			t.Fatalf("%s: Next returned a split character %q of %q", name, piece, s)
		}
		b.WriteString(piece)
	}
	b.WriteString(d.Flush())
	if b.String() != s {
		t.Fatalf("%s: streamed %q, want %q", name, b.String(), s)
	}
}

var roundTripSeeds = []string{
	"", "a", "Hello world", " Hello  world  ", "\n\n\n", "naïve café résumé", "你好，我的订单在哪里？",
	"emoji 😀👍🏽🎉 test", "ℌ𝔢𝔩𝔩𝔬 𝕨𝕠𝕣𝕝𝕕", "zero\u200bwidth", "<|im_start|>user\nhi<|im_end|>", "</s><s><unk>",
	"\xff\xfe invalid \xc3", "\xe4\xbd", "line1\r\nline2\r\n", "\t \t", "1234567890 12 345",
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"bpe-gpt2", "bpe-llama3", "gpt2", "spm-llama"} {
		tok := loadRef(t, name)
		for _, s := range roundTripSeeds {
			checkRoundTrip(t, name, tok, s)
		}
		for _, c := range readReference(t)[name].Cases {
			checkRoundTrip(t, name, tok, c.Text)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripSeeds {
		f.Add(s)
	}
	names := []string{"bpe-gpt2", "bpe-llama3", "spm-llama"}
	toks := make([]*Tokenizer, len(names))
	for i, name := range names {
		toks[i] = loadRef(f, name)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tok := range toks {
			checkRoundTrip(t, names[i], tok, s)
		}
	})
}

// TestDecoderHoldsSplitCharacters streams characters that the small
// vocabularies spell over several tokens, and checks Next emits each
// character whole, at the token that completes it.
func TestDecoderHoldsSplitCharacters(t *testing.T) {
	for _, name := range []string{"bpe-gpt2", "spm-llama"} {
		tok := loadRef(t, name)
		for _, s := range []string{"你好", "😀👍🏽", "é"} {
			ids := tok.Encode(s)
			if len(ids) <= utf8.RuneCountInString(s) {
				t.Fatalf("%s: Encode(%q) = %v: the test needs characters split across tokens", name, s, ids)
			}
			d := tok.NewDecoder()
			var pieces []string
			for _, id := range ids {
				if p := d.Next(id); p != "" {
					pieces = append(pieces, p)
				}
			}
			if rest := d.Flush(); rest != "" {
				t.Errorf("%s: Flush() = %q after complete text", name, rest)
			}
			if got := strings.Join(pieces, ""); got != strings.TrimPrefix(s, " ") {
				t.Errorf("%s: streamed %q, want %q", name, got, s)
			}
			for _, p := range pieces {
				if !utf8.ValidString(p) {
					t.Errorf("%s: Next returned a split character %q", name, p)
				}
			}
		}
	}
}

func TestDecoderFlushesIncomplete(t *testing.T) {
	tok := loadRef(t, "spm-llama")
	lead, ok := tok.ID("<0xE4>") // the first byte of a three-byte character
	if !ok {
		t.Fatal("no <0xE4>")
	}
	d := tok.NewDecoder()
	if got := d.Next(lead); got != "" {
		t.Errorf("Next(<0xE4>) = %q, want it held back", got)
	}
	if got := d.Flush(); got != "\xe4" {
		t.Errorf("Flush() = %q, want %q", got, "\xe4")
	}
	if got := d.Flush(); got != "" {
		t.Errorf("second Flush() = %q, want empty", got)
	}
}

func TestCompleteUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"a\xe4", 1},
		{"a\xe4\xbd", 1},
		{"a\xe4\xbd\xa0", 4},
		{"\xf0\x9f\x98", 0},
		{"\x80\x80", 2},     // continuation bytes with no lead never complete
		{"a\xe4b", 3},       // a broken sequence is passed on
		{"\xff", 1},         // never valid
		{"ab\xf0\x9f", 2},   // four-byte lead, two of four
		{"é\xc3", len("é")}, // two-byte lead alone
	}
	for _, tc := range tests {
		if got := completeUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

package tokenizer

import (
	"strings"
	"testing"
)

// longInputs are 100 KB texts: prose built from the reference cases, one
// 100 KB word (the worst case for BPE's merge loop), and 100 KB of spaces
// (the worst case for the whitespace rules).
func longInputs(t testing.TB) map[string]string {
	var b strings.Builder
	for b.Len() < 100<<10 {
		for _, c := range readReference(t)["gpt2"].Cases {
			b.WriteString(c.Text)
			b.WriteByte(' ')
		}
	}
	return map[string]string{
		"prose":  b.String(),
		"word":   strings.Repeat("abcdefghij", 10<<10),
		"spaces": strings.Repeat(" ", 100<<10) + "x",
	}
}

// TestLongInputs checks long inputs encode to ids that decode back; how
// fast is BenchmarkEncode's business.
func TestLongInputs(t *testing.T) {
	inputs := longInputs(t)
	for _, name := range []string{"gpt2", "spm-llama", "bpe-llama3"} {
		tok := loadRef(t, name)
		for kind, s := range inputs {
			ids := tok.Encode(s)
			if got := tok.Decode(ids); got != s {
				t.Errorf("%s %s: Decode(Encode(s)) differs from s (%d ids)", name, kind, len(ids))
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	inputs := longInputs(b)
	for _, name := range []string{"gpt2", "spm-llama", "bpe-llama3"} {
		tok := loadRef(b, name)
		for _, kind := range []string{"prose", "word", "spaces"} {
			s := inputs[kind]
			b.Run(name+"/"+kind, func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for b.Loop() {
					tok.Encode(s)
				}
			})
		}
	}
}

func BenchmarkDecoder(b *testing.B) {
	tok := loadRef(b, "gpt2")
	ids := tok.Encode(longInputs(b)["prose"])
	b.ResetTimer()
	for b.Loop() {
		d := tok.NewDecoder()
		for _, id := range ids {
			d.Next(id)
		}
		d.Flush()
	}
}

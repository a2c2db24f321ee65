package train

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tensor"
)

// TestGGUFRoundTrip saves a trained model, loads it back for training and
// saves it again: the weights must be those stored (exact in F32, the
// F16-rounded values in F16, norms always exact), the vocabulary the
// same, the second file byte-identical to the first, and the runtime's
// logits from both files identical.
func TestGGUFRoundTrip(t *testing.T) {
	tr, ds, v := trainedSmall(t, 3)
	for _, typ := range []tensor.Type{tensor.F32, tensor.F16} {
		t.Run(typ.String(), func(t *testing.T) {
			dir := t.TempDir()
			first, second := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
			o := GGUFOptions{Type: typ, ChatTemplate: "{{ messages }}"}
			if err := tr.Model.SaveGGUF(first, v, o); err != nil {
				t.Fatal(err)
			}
			m, v2, err := LoadGGUF(first)
			if err != nil {
				t.Fatal(err)
			}
			if m.Config != tr.Model.Config {
				t.Errorf("config %+v, want %+v", m.Config, tr.Model.Config)
			}
			if !slices.Equal(v2.Tokens, v.Tokens) || !slices.Equal(v2.Merges, v.Merges) || v2.EOS != v.EOS || v2.BOS != v.BOS {
				t.Error("vocabulary changed in the round trip")
			}
			want := stored(tr.Model, typ)
			for i := range want {
				if m.Params[i] != want[i] {
					t.Fatalf("param %d = %v, want %v (stored as %v)", i, m.Params[i], want[i], typ)
				}
			}
			if err := m.SaveGGUF(second, v2, o); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(first)
			b, _ := os.ReadFile(second)
			if !bytes.Equal(a, b) {
				t.Errorf("saving the loaded model gives another file (%d vs %d bytes)", len(a), len(b))
			}
			ex, _ := ds.Example(3)
			la, lb := engineLogits(t, first, ex.Tokens), engineLogits(t, second, ex.Tokens)
			if !slices.Equal(la, lb) {
				t.Error("runtime logits differ between the saved and the re-saved model")
			}
		})
	}
}

// stored returns m's parameters as a GGUF of matrix type typ holds them.
func stored(m *Model, typ tensor.Type) []float32 {
	out := slices.Clone(m.Params)
	if typ != tensor.F16 {
		return out
	}
	c := &Model{Config: m.Config, lay: m.lay, Params: out}
	for _, nt := range c.tensors() {
		if nt.norm {
			continue
		}
		for i, x := range nt.data {
			nt.data[i] = tensor.Float16ToFloat32(tensor.Float32ToFloat16(x))
		}
	}
	return out
}

// engineLogits runs the runtime over ids and returns every position's
// logits, concatenated.
func engineLogits(t *testing.T, path string, ids []int) []float32 {
	t.Helper()
	em, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	st := em.NewState(0)
	var all []float32
	for _, id := range ids {
		l, err := st.Forward([]int{id})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l...)
	}
	return all
}

// TestFromGGUFRejects feeds FromGGUF files it cannot train: each must be
// an error, not a model with parts silently dropped.
func TestFromGGUFRejects(t *testing.T) {
	tr, _, v := trainedSmall(t, 0)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.gguf")
	if err := tr.Model.SaveGGUF(good, v, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	setMeta := func(key string, val any) func([]gguf.KV, []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		return func(kv []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
			for i := range kv {
				if kv[i].Key == key {
					kv[i].Value = val
				}
			}
			return kv, ts
		}
	}
	extra := func(name string) func([]gguf.KV, []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		return func(kv []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
			d := ts[0]
			d.Name = name
			return kv, append(ts, d)
		}
	}
	for _, tc := range []struct {
		name, want string
		edit       func([]gguf.KV, []tensor.Tensor) ([]gguf.KV, []tensor.Tensor)
	}{
		{"architecture", "architecture", setMeta("general.architecture", "gpt2")},
		{"untied output", "untied", extra("output.weight")},
		{"bias", "extra tensors", extra("blk.0.attn_q.bias")},
		{"ff", "shape", setMeta("llama.feed_forward_length", uint32(64))},
		{"partial rope", "rope", setMeta("llama.rope.dimension_count", uint32(4))},
		{"vocabulary", "vocabulary", setMeta("tokenizer.ggml.tokens", v.Tokens[:200])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv, ts := tc.edit(f.Metadata(), f.Tensors())
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".gguf")
			if err := gguf.WriteFile(path, kv, ts); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadGGUF(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadGGUF: err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

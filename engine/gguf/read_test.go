package gguf

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/engine/tensor"
)

func TestOpenFixtures(t *testing.T) {
	tests := []struct {
		path       string
		tensors    int
		fileType   uint64
		embd       uint64
		wantTensor string
		wantType   tensor.Type
		wantShape  []int
	}{
		{"testdata/llama/model-f16.gguf", 21, 1, 64, "blk.0.ffn_down.weight", tensor.F16, []int{64, 160}},
		{"testdata/llama/model-q8_0.gguf", 21, 7, 64, "blk.0.ffn_gate.weight", tensor.Q8_0, []int{160, 64}},
		{"testdata/kquant/model-q4_0.gguf", 21, 2, 256, "blk.0.attn_k.weight", tensor.Q4_0, []int{128, 256}},
		{"testdata/kquant/model-q4_k_m.gguf", 21, 15, 256, "token_embd.weight", tensor.Q4_K, []int{384, 256}},
		{"testdata/kquant/model-q5_k_m.gguf", 21, 17, 256, "blk.0.ffn_up.weight", tensor.Q5_K, []int{512, 256}},
		{"testdata/kquant/model-q6_k.gguf", 21, 18, 256, "output.weight", tensor.Q6_K, []int{384, 256}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f, err := Open(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			raw, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := f.Version, uint32(3); got != want {
				t.Errorf("Version = %d, want %d", got, want)
			}
			if got, want := f.Arch(), "llama"; got != want {
				t.Errorf("Arch() = %q, want %q", got, want)
			}
			if got, ok := f.Uint("general.file_type"); !ok || got != tt.fileType {
				t.Errorf("Uint(general.file_type) = %d, %v, want %d", got, ok, tt.fileType)
			}
			if got, ok := f.Uint("llama.embedding_length"); !ok || got != tt.embd {
				t.Errorf("Uint(llama.embedding_length) = %d, %v, want %d", got, ok, tt.embd)
			}
			if got, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); !ok || float32(got) != 1e-5 {
				t.Errorf("Float(rms eps) = %v, %v, want 1e-5", got, ok)
			}
			if got, want := f.Alignment, DefaultAlignment; got != want {
				t.Errorf("Alignment = %d, want %d", got, want)
			}
			toks, ok := f.Strings("tokenizer.ggml.tokens")
			if !ok || len(toks) != 384 || toks[0] != "<|endoftext|>" {
				t.Errorf("Strings(tokens) = %d tokens, %v; want 384 starting <|endoftext|>", len(toks), ok)
			}
			types, ok := f.Int32s("tokenizer.ggml.token_type")
			if !ok || len(types) != len(toks) {
				t.Errorf("Int32s(token_type) = %d values, %v; want %d", len(types), ok, len(toks))
			}
			if got := len(f.Tensors()); got != tt.tensors {
				t.Errorf("len(Tensors()) = %d, want %d", got, tt.tensors)
			}
			w, ok := f.Tensor(tt.wantTensor)
			if !ok {
				t.Fatalf("Tensor(%q) missing", tt.wantTensor)
			}
			if w.Type != tt.wantType {
				t.Errorf("%s type = %v, want %v", w.Name, w.Type, tt.wantType)
			}
			if diff := cmp.Diff(tt.wantShape, w.Shape); diff != "" {
				t.Errorf("%s shape (-want +got):\n%s", w.Name, diff)
			}
			for _, x := range f.Tensors() {
				n, err := x.Type.RowBytes(x.Cols())
				if err != nil {
					t.Fatal(err)
				}
				if got, want := len(x.Data), n*x.Rows(); got != want {
					t.Errorf("%s: %d data bytes, want %d", x.Name, got, want)
				}
				// The file holds the same bytes at the tensor's offset.
				off, ok := f.TensorOffset(x.Name)
				if !ok || off < f.DataOffset || off+int64(len(x.Data)) > f.Size {
					t.Fatalf("TensorOffset(%s) = %d, %v; data section %d-%d", x.Name, off, ok, f.DataOffset, f.Size)
				}
				if got := raw[off : off+int64(len(x.Data))]; string(got) != string(x.Data) {
					t.Errorf("%s: file bytes at offset %d differ from its data", x.Name, off)
				}
			}
			if _, ok := f.TensorOffset("no such tensor"); ok {
				t.Error("TensorOffset of a missing tensor reported ok")
			}
		})
	}
}

// TestParseAliasesInput checks that tensor data are slices of the input,
// not copies: this is what makes Open of a large model cheap.
func TestParseAliasesInput(t *testing.T) {
	data, err := os.ReadFile("testdata/kquant/model-q4_k_m.gguf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(&data[0]))
	hi := lo + uintptr(len(data))
	for _, x := range f.Tensors() {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(x.Data)))
		if p < lo || p+uintptr(len(x.Data)) > hi {
			t.Errorf("%s data is not a slice of the input", x.Name)
		}
		if off := int64(p-lo) - f.DataOffset; off%int64(f.Alignment) != 0 {
			t.Errorf("%s at data offset %d, not aligned to %d", x.Name, off, f.Alignment)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	f, err := Open("testdata/llama/model-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := f.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close() = %v, want ErrClosed", err)
	}
	if _, ok := f.Tensor("output.weight"); ok {
		t.Error("Tensor after Close found a tensor")
	}
}

// TestReleaseMetadata checks that a file without its metadata finds no
// key but keeps its tensors.
func TestReleaseMetadata(t *testing.T) {
	f, err := Open("testdata/llama/model-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, _ := f.Tensor("blk.0.ffn_gate.weight")
	sum := 0
	for _, b := range want.Data {
		sum += int(b)
	}
	f.ReleaseMetadata()
	if v, ok := f.Value(KeyArchitecture); ok || len(f.Keys()) != 0 || f.Arch() != "" {
		t.Errorf("after ReleaseMetadata: Value = %v, %v; %d keys", v, ok, len(f.Keys()))
	}
	got, ok := f.Tensor("blk.0.ffn_gate.weight")
	if !ok || len(got.Data) != len(want.Data) {
		t.Fatalf("after ReleaseMetadata: Tensor = %d bytes, %v; want %d", len(got.Data), ok, len(want.Data))
	}
	for _, b := range got.Data {
		sum -= int(b)
	}
	if sum != 0 {
		t.Error("tensor data changed")
	}
}

// TestOpenShortFiles: a file too short for a header is "not a GGUF file"
// unless it begins like one, and then it is truncated.
func TestOpenShortFiles(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct {
		data string
		want error
	}{
		"text.gguf":  {"# Switchboard notes", ErrBadMagic},
		"cut.gguf":   {"GGUF\x03\x00\x00\x00", ErrTruncated},
		"two.gguf":   {"GG", ErrTruncated},
		"empty.gguf": {"", ErrTruncated},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); !errors.Is(err, tt.want) {
			t.Errorf("Open(%s) = %v, want %v", name, err, tt.want)
		}
	}
}

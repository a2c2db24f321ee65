package gguf

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/engine/tensor"
)

// TestDequantizeMatchesGGUFPy checks tensor.Dequantize on the quantized
// fixtures against the rows gguf-py (llama.cpp's Python package)
// dequantized: testdata/kquant/dequantized.json, from
// shared/testdata/engine/models/kquant/reference.json.
func TestDequantizeMatchesGGUFPy(t *testing.T) {
	raw, err := os.ReadFile("testdata/kquant/dequantized.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Dequantized map[string]map[string]struct {
			Type      string      `json:"type"`
			Shape     []int       `json:"shape_rows_cols"`
			FirstRows [][]float64 `json:"first_rows"`
		} `json:"dequantized"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Dequantized) == 0 {
		t.Fatal("no reference entries")
	}
	seen := map[tensor.Type]bool{}
	for file, tensors := range ref.Dequantized {
		f, err := Open(filepath.Join("testdata/kquant", file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for name, want := range tensors {
			tt, ok := f.Tensor(name)
			if !ok {
				t.Fatalf("%s: no tensor %q", file, name)
			}
			if got := tt.Type.String(); got != want.Type {
				t.Errorf("%s %s: type %s, want %s", file, name, got, want.Type)
			}
			if got := []int{tt.Rows(), tt.Cols()}; got[0] != want.Shape[0] || got[1] != want.Shape[1] {
				t.Errorf("%s %s: rows, cols = %v, want %v", file, name, got, want.Shape)
			}
			seen[tt.Type] = true
			row := make([]float32, tt.Cols())
			for i, wantRow := range want.FirstRows {
				if err := tensor.Dequantize(tt.Type, row, tt.Row(i)); err != nil {
					t.Fatal(err)
				}
				bad := 0
				for j, w := range wantRow {
					if row[j] != float32(w) {
						if bad < 3 {
							t.Errorf("%s %s row %d [%d] = %v, want %v", file, name, i, j, row[j], float32(w))
						}
						bad++
					}
				}
				if bad > 0 {
					t.Errorf("%s %s row %d: %d of %d values differ", file, name, i, bad, len(wantRow))
				}
				// DotRow with a one-hot x must pick the same values.
				for _, j := range []int{0, len(row) / 3, len(row) - 1} {
					x := make([]float32, len(row))
					x[j] = 1
					if got := tensor.DotRow(tt.Type, tt.Row(i), x); got != row[j] && !(math.IsNaN(float64(got)) && math.IsNaN(float64(row[j]))) {
						t.Errorf("%s %s row %d: DotRow(one-hot %d) = %v, want %v", file, name, i, j, got, row[j])
					}
				}
			}
		}
	}
	for _, typ := range []tensor.Type{tensor.Q4_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		if !seen[typ] {
			t.Errorf("reference covers no %v tensor", typ)
		}
	}
}

// TestQuantizeMatchesLlamaCpp quantizes the float32 source of a few
// tensors (source-f32.gguf: copied from the f32 models llama.cpp's tools
// read) and compares the bytes with what those tools wrote: gguf-py
// (convert_hf_to_gguf.py --outtype f16/q8_0) for the llama files and
// llama-quantize for the kquant files. tensor.Quantize must reproduce them
// exactly.
func TestQuantizeMatchesLlamaCpp(t *testing.T) {
	tests := []struct {
		source string
		files  []string
	}{
		{"testdata/llama/source-f32.gguf", []string{"model-f16.gguf", "model-q8_0.gguf"}},
		{"testdata/kquant/source-f32.gguf", []string{"model-q4_0.gguf", "model-q4_k_m.gguf", "model-q5_k_m.gguf", "model-q6_k.gguf"}},
	}
	seen := map[tensor.Type]bool{}
	for _, tt := range tests {
		src, err := Open(tt.source)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		for _, file := range tt.files {
			ref, err := Open(filepath.Join(filepath.Dir(tt.source), file))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			for _, s := range src.Tensors() {
				want, ok := ref.Tensor(s.Name)
				if !ok {
					t.Fatalf("%s: no tensor %q", file, s.Name)
				}
				x, err := s.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(want.Data))
				if err := tensor.Quantize(want.Type, got, x); err != nil {
					t.Fatalf("Quantize(%v): %v", want.Type, err)
				}
				seen[want.Type] = true
				bb := want.Type.BlockBytes()
				bad := 0
				for b := 0; b < len(got)/bb; b++ {
					if !bytes.Equal(got[b*bb:(b+1)*bb], want.Data[b*bb:(b+1)*bb]) {
						bad++
					}
				}
				if bad > 0 {
					t.Errorf("%s %s: Quantize(%v) differs from llama.cpp's in %d of %d blocks", file, s.Name, want.Type, bad, len(got)/bb)
				}
			}
		}
	}
	for _, typ := range []tensor.Type{tensor.F16, tensor.Q8_0, tensor.Q4_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		if !seen[typ] {
			t.Errorf("no fixture tensor of type %v", typ)
		}
	}
}

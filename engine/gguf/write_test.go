package gguf

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/engine/tensor"
)

// everyType has a metadata value of every GGUF type, arrays of every
// element type, empty arrays and nested arrays.
var everyType = []KV{
	{"general.architecture", "llama"},
	{"u8", uint8(200)},
	{"i8", int8(-100)},
	{"u16", uint16(60000)},
	{"i16", int16(-30000)},
	{"u32", uint32(4000000000)},
	{"i32", int32(-2000000000)},
	{"f32", float32(1e-5)},
	{"bool.true", true},
	{"bool.false", false},
	{"string.empty", ""},
	{"string.utf8", "héllo, 世界 <|im_start|>"},
	{"u64", uint64(math.MaxUint64)},
	{"i64", int64(math.MinInt64)},
	{"f64", math.Pi},
	{"a.u8", []uint8{0, 1, 255}},
	{"a.i8", []int8{-128, 0, 127}},
	{"a.u16", []uint16{1, 65535}},
	{"a.i16", []int16{-32768, 32767}},
	{"a.u32", []uint32{7, 8, 9}},
	{"a.i32", []int32{-1, 1 << 30}},
	{"a.f32", []float32{0.5, float32(math.Inf(-1))}},
	{"a.bool", []bool{true, false, true}},
	{"a.string", []string{"a", "", "ĠHello", "\x00\xff"}},
	{"a.u64", []uint64{1 << 63}},
	{"a.i64", []int64{-1 << 62}},
	{"a.f64", []float64{-0.25}},
	{"a.empty", []string{}},
	{"a.nested", []any{[]int32{1, 2}, []string{"x"}, []any{[]uint8{3}}, []float32{}}},
	{"a.nested.empty", []any{}},
}

func testTensors(r *rand.Rand) []tensor.Tensor {
	var out []tensor.Tensor
	for _, tc := range []struct {
		name  string
		typ   tensor.Type
		shape []int
	}{
		{"token_embd.weight", tensor.F32, []int{3, 5}},
		{"blk.0.attn_q.weight", tensor.F16, []int{4, 7}},
		{"blk.0.attn_k.weight", tensor.BF16, []int{2, 3}},
		{"blk.0.ffn_up.weight", tensor.Q8_0, []int{3, 64}},
		{"blk.0.ffn_down.weight", tensor.Q4_0, []int{2, 32}},
		{"blk.0.ffn_gate.weight", tensor.Q4_K, []int{2, 256}},
		{"output.weight", tensor.Q6_K, []int{1, 1, 2, 256}},
		{"output_norm.weight", tensor.F32, []int{1}},
	} {
		t := tensor.Tensor{Name: tc.name, Type: tc.typ, Shape: tc.shape}
		rb, err := tc.typ.RowBytes(t.Cols())
		if err != nil {
			panic(err)
		}
		t.Data = make([]byte, rb*t.Rows())
		for i := range t.Data {
			t.Data[i] = byte(r.Uint32())
		}
		out = append(out, t)
	}
	return out
}

func TestWriteRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, align := range []uint32{0, 32, 64, 1} {
		meta := everyType
		if align != 0 {
			meta = append([]KV{{KeyAlignment, align}}, meta...)
		}
		tensors := testTensors(r)
		var buf bytes.Buffer
		if err := Write(&buf, meta, tensors); err != nil {
			t.Fatal(err)
		}
		f, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("align %d: Parse(Write(...)) = %v", align, err)
		}
		if diff := cmp.Diff(meta, f.Metadata()); diff != "" {
			t.Errorf("align %d: metadata (-want +got):\n%s", align, diff)
		}
		if diff := cmp.Diff(tensors, f.Tensors()); diff != "" {
			t.Errorf("align %d: tensors (-want +got):\n%s", align, diff)
		}
		want := int(align)
		if want == 0 {
			want = DefaultAlignment
		}
		if f.Alignment != want || f.DataOffset%int64(want) != 0 {
			t.Errorf("align %d: Alignment = %d, DataOffset = %d", align, f.Alignment, f.DataOffset)
		}
		if f.Size%int64(want) != 0 {
			t.Errorf("align %d: file size %d not padded to the alignment", align, f.Size)
		}
		// Writing what was read gives the same bytes.
		var again bytes.Buffer
		if err := Write(&again, f.Metadata(), f.Tensors()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), buf.Bytes()) {
			t.Errorf("align %d: Write(Parse(Write(x))) != Write(x)", align)
		}
	}
}

// TestRewriteFixtures re-encodes the llama.cpp-written fixtures: Write must
// reproduce convert_hf_to_gguf.py's and llama-quantize's files byte for
// byte, which shows the layout (ne order, offsets, padding) is llama.cpp's.
func TestRewriteFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*/*.gguf")
	if len(paths) == 0 {
		t.Fatal("no fixtures")
	}
	for _, p := range paths {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(want)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Write(&got, f.Metadata(), f.Tensors()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: rewritten file differs (%d bytes, want %d)", p, got.Len(), len(want))
		}
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	tensors := testTensors(rand.New(rand.NewPCG(2, 2)))
	if err := WriteFile(path, everyType, tensors); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, ok := f.Strings("a.string"); !ok || len(got) != 4 || got[2] != "ĠHello" {
		t.Errorf("Strings(a.string) = %q, %v", got, ok)
	}
	if diff := cmp.Diff(tensors, f.Tensors()); diff != "" {
		t.Errorf("tensors (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}
}

func TestWriteRejects(t *testing.T) {
	good := tensor.Tensor{Name: "w", Type: tensor.F32, Shape: []int{2}, Data: make([]byte, 8)}
	tests := []struct {
		name    string
		meta    []KV
		tensors []tensor.Tensor
	}{
		{"go int", []KV{{"n", 3}}, nil},
		{"nil value", []KV{{"n", nil}}, nil},
		{"duplicate key", []KV{{"k", "a"}, {"k", "b"}}, nil},
		{"alignment not uint32", []KV{{KeyAlignment, uint64(32)}}, nil},
		{"alignment not power of two", []KV{{KeyAlignment, uint32(24)}}, nil},
		{"scalar in nested array", []KV{{"a", []any{uint8(1)}}}, nil},
		{"duplicate tensor", nil, []tensor.Tensor{good, good}},
		{"long name", nil, []tensor.Tensor{{Name: string(make([]byte, 64)), Type: tensor.F32, Shape: []int{1}, Data: make([]byte, 4)}}},
		{"five dims", nil, []tensor.Tensor{{Name: "w", Type: tensor.F32, Shape: []int{1, 1, 1, 1, 1}, Data: make([]byte, 4)}}},
		{"short data", nil, []tensor.Tensor{{Name: "w", Type: tensor.F32, Shape: []int{3}, Data: make([]byte, 8)}}},
		{"partial block", nil, []tensor.Tensor{{Name: "w", Type: tensor.Q8_0, Shape: []int{16}, Data: make([]byte, 17)}}},
		{"unknown type", nil, []tensor.Tensor{{Name: "w", Type: 99, Shape: []int{1}, Data: make([]byte, 1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.meta, tt.tensors)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Write = %v, want ErrInvalid", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

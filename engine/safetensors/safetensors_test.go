package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/engine/tensor"
)

// build returns a safetensors file with the given header entries and body.
func build(t testing.TB, header map[string]any, body []byte) []byte {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(out, h...)
	return append(out, body...)
}

func f32bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func validFile(t testing.TB) []byte {
	body := append(f32bytes(1, 2, 3, 4, 5, 6), 0x00, 0x3c, 0x00, 0x40) // F16 1.0, 2.0
	return build(t, map[string]any{
		"__metadata__": map[string]string{"format": "pt"},
		"w":            map[string]any{"dtype": "F32", "shape": []int{2, 3}, "data_offsets": []int{0, 24}},
		"h":            map[string]any{"dtype": "F16", "shape": []int{2}, "data_offsets": []int{24, 28}},
	}, body)
}

func TestParse(t *testing.T) {
	f, err := Parse(validFile(t))
	if err != nil {
		t.Fatalf("Parse(valid) = %v", err)
	}
	w, ok := f.Tensor("w")
	if !ok {
		t.Fatal("Tensor(w) missing")
	}
	if w.Type != tensor.F32 || len(w.Shape) != 2 || w.Shape[0] != 2 || w.Shape[1] != 3 {
		t.Errorf("w = type %v shape %v, want F32 [2 3]", w.Type, w.Shape)
	}
	if got := math.Float32frombits(binary.LittleEndian.Uint32(w.Data[20:])); got != 6 {
		t.Errorf("w[1][2] = %v, want 6", got)
	}
	h, _ := f.Tensor("h")
	if h.Type != tensor.F16 || len(h.Data) != 4 {
		t.Errorf("h = type %v, %d bytes; want F16, 4 bytes", h.Type, len(h.Data))
	}
	if got, want := f.Metadata["format"], "pt"; got != want {
		t.Errorf("Metadata[format] = %q, want %q", got, want)
	}
	if got := f.Names(); len(got) != 2 || got[0] != "h" || got[1] != "w" {
		t.Errorf("Names() = %v, want [h w]", got)
	}
}

func TestParseHostile(t *testing.T) {
	entry := func(dtype string, shape []int, off []int) map[string]any {
		return map[string]any{"dtype": dtype, "shape": shape, "data_offsets": off}
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"short length", []byte{1, 2, 3}, ErrCorrupt},
		{"header length over limit", append(huge, '{', '}'), ErrCorrupt},
		{"header past end", append(binary.LittleEndian.AppendUint64(nil, 100), '{', '}'), ErrCorrupt},
		{"not json", append(binary.LittleEndian.AppendUint64(nil, 3), "{x}"...), ErrCorrupt},
		{"offsets past end", build(t, map[string]any{"a": entry("F32", []int{4}, []int{0, 16})}, f32bytes(1)), ErrCorrupt},
		{"offsets reversed", build(t, map[string]any{"a": entry("F32", []int{0}, []int{4, 0})}, f32bytes(1)), ErrCorrupt},
		{"negative offset", build(t, map[string]any{"a": entry("F32", []int{1}, []int{-4, 0})}, f32bytes(1)), ErrCorrupt},
		{"shape does not match bytes", build(t, map[string]any{"a": entry("F32", []int{2}, []int{0, 4})}, f32bytes(1, 2)), ErrCorrupt},
		{"negative dim", build(t, map[string]any{"a": entry("F32", []int{-1, -4}, []int{0, 16})}, f32bytes(1, 2, 3, 4)), ErrCorrupt},
		{"overflowing shape", build(t, map[string]any{"a": entry("F32", []int{1 << 40, 1 << 40, 1 << 40}, []int{0, 4})}, f32bytes(1)), ErrCorrupt},
		{"too many dims", build(t, map[string]any{"a": entry("F32", []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, []int{0, 4})}, f32bytes(1)), ErrCorrupt},
		{"one offset", build(t, map[string]any{"a": entry("F32", []int{1}, []int{0})}, f32bytes(1)), ErrCorrupt},
		{"overlap", build(t, map[string]any{"a": entry("F32", []int{2}, []int{0, 8}), "b": entry("F32", []int{1}, []int{4, 8})}, f32bytes(1, 2)), ErrCorrupt},
		{"unsupported dtype", build(t, map[string]any{"a": entry("I64", []int{1}, []int{0, 8})}, f32bytes(1, 2)), ErrUnsupported},
		{"bad metadata", build(t, map[string]any{"__metadata__": 5}, nil), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse() error = %v, want %v", err, tt.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Msg == "" {
				t.Errorf("Parse() error %v is not a *FormatError with a message", err)
			}
		})
	}
}

func TestOpenDir(t *testing.T) {
	dir := t.TempDir()
	a := build(t, map[string]any{"x": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{0, 4}}}, f32bytes(7))
	b := build(t, map[string]any{"y": map[string]any{"dtype": "BF16", "shape": []int{1}, "data_offsets": []int{0, 2}}}, []byte{0x80, 0x3f})
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("model-00001-of-00002.safetensors", a)
	write("model-00002-of-00002.safetensors", b)
	write("stray.safetensors", a) // not in the index: must be ignored
	idx, _ := json.Marshal(map[string]any{"weight_map": map[string]string{
		"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors",
	}})
	write(IndexName, idx)

	s, err := OpenDir(dir)
	if err != nil {
		t.Fatalf("OpenDir() = %v", err)
	}
	defer s.Close()
	if got := s.Names(); len(got) != 2 {
		t.Fatalf("Names() = %v, want [x y]", got)
	}
	y, ok := s.Tensor("y")
	if !ok || y.Type != tensor.BF16 {
		t.Errorf("Tensor(y) = %v %v, want BF16", y.Type, ok)
	}

	// Without the index every file is read, and the duplicate name is an error.
	os.Remove(filepath.Join(dir, IndexName))
	if _, err := OpenDir(dir); !errors.Is(err, ErrCorrupt) {
		t.Errorf("OpenDir(duplicate tensor) = %v, want ErrCorrupt", err)
	}

	// A shard path that leaves the folder is refused.
	idx, _ = json.Marshal(map[string]any{"weight_map": map[string]string{"x": "../evil.safetensors"}})
	write(IndexName, idx)
	if _, err := OpenDir(dir); !errors.Is(err, ErrCorrupt) {
		t.Errorf("OpenDir(escaping shard) = %v, want ErrCorrupt", err)
	}
	if _, err := OpenDir(t.TempDir()); err == nil {
		t.Error("OpenDir(empty folder) = nil error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(validFile(f))
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, n := range file.Names() {
			tt, _ := file.Tensor(n)
			count := 1
			for _, d := range tt.Shape {
				count *= d
			}
			size := 4
			if tt.Type != tensor.F32 {
				size = 2
			}
			if count*size != len(tt.Data) {
				t.Fatalf("tensor %s: shape %v but %d bytes", n, tt.Shape, len(tt.Data))
			}
		}
	})
}

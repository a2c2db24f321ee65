package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/switchboard/switchboard/engine/tensor"
)

// builder assembles raw GGUF bytes, valid or not.
type builder struct{ bytes.Buffer }

func (b *builder) u32(v uint32) *builder {
	b.Write(binary.LittleEndian.AppendUint32(nil, v))
	return b
}

func (b *builder) u64(v uint64) *builder {
	b.Write(binary.LittleEndian.AppendUint64(nil, v))
	return b
}

func (b *builder) str(s string) *builder {
	b.u64(uint64(len(s)))
	b.WriteString(s)
	return b
}

// header starts a version 3 file with the given counts.
func header(tensors, kvs uint64) *builder {
	b := &builder{}
	b.WriteString(Magic)
	return b.u32(3).u64(tensors).u64(kvs)
}

// tensorInfo appends a tensor info with ne given innermost first.
func (b *builder) tensorInfo(name string, typ tensor.Type, offset uint64, ne ...uint64) *builder {
	b.str(name).u32(uint32(len(ne)))
	for _, n := range ne {
		b.u64(n)
	}
	return b.u32(uint32(typ)).u64(offset)
}

// padTo pads to a multiple of align and appends n data bytes.
func (b *builder) data(align, n int) *builder {
	for b.Len()%align != 0 {
		b.WriteByte(0)
	}
	b.Write(make([]byte, n))
	return b
}

func nested(depth int) *builder {
	b := header(0, 1).str("deep").u32(uint32(TypeArray))
	for range depth {
		b.u32(uint32(TypeArray)).u64(1)
	}
	return b.u32(uint32(TypeUint8)).u64(0)
}

func TestParseHostile(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		want  error
		field string // substring of FormatError.Field
	}{
		{"empty", nil, ErrTruncated, "magic"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), ErrBadMagic, "magic"},
		{"version 1", append([]byte(Magic), 1, 0, 0, 0), ErrVersion, "version"},
		{"version 4", append([]byte(Magic), 4, 0, 0, 0), ErrVersion, "version"},
		{"big-endian version", append([]byte(Magic), 0, 0, 0, 3), ErrVersion, "version"},
		{"tensor count over limit", header(1<<40, 0).Bytes(), ErrLimit, "tensor count"},
		{"tensor count over file size", header(1000, 0).Bytes(), ErrTruncated, "tensor count"},
		{"metadata count over limit", header(0, MaxMetadata+1).Bytes(), ErrLimit, "metadata count"},
		{"metadata count over file size", header(0, 5).str("k").u32(uint32(TypeUint8)).Bytes(), ErrTruncated, "metadata count"},
		{"key length over limit", header(0, 1).u64(1 << 60).zeros(16).Bytes(), ErrLimit, "metadata key length"},
		{"key length over file size", header(0, 1).u64(1000).u32(0).WriteByte0().Bytes(), ErrTruncated, "metadata key"},
		{"duplicate key", header(0, 2).str("k").u32(uint32(TypeUint8)).byte(1).str("k").u32(uint32(TypeUint8)).byte(2).Bytes(), ErrDuplicate, "metadata key"},
		{"unknown value type", header(0, 1).str("k").u32(13).u64(0).Bytes(), ErrBadValue, `"k" type`},
		{"bool 2", header(0, 1).str("k").u32(uint32(TypeBool)).byte(2).Bytes(), ErrBadValue, `"k"`},
		{"bool array 2", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeBool)).u64(2).byte(1).byte(2).Bytes(), ErrBadValue, `"k"`},
		{"string value over file size", header(0, 1).str("k").u32(uint32(TypeString)).u64(100).Bytes(), ErrTruncated, `"k"`},
		{"array over limit", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint8)).u64(MaxArrayLength + 1).Bytes(), ErrLimit, `"k" length`},
		{"array over file size", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint32)).u64(1 << 20).u64(0).Bytes(), ErrTruncated, `"k" length`},
		{"string array over file size", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(1 << 20).u64(0).Bytes(), ErrTruncated, `"k" length`},
		{"array of unknown type", header(0, 1).str("k").u32(uint32(TypeArray)).u32(99).u64(0).Bytes(), ErrBadValue, "element type"},
		{"arrays nested too deep", nested(MaxArrayDepth).Bytes(), ErrLimit, `"deep"`},
		{"alignment zero", header(0, 1).str(KeyAlignment).u32(uint32(TypeUint32)).u32(0).Bytes(), ErrBadValue, KeyAlignment},
		{"alignment not power of two", header(0, 1).str(KeyAlignment).u32(uint32(TypeUint32)).u32(48).Bytes(), ErrBadValue, KeyAlignment},
		{"alignment a string", header(0, 1).str(KeyAlignment).u32(uint32(TypeString)).str("32").Bytes(), ErrBadValue, KeyAlignment},
		{"five dims", header(1, 0).tensorInfo("w", tensor.F32, 0, 1, 1, 1, 1, 1).data(32, 4).Bytes(), ErrLimit, `"w" dims`},
		{"dims overflow", header(1, 0).tensorInfo("w", tensor.F32, 0, 1<<32, 1<<32).data(32, 4).Bytes(), ErrLimit, `"w" shape`},
		{"huge dim times zero", header(1, 0).tensorInfo("w", tensor.F32, 0, 0, 1<<63).data(32, 4).Bytes(), ErrLimit, `"w" shape`},
		{"elements over limit", header(1, 0).tensorInfo("w", tensor.F32, 0, 1<<30, 1<<20).data(32, 4).Bytes(), ErrLimit, `"w" shape`},
		{"unknown tensor type", header(1, 0).tensorInfo("w", 31, 0, 4).data(32, 4).Bytes(), ErrUnsupported, `"w" type`},
		{"partial block", header(1, 0).tensorInfo("w", tensor.Q4_K, 0, 100).data(32, 144).Bytes(), ErrBadValue, `"w" shape`},
		{"duplicate tensor", header(2, 0).tensorInfo("w", tensor.F32, 0, 1).tensorInfo("w", tensor.F32, 32, 1).data(32, 64).Bytes(), ErrDuplicate, "tensor name"},
		{"tensor name over limit", header(1, 0).u64(MaxTensorName + 1).zeros(32).Bytes(), ErrLimit, "tensor name"},
		{"misaligned offset", header(1, 0).tensorInfo("w", tensor.F32, 4, 1).data(32, 64).Bytes(), ErrBadValue, `"w" offset`},
		{"offset past the end", header(1, 0).tensorInfo("w", tensor.F32, 1<<40, 1).data(32, 64).Bytes(), ErrTruncated, `"w" offset`},
		{"offset wraps around", header(1, 0).tensorInfo("w", tensor.F32, 1<<64-32, 16).data(32, 64).Bytes(), ErrTruncated, `"w" offset`},
		{"data past the end", header(1, 0).tensorInfo("w", tensor.F32, 0, 17).data(32, 64).Bytes(), ErrTruncated, `"w" offset`},
		{"no data section", header(1, 0).tensorInfo("w", tensor.F32, 0, 1).Bytes(), ErrTruncated, "tensor data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("Parse = %d tensors, nil error; want %v", len(f.Tensors()), tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse error = %v, want %v", err, tt.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %v is not a *FormatError", err)
			}
			if !bytes.Contains([]byte(fe.Field), []byte(tt.field)) {
				t.Errorf("FormatError.Field = %q, want it to mention %q", fe.Field, tt.field)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(tt.data)) {
				t.Errorf("FormatError.Offset = %d, outside the %d-byte input", fe.Offset, len(tt.data))
			}
		})
	}
}

// TestParseAcceptsEdgeCases pins what hostile-input checks must not reject.
func TestParseAcceptsEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"no tensors, no data section", header(0, 1).str("k").u32(uint32(TypeUint8)).byte(1).Bytes()},
		{"version 2", func() []byte { b := header(0, 0).Bytes(); b[4] = 2; return b }()},
		{"scalar tensor", header(1, 0).tensorInfo("s", tensor.F32, 0).data(32, 4).Bytes()},
		{"empty tensor", header(1, 0).tensorInfo("e", tensor.F32, 0, 0, 5).data(32, 0).Bytes()},
		{"arrays nested to the limit", nested(MaxArrayDepth - 1).Bytes()},
		{"unsupported but known type", header(1, 0).tensorInfo("q", tensor.Q2_K, 0, 256).data(32, 84).Bytes()},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.data); err != nil {
			t.Errorf("%s: Parse = %v", tt.name, err)
		}
	}
}

// TestParseTruncated cuts a valid file at every length up to the end of its
// last tensor's data (the padding after it is optional): each prefix must
// fail cleanly with ErrTruncated.
func TestParseTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, everyType, testTensors(rand.New(rand.NewPCG(9, 9)))); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	f, err := Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Tensors()[len(f.Tensors())-1]
	end := int(uintptr(unsafe.Pointer(&last.Data[0]))-uintptr(unsafe.Pointer(&full[0]))) + len(last.Data)
	if end >= len(full) {
		t.Fatalf("test file has no padding after its last tensor (end %d, size %d)", end, len(full))
	}
	for n := 0; n < end; n++ {
		_, err := Parse(full[:n:n])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("Parse(first %d of %d bytes) = %v, want ErrTruncated", n, len(full), err)
		}
	}
}

func (b *builder) byte(v byte) *builder {
	b.WriteByte(v)
	return b
}

// WriteByte0 appends a zero byte.
func (b *builder) WriteByte0() *builder { return b.byte(0) }

func (b *builder) zeros(n int) *builder {
	b.Write(make([]byte, n))
	return b
}

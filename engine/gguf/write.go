package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/switchboard/switchboard/engine/tensor"
)

// MaxWriteTensorName is the longest tensor name Write accepts: ggml keeps
// names in 64-byte buffers with a terminating NUL.
const MaxWriteTensorName = 63

// ErrInvalid reports metadata or tensors that Write cannot encode.
var ErrInvalid = errors.New("gguf: invalid input")

// Write writes a GGUF version 3 file to w: the metadata pairs in the
// order given, then the tensors in the order given. Each KV.Value must be
// one of the Go types listed at KV (llama.cpp checks types, so counts are
// usually uint32 and hyperparameters float32). Tensor shapes are outermost
// first and are stored reversed, as ggml's ne[]; each tensor's Data must
// hold exactly its elements in its Type. Tensor data are aligned to
// general.alignment if meta sets it (a power-of-two uint32) and to 32
// bytes otherwise. Write checks everything before writing anything.
func Write(w io.Writer, meta []KV, tensors []tensor.Tensor) error {
	align, err := checkWrite(meta, tensors)
	if err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	bw := &writer{w: bufio.NewWriterSize(w, 1<<20)}
	bw.bytes([]byte(Magic))
	bw.u32(3)
	bw.u64(uint64(len(tensors)))
	bw.u64(uint64(len(meta)))
	for _, kv := range meta {
		bw.str(kv.Key)
		t, _ := TypeOf(kv.Value)
		bw.u32(uint32(t))
		bw.value(kv.Value)
	}
	var offset uint64
	for _, t := range tensors {
		bw.str(t.Name)
		bw.u32(uint32(len(t.Shape)))
		for i := len(t.Shape) - 1; i >= 0; i-- {
			bw.u64(uint64(t.Shape[i]))
		}
		bw.u32(uint32(t.Type))
		bw.u64(offset)
		offset = alignUp(offset+uint64(len(t.Data)), align)
	}
	bw.pad(align)
	for _, t := range tensors {
		bw.bytes(t.Data)
		bw.pad(align)
	}
	if bw.err == nil {
		bw.err = bw.w.Flush()
	}
	if bw.err != nil {
		return fmt.Errorf("write gguf: %w", bw.err)
	}
	return nil
}

// WriteFile writes a GGUF file at path (mode 0644) as Write does. It
// writes a temporary file in the same directory and renames it, so path
// never holds a partial file.
func WriteFile(path string, meta []KV, tensors []tensor.Tensor) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := Write(f, meta, tensors); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp made it 0600
		return fmt.Errorf("write gguf: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	return nil
}

// checkWrite validates meta and tensors and returns the data alignment.
func checkWrite(meta []KV, tensors []tensor.Tensor) (uint64, error) {
	align := uint64(DefaultAlignment)
	keys := make(map[string]bool, len(meta))
	for _, kv := range meta {
		if keys[kv.Key] {
			return 0, fmt.Errorf("%w: duplicate metadata key %q", ErrInvalid, kv.Key)
		}
		keys[kv.Key] = true
		if err := checkValue(kv.Value, 0); err != nil {
			return 0, fmt.Errorf("metadata %q: %w", kv.Key, err)
		}
		if kv.Key == KeyAlignment {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a > MaxAlignment || a&(a-1) != 0 {
				return 0, fmt.Errorf("%w: %s = %v (%T), want a power-of-two uint32", ErrInvalid, KeyAlignment, kv.Value, kv.Value)
			}
			align = uint64(a)
		}
	}
	names := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if names[t.Name] {
			return 0, fmt.Errorf("%w: duplicate tensor name %q", ErrInvalid, t.Name)
		}
		names[t.Name] = true
		if len(t.Name) > MaxWriteTensorName {
			return 0, fmt.Errorf("%w: tensor name %q longer than %d bytes", ErrInvalid, t.Name, MaxWriteTensorName)
		}
		if len(t.Shape) > MaxTensorDims {
			return 0, fmt.Errorf("%w: tensor %q has %d dimensions, at most %d", ErrInvalid, t.Name, len(t.Shape), MaxTensorDims)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return 0, fmt.Errorf("%w: tensor %q shape %v", ErrInvalid, t.Name, t.Shape)
			}
		}
		if !t.Type.Known() {
			return 0, fmt.Errorf("%w: tensor %q: %w %v", ErrInvalid, t.Name, tensor.ErrUnsupported, t.Type)
		}
		rb, err := t.Type.RowBytes(t.Cols())
		if err != nil {
			return 0, fmt.Errorf("%w: tensor %q: %w", ErrInvalid, t.Name, err)
		}
		if want := rb * t.Rows(); len(t.Data) != want {
			return 0, fmt.Errorf("%w: tensor %q %v %v has %d data bytes, want %d", ErrInvalid, t.Name, t.Type, t.Shape, len(t.Data), want)
		}
	}
	return align, nil
}

func checkValue(v any, depth int) error {
	t, ok := TypeOf(v)
	if !ok {
		return fmt.Errorf("%w: value of Go type %T has no GGUF type", ErrInvalid, v)
	}
	if t != TypeArray {
		return nil
	}
	if depth >= MaxArrayDepth {
		return fmt.Errorf("%w: arrays nested deeper than %d", ErrInvalid, MaxArrayDepth)
	}
	if a, ok := v.([]any); ok {
		for _, e := range a {
			if et, ok := TypeOf(e); !ok || et != TypeArray {
				return fmt.Errorf("%w: element of Go type %T in an array of arrays", ErrInvalid, e)
			}
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// A writer encodes little-endian fields, keeping the first error.
type writer struct {
	w   *bufio.Writer
	n   uint64 // bytes written
	err error
	buf [8]byte
}

func (w *writer) bytes(p []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(p)
	w.n += uint64(len(p))
}

func (w *writer) u8(v uint8) { w.bytes([]byte{v}) }

func (w *writer) u16(v uint16) {
	binary.LittleEndian.PutUint16(w.buf[:], v)
	w.bytes(w.buf[:2])
}

func (w *writer) u32(v uint32) {
	binary.LittleEndian.PutUint32(w.buf[:], v)
	w.bytes(w.buf[:4])
}

func (w *writer) u64(v uint64) {
	binary.LittleEndian.PutUint64(w.buf[:], v)
	w.bytes(w.buf[:8])
}

func (w *writer) str(s string) {
	w.u64(uint64(len(s)))
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
		w.n += uint64(len(s))
	}
}

func (w *writer) pad(align uint64) {
	for w.n%align != 0 {
		w.u8(0)
	}
}

func (w *writer) bool(b bool) {
	if b {
		w.u8(1)
	} else {
		w.u8(0)
	}
}

// value writes v, which checkValue accepted, without its type tag.
func (w *writer) value(v any) {
	switch x := v.(type) {
	case uint8:
		w.u8(x)
	case int8:
		w.u8(uint8(x))
	case uint16:
		w.u16(x)
	case int16:
		w.u16(uint16(x))
	case uint32:
		w.u32(x)
	case int32:
		w.u32(uint32(x))
	case float32:
		w.u32(math.Float32bits(x))
	case bool:
		w.bool(x)
	case string:
		w.str(x)
	case uint64:
		w.u64(x)
	case int64:
		w.u64(uint64(x))
	case float64:
		w.u64(math.Float64bits(x))
	default:
		et, _ := ElemType(v)
		w.u32(uint32(et))
		switch a := v.(type) {
		case []uint8:
			w.u64(uint64(len(a)))
			w.bytes(a)
		case []int8:
			writeArray(w, a, func(e int8) { w.u8(uint8(e)) })
		case []uint16:
			writeArray(w, a, w.u16)
		case []int16:
			writeArray(w, a, func(e int16) { w.u16(uint16(e)) })
		case []uint32:
			writeArray(w, a, w.u32)
		case []int32:
			writeArray(w, a, func(e int32) { w.u32(uint32(e)) })
		case []float32:
			writeArray(w, a, func(e float32) { w.u32(math.Float32bits(e)) })
		case []bool:
			writeArray(w, a, w.bool)
		case []string:
			writeArray(w, a, w.str)
		case []uint64:
			writeArray(w, a, w.u64)
		case []int64:
			writeArray(w, a, func(e int64) { w.u64(uint64(e)) })
		case []float64:
			writeArray(w, a, func(e float64) { w.u64(math.Float64bits(e)) })
		case []any:
			writeArray(w, a, w.value)
		}
	}
}

func writeArray[T any](w *writer, a []T, put func(T)) {
	w.u64(uint64(len(a)))
	for _, e := range a {
		put(e)
	}
}

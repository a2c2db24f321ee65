// Package gguf reads and writes GGUF files (versions 2 and 3), the model
// format of llama.cpp and ollama.
//
// [Open] memory-maps a file and parses its header, metadata and tensor
// infos; tensor data are slices of the mapping, so opening a multi-gigabyte
// model reads only its header. [Write] writes a version 3 file that
// llama.cpp loads.
//
// Shapes are given outermost dimension first, as in package tensor: GGUF
// stores a tensor's dimensions innermost first (ggml's ne[]), and this
// package reverses them on reading and writing.
//
// Every count, length, dimension and offset read from a file is checked
// against a named limit (MaxTensors, MaxArrayLength, ...) and against the
// file's size before anything is allocated for it; a malformed file gives a
// *FormatError wrapping one of the sentinel errors, never a panic.
package gguf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/switchboard/switchboard/engine/tensor"
)

// Well-known metadata keys.
const (
	KeyArchitecture = "general.architecture"
	KeyAlignment    = "general.alignment"
)

// ErrClosed is returned by a second Close.
var ErrClosed = errors.New("gguf: file already closed")

// A File is a parsed GGUF file. Its methods are safe for concurrent use
// until Close. Slices it returns (tensor data, metadata arrays) are shared
// with the File and must not be modified; tensor data of an opened file
// is valid only until Close.
type File struct {
	Version    uint32 // 2 or 3
	Alignment  int    // alignment of tensor data offsets (general.alignment, default 32)
	DataOffset int64  // where the tensor data section starts
	Size       int64  // file size in bytes

	meta    []KV
	index   map[string]int // key → position in meta
	tensors []tensor.Tensor
	tindex  map[string]int // name → position in tensors
	offsets []int64        // where each tensor's data starts in the file

	unmap  func() error // nil for a parsed byte slice
	closed bool
}

// Open memory-maps the GGUF file at path and parses it. Tensor data are
// slices of the read-only mapping, paged in when first read; call Close to
// release it. As with any mapping, the file must not be truncated while it
// is open: reading a vanished page faults.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	defer fd.Close() // the mapping outlives the descriptor
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	if st.Size() < 4+4+8+8 {
		// A short file that does not begin with the magic is not a
		// truncated GGUF but no GGUF at all (a text file named .gguf).
		head := make([]byte, 4)
		if n, _ := io.ReadFull(fd, head); n == 4 && string(head) != Magic || n < 4 && !strings.HasPrefix(Magic, string(head[:n])) {
			return nil, fmt.Errorf("open gguf %s: %w", path, &FormatError{Field: "magic", Err: ErrBadMagic})
		}
		return nil, fmt.Errorf("open gguf %s: %w", path, &FormatError{Offset: st.Size(), Field: "header", Err: ErrTruncated})
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("open gguf %s: %w", path, &FormatError{Field: "file size", Err: ErrLimit})
	}
	data, unmap, err := mapFile(fd, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("open gguf %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		_ = unmap()
		return nil, fmt.Errorf("open gguf %s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}

// Close releases the file's memory mapping; tensor data must not be used
// afterwards. A second Close returns ErrClosed.
func (f *File) Close() error {
	if f.closed {
		return ErrClosed
	}
	unmap := f.unmap
	*f = File{closed: true}
	if unmap != nil {
		if err := unmap(); err != nil {
			return fmt.Errorf("close gguf: %w", err)
		}
	}
	return nil
}

// ReleaseMetadata drops the file's metadata (a model's vocabulary and
// merges are the bulk of it) so that its memory can be reclaimed once
// what was needed has been read from it; tensors stay valid until Close.
// Metadata lookups find nothing afterwards. It must not run concurrently
// with other methods.
func (f *File) ReleaseMetadata() {
	f.meta, f.index = nil, nil
}

// Metadata returns the metadata pairs in file order.
func (f *File) Metadata() []KV { return append([]KV(nil), f.meta...) }

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string {
	keys := make([]string, len(f.meta))
	for i, kv := range f.meta {
		keys[i] = kv.Key
	}
	return keys
}

// Value returns the metadata value for key as KV.Value holds it.
func (f *File) Value(key string) (any, bool) {
	i, ok := f.index[key]
	if !ok {
		return nil, false
	}
	return f.meta[i].Value, true
}

// Arch returns general.architecture, or "" if the file does not set it.
func (f *File) Arch() string {
	s, _ := f.String(KeyArchitecture)
	return s
}

// String returns the string value of key; false if key is absent or not a
// string.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Value(key)
	s, ok := v.(string)
	return s, ok
}

// Bool returns the bool value of key; false if key is absent or not a bool.
func (f *File) Bool(key string) (value, ok bool) {
	v, _ := f.Value(key)
	value, ok = v.(bool)
	return value, ok
}

// Uint returns the value of key if it is an integer of any width or
// signedness with a non-negative value.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Value(key)
	return toUint(v)
}

// Int returns the value of key if it is an integer of any width or
// signedness whose value fits an int64.
func (f *File) Int(key string) (int64, bool) {
	v, _ := f.Value(key)
	return toInt(v)
}

// Float returns the value of key if it is a float32 or float64 (float32
// values convert exactly) or an integer.
func (f *File) Float(key string) (float64, bool) {
	v, _ := f.Value(key)
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := toInt(v); ok {
		return float64(i), true
	}
	if u, ok := toUint(v); ok {
		return float64(u), true
	}
	return 0, false
}

// Strings returns the value of key if it is an array of strings. The slice
// is shared: do not modify it.
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Value(key)
	s, ok := v.([]string)
	return s, ok
}

// Float32s returns the value of key if it is an array of float32 (shared:
// do not modify) or of float64 (converted).
func (f *File) Float32s(key string) ([]float32, bool) {
	v, _ := f.Value(key)
	switch x := v.(type) {
	case []float32:
		return x, true
	case []float64:
		out := make([]float32, len(x))
		for i, e := range x {
			out[i] = float32(e)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns the value of key if it is an array of int32 (shared: do
// not modify) or of another integer type whose values all fit an int32
// (converted).
func (f *File) Int32s(key string) ([]int32, bool) {
	v, _ := f.Value(key)
	if x, ok := v.([]int32); ok {
		return x, true
	}
	ints, ok := f.Ints(key)
	if !ok {
		return nil, false
	}
	out := make([]int32, len(ints))
	for i, e := range ints {
		if e < math.MinInt32 || e > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(e)
	}
	return out, true
}

// Ints returns the value of key, converted, if it is an array of integers
// of any type whose values all fit an int64.
func (f *File) Ints(key string) ([]int64, bool) {
	v, _ := f.Value(key)
	switch x := v.(type) {
	case []uint8:
		return convertInts(x), true
	case []int8:
		return convertInts(x), true
	case []uint16:
		return convertInts(x), true
	case []int16:
		return convertInts(x), true
	case []uint32:
		return convertInts(x), true
	case []int32:
		return convertInts(x), true
	case []int64:
		return append([]int64(nil), x...), true
	case []uint64:
		for _, e := range x {
			if e > math.MaxInt64 {
				return nil, false
			}
		}
		return convertInts(x), true
	}
	return nil, false
}

func convertInts[T uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64](s []T) []int64 {
	out := make([]int64, len(s))
	for i, e := range s {
		out[i] = int64(e)
	}
	return out
}

func toUint(v any) (uint64, bool) {
	if x, ok := v.(uint64); ok {
		return x, true
	}
	i, ok := toInt(v)
	return uint64(i), ok && i >= 0
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// Tensors returns the tensors in file order.
func (f *File) Tensors() []tensor.Tensor { return append([]tensor.Tensor(nil), f.tensors...) }

// TensorOffset returns where the data of the tensor called name starts
// in the file, for reading it other than through the mapping.
func (f *File) TensorOffset(name string) (int64, bool) {
	i, ok := f.tindex[name]
	if !ok {
		return 0, false
	}
	return f.offsets[i], true
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (tensor.Tensor, bool) {
	i, ok := f.tindex[name]
	if !ok {
		return tensor.Tensor{}, false
	}
	return f.tensors[i], true
}

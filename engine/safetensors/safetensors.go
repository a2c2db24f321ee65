// Package safetensors reads Hugging Face *.safetensors files: an 8-byte
// little-endian header length, a JSON header naming every tensor's dtype,
// shape and byte range, then the raw tensor bytes.
//
// Files are memory-mapped where the platform allows it; tensors returned
// share the mapping and stay valid until the File (or Set) is closed.
// Only F32, F16 and BF16 tensors are supported. Every header is checked
// before it is trusted: its length, each tensor's byte range against the
// file size, and each range against the dtype and shape.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/switchboard/switchboard/engine/tensor"
)

// Limits applied to headers read from files.
const (
	MaxHeaderSize = 100 << 20 // the JSON header, in bytes (the format's own limit)
	MaxDims       = 8         // dimensions of one tensor
	MaxTensors    = 1 << 20   // tensors in one file
)

// Sentinel errors, wrapped by *FormatError.
var (
	// ErrCorrupt means the file does not follow the format.
	ErrCorrupt = errors.New("safetensors: corrupt file")
	// ErrUnsupported means a well-formed file uses a dtype this package cannot read.
	ErrUnsupported = errors.New("safetensors: unsupported")
)

// A FormatError says what is wrong with a file, and where.
type FormatError struct {
	Path   string // the file, when known
	Tensor string // the tensor concerned, if any
	Msg    string // what is wrong
	Err    error  // ErrCorrupt or ErrUnsupported
}

func (e *FormatError) Error() string {
	s := "safetensors"
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Tensor != "" {
		s += ": tensor " + e.Tensor
	}
	return s + ": " + e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// A File is one opened safetensors file. Its methods may be called
// concurrently; Close must not overlap other calls.
type File struct {
	// Metadata is the header's optional "__metadata__" string map.
	Metadata map[string]string

	path    string
	data    []byte
	unmap   func() error
	tensors map[string]tensor.Tensor
}

// Open maps the file at path and parses its header.
func Open(path string) (*File, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("open safetensors: %w", err)
	}
	f, err := parse(path, data)
	if err != nil {
		unmap()
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// Parse reads a safetensors file held in memory. The tensors share data.
func Parse(data []byte) (*File, error) { return parse("", data) }

type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

func parse(path string, data []byte) (*File, error) {
	bad := func(name, format string, args ...any) error {
		return &FormatError{Path: path, Tensor: name, Msg: fmt.Sprintf(format, args...), Err: ErrCorrupt}
	}
	if len(data) < 8 {
		return nil, bad("", "file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, bad("", "header length %d exceeds the limit of %d", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, bad("", "header length %d runs past the end of the %d-byte file", n, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return nil, bad("", "header is not a JSON object: %v", err)
	}
	if len(raw) > MaxTensors {
		return nil, bad("", "header lists %d tensors, more than the limit of %d", len(raw), MaxTensors)
	}
	body := data[8+n:]
	f := &File{path: path, data: data, tensors: make(map[string]tensor.Tensor, len(raw))}
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, bad("", "__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		var h headerEntry
		if err := json.Unmarshal(msg, &h); err != nil {
			return nil, bad(name, "bad header entry: %v", err)
		}
		typ, size, ok := dtype(h.DType)
		if !ok {
			return nil, &FormatError{Path: path, Tensor: name, Msg: fmt.Sprintf("dtype %q is not supported (want F32, F16 or BF16)", h.DType), Err: ErrUnsupported}
		}
		if len(h.Shape) > MaxDims {
			return nil, bad(name, "%d dimensions, more than the limit of %d", len(h.Shape), MaxDims)
		}
		if len(h.DataOffsets) != 2 {
			return nil, bad(name, "data_offsets has %d values, want 2", len(h.DataOffsets))
		}
		begin, end := h.DataOffsets[0], h.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(body)) {
			return nil, bad(name, "data_offsets [%d, %d] outside the %d bytes of tensor data", begin, end, len(body))
		}
		count := int64(1)
		shape := make([]int, len(h.Shape))
		for i, d := range h.Shape {
			if d < 0 {
				return nil, bad(name, "negative dimension %d", d)
			}
			if d != 0 && count > (int64(len(body))+1)/d {
				return nil, bad(name, "shape %v is larger than the file", h.Shape)
			}
			count *= d
			shape[i] = int(d)
		}
		if count*size != end-begin {
			return nil, bad(name, "shape %v of %s needs %d bytes, data_offsets give %d", h.Shape, h.DType, count*size, end-begin)
		}
		f.tensors[name] = tensor.Tensor{Name: name, Type: typ, Shape: shape, Data: body[begin:end:end]}
		spans = append(spans, span{name, begin, end})
	}
	// Tensors must not overlap: a hostile header could otherwise alias data.
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, bad(spans[i].name, "data overlaps tensor %s", spans[i-1].name)
		}
	}
	return f, nil
}

func dtype(s string) (t tensor.Type, size int64, ok bool) {
	switch s {
	case "F32":
		return tensor.F32, 4, true
	case "F16":
		return tensor.F16, 2, true
	case "BF16":
		return tensor.BF16, 2, true
	}
	return 0, 0, false
}

// Tensor returns the named tensor.
func (f *File) Tensor(name string) (tensor.Tensor, bool) {
	t, ok := f.tensors[name]
	return t, ok
}

// Names returns the tensor names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for n := range f.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Close releases the mapping; tensors from f must not be used afterwards.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap = nil
	return err
}

func mapFile(path string) ([]byte, func() error, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, fmt.Errorf("%s is a directory", path)
	}
	return mmap(fd, st.Size())
}

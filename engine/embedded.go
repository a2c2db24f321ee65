package engine

import (
	"fmt"
	"unsafe"

	"github.com/switchboard/switchboard/engine/gguf"
)

// LoadBytes loads a GGUF model held in memory, such as one embedded in the
// binary with go:embed. name identifies it in errors and in Info. The
// model reads its weights from data, which must not change while the
// model is in use.
func LoadBytes(name string, data []byte, opts Options) (*Model, error) {
	// Tensor data are read in place; keep them aligned for the kernels.
	if len(data) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%64 != 0 {
		data = aligned(data)
	}
	f, err := gguf.Parse(data)
	if err != nil {
		return nil, &LoadError{File: name, Err: fmt.Errorf("parse gguf: %w", err)}
	}
	m, err := modelFromGGUF(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.setOptions(opts)
	return m, nil
}

// aligned returns a copy of b that starts on a 64-byte boundary.
func aligned(b []byte) []byte {
	buf := make([]byte, len(b)+64)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & 63)
	out := buf[off : off+len(b)]
	copy(out, b)
	return out
}

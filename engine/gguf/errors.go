package gguf

import (
	"errors"
	"fmt"
)

// Sentinel errors. A parse error is a *FormatError wrapping one of them, so
// callers can test errors.Is(err, gguf.ErrTruncated).
var (
	ErrBadMagic    = errors.New("gguf: not a GGUF file")
	ErrVersion     = errors.New("gguf: unsupported version")
	ErrTruncated   = errors.New("gguf: truncated")
	ErrLimit       = errors.New("gguf: value exceeds limit")
	ErrBadValue    = errors.New("gguf: invalid value")
	ErrDuplicate   = errors.New("gguf: duplicate name")
	ErrUnsupported = errors.New("gguf: unsupported")
)

// A FormatError reports a malformed file: the byte offset where the problem
// was found, the field being read and what is wrong.
type FormatError struct {
	Offset int64
	Field  string // such as "metadata key", "tensor dims", `tensor "output.weight" offset`
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("gguf: offset %d: %s: %v", e.Offset, e.Field, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

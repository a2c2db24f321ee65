package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/switchboard/switchboard/engine/tensor"
)

// Limits on what a file may declare. Each count, length and size read from
// a file is checked against its limit and against the bytes the file has
// left before anything is allocated for it.
const (
	MaxTensors        = 1 << 20 // tensor infos in one file
	MaxMetadata       = 1 << 20 // metadata key-value pairs
	MaxStringLength   = 1 << 24 // bytes in one string (keys, values, tensor names)
	MaxTensorName     = 1 << 10 // bytes in a tensor name (ggml itself allows 63)
	MaxArrayLength    = 1 << 28 // elements in one metadata array
	MaxArrayDepth     = 8       // nesting of arrays of arrays
	MaxTensorDims     = 4       // dimensions of a tensor, as in ggml
	MaxTensorElements = 1 << 46 // elements in one tensor
	MaxAlignment      = 1 << 16 // general.alignment
)

// maxElements bounds a tensor's elements so that its size in bytes (at
// most 8 per element) fits an int, also on 32-bit machines.
const maxElements = min(MaxTensorElements, math.MaxInt/8)

// DefaultAlignment is the alignment of tensor data when a file does not set
// general.alignment.
const DefaultAlignment = 32

// Magic is the first four bytes of a GGUF file.
const Magic = "GGUF"

// A decoder reads little-endian GGUF fields from b, tracking the offset
// for errors.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) errorf(off int, field string, err error, format string, args ...any) error {
	if format != "" {
		err = fmt.Errorf("%w: "+format, append([]any{err}, args...)...)
	}
	return &FormatError{Offset: int64(off), Field: field, Err: err}
}

func (d *decoder) left() int { return len(d.b) - d.off }

// take returns the next n bytes, or a truncation error naming field.
func (d *decoder) take(n int, field string) ([]byte, error) {
	if n < 0 || n > d.left() {
		return nil, d.errorf(d.off, field, ErrTruncated, "need %d bytes, %d left", n, d.left())
	}
	p := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return p, nil
}

func (d *decoder) u32(field string) (uint32, error) {
	p, err := d.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (d *decoder) u64(field string) (uint64, error) {
	p, err := d.take(8, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

// count reads a uint64 count of items each at least minSize bytes long and
// checks it against max and against the bytes left.
func (d *decoder) count(field string, max uint64, minSize int) (int, error) {
	off := d.off
	n, err := d.u64(field)
	if err != nil {
		return 0, err
	}
	if n > max {
		return 0, d.errorf(off, field, ErrLimit, "%d > %d", n, max)
	}
	if minSize > 0 && n > uint64(d.left()/minSize) {
		return 0, d.errorf(off, field, ErrTruncated, "%d items of at least %d bytes, %d bytes left", n, minSize, d.left())
	}
	return int(n), nil
}

// strBytes reads a length-prefixed string and returns its bytes, a slice
// of the input. It builds no error text unless it fails: it runs once per
// vocabulary entry.
func (d *decoder) strBytes(field string, max uint64) ([]byte, error) {
	off := d.off
	if d.left() < 8 {
		return nil, d.errorf(off, field+" length", ErrTruncated, "need 8 bytes, %d left", d.left())
	}
	n := binary.LittleEndian.Uint64(d.b[off:])
	if n > max {
		return nil, d.errorf(off, field+" length", ErrLimit, "%d > %d", n, max)
	}
	if n > uint64(d.left()-8) {
		return nil, d.errorf(off, field+" length", ErrTruncated, "%d bytes, %d left", n, d.left()-8)
	}
	d.off += 8 + int(n)
	return d.b[off+8 : d.off : d.off], nil
}

func (d *decoder) str(field string, max uint64) (string, error) {
	p, err := d.strBytes(field, max)
	return string(p), err
}

// value reads one metadata value of type t.
func (d *decoder) value(t ValueType, field string, depth int) (any, error) {
	off := d.off
	switch t {
	case TypeString:
		return d.str(field, MaxStringLength)
	case TypeArray:
		return d.array(field, depth)
	}
	size := t.size()
	if size == 0 {
		return nil, d.errorf(off-4, field+" type", ErrBadValue, "unknown value type %d", uint32(t))
	}
	p, err := d.take(size, field)
	if err != nil {
		return nil, err
	}
	switch t {
	case TypeUint8:
		return p[0], nil
	case TypeInt8:
		return int8(p[0]), nil
	case TypeUint16:
		return binary.LittleEndian.Uint16(p), nil
	case TypeInt16:
		return int16(binary.LittleEndian.Uint16(p)), nil
	case TypeUint32:
		return binary.LittleEndian.Uint32(p), nil
	case TypeInt32:
		return int32(binary.LittleEndian.Uint32(p)), nil
	case TypeFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
	case TypeBool:
		if p[0] > 1 {
			return nil, d.errorf(off, field, ErrBadValue, "bool byte %d", p[0])
		}
		return p[0] == 1, nil
	case TypeUint64:
		return binary.LittleEndian.Uint64(p), nil
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(p)), nil
	default: // TypeFloat64
		return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
	}
}

// array reads an array value: element type, count, elements.
func (d *decoder) array(field string, depth int) (any, error) {
	if depth >= MaxArrayDepth {
		return nil, d.errorf(d.off, field, ErrLimit, "arrays nested deeper than %d", MaxArrayDepth)
	}
	toff := d.off
	t32, err := d.u32(field + " element type")
	if err != nil {
		return nil, err
	}
	t := ValueType(t32)
	size := t.size()
	if size == 0 {
		return nil, d.errorf(toff, field+" element type", ErrBadValue, "unknown value type %d", t32)
	}
	n, err := d.count(field+" length", MaxArrayLength, size)
	if err != nil {
		return nil, err
	}
	switch t {
	case TypeString:
		return d.strings(n, field)
	case TypeArray:
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.array(field, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case TypeBool:
		out := make([]bool, n)
		for i := range out {
			b := d.b[d.off+i]
			if b > 1 {
				return nil, d.errorf(d.off+i, field, ErrBadValue, "bool byte %d", b)
			}
			out[i] = b == 1
		}
		d.off += n
		return out, nil
	}
	// Fixed-size elements: the count check above guarantees n*size bytes.
	p, _ := d.take(n*size, field)
	switch t {
	case TypeUint8:
		return append([]uint8(nil), p...), nil
	case TypeInt8:
		return decodeSlice(p, 1, func(b []byte) int8 { return int8(b[0]) }), nil
	case TypeUint16:
		return decodeSlice(p, 2, binary.LittleEndian.Uint16), nil
	case TypeInt16:
		return decodeSlice(p, 2, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) }), nil
	case TypeUint32:
		return decodeSlice(p, 4, binary.LittleEndian.Uint32), nil
	case TypeInt32:
		return decodeSlice(p, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) }), nil
	case TypeFloat32:
		return decodeSlice(p, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }), nil
	case TypeUint64:
		return decodeSlice(p, 8, binary.LittleEndian.Uint64), nil
	case TypeInt64:
		return decodeSlice(p, 8, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }), nil
	default: // TypeFloat64
		return decodeSlice(p, 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }), nil
	}
}

func decodeSlice[T any](p []byte, size int, f func([]byte) T) []T {
	out := make([]T, len(p)/size)
	for i := range out {
		out[i] = f(p[i*size:])
	}
	return out
}

// strings reads n length-prefixed strings into one shared allocation: a
// vocabulary of 150k tokens costs two allocations, not 150k.
func (d *decoder) strings(n int, field string) ([]string, error) {
	start := d.off
	total := 0
	for i := 0; i < n; i++ {
		p, err := d.strBytes(field, MaxStringLength)
		if err != nil {
			return nil, err
		}
		total += len(p) // bounded by the input length
	}
	arena := make([]byte, 0, total)
	out := make([]string, n)
	d.off = start
	for i := range out {
		l := int(binary.LittleEndian.Uint64(d.b[d.off:]))
		d.off += 8
		if l == 0 {
			continue
		}
		at := len(arena)
		arena = append(arena, d.b[d.off:d.off+l]...)
		d.off += l
		// arena never grows past its capacity, so the bytes never move.
		out[i] = unsafe.String(&arena[at], l)
	}
	return out, nil
}

// Parse parses a GGUF file held in data. The returned File's tensors are
// slices of data, which must stay unchanged while they are in use; Close on
// such a File releases nothing. Parse never panics, and what it allocates
// is bounded by a small multiple of len(data).
func Parse(data []byte) (*File, error) {
	d := &decoder{b: data}
	magic, err := d.take(4, "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != Magic {
		return nil, d.errorf(0, "magic", ErrBadMagic, "%q", magic)
	}
	version, err := d.u32("version")
	if err != nil {
		return nil, err
	}
	if version != 2 && version != 3 {
		return nil, d.errorf(4, "version", ErrVersion, "version %d (want 2 or 3)", version)
	}
	// Minimum encoded sizes: a tensor info is a name length, a dimension
	// count, a type and an offset; a metadata pair a key length, a type and
	// a one-byte value.
	nTensors, err := d.count("tensor count", MaxTensors, 8+4+4+8)
	if err != nil {
		return nil, err
	}
	nKV, err := d.count("metadata count", MaxMetadata, 8+4+1)
	if err != nil {
		return nil, err
	}
	f := &File{Version: version, meta: make([]KV, 0, nKV), index: make(map[string]int, nKV)}
	for range nKV {
		koff := d.off
		key, err := d.str("metadata key", MaxStringLength)
		if err != nil {
			return nil, err
		}
		if _, dup := f.index[key]; dup {
			return nil, d.errorf(koff, "metadata key", ErrDuplicate, "%q", key)
		}
		t, err := d.u32(fmt.Sprintf("metadata %q type", key))
		if err != nil {
			return nil, err
		}
		v, err := d.value(ValueType(t), fmt.Sprintf("metadata %q", key), 0)
		if err != nil {
			return nil, err
		}
		f.index[key] = len(f.meta)
		f.meta = append(f.meta, KV{Key: key, Value: v})
	}

	f.Alignment = DefaultAlignment
	if _, ok := f.index[KeyAlignment]; ok {
		a, ok := f.Uint(KeyAlignment)
		if !ok || a == 0 || a > MaxAlignment || a&(a-1) != 0 {
			v, _ := f.Value(KeyAlignment)
			return nil, d.errorf(d.off, KeyAlignment, ErrBadValue, "%v (want a power of two up to %d)", v, MaxAlignment)
		}
		f.Alignment = int(a)
	}

	type info struct {
		off    int
		offset uint64
	}
	infos := make([]info, nTensors)
	f.tensors = make([]tensor.Tensor, nTensors)
	f.tindex = make(map[string]int, nTensors)
	for i := range f.tensors {
		toff := d.off
		name, err := d.str("tensor name", MaxTensorName)
		if err != nil {
			return nil, err
		}
		if _, dup := f.tindex[name]; dup {
			return nil, d.errorf(toff, "tensor name", ErrDuplicate, "%q", name)
		}
		t := &f.tensors[i]
		t.Name = name
		field := fmt.Sprintf("tensor %q", name)
		doff := d.off
		nd, err := d.u32(field + " dims")
		if err != nil {
			return nil, err
		}
		if nd > MaxTensorDims {
			return nil, d.errorf(doff, field+" dims", ErrLimit, "%d > %d", nd, MaxTensorDims)
		}
		// ne is innermost first in the file; Shape is outermost first.
		t.Shape = make([]int, nd)
		elems := uint64(1)
		for j := range int(nd) {
			eoff := d.off
			ne, err := d.u64(field + " shape")
			if err != nil {
				return nil, err
			}
			hi, lo := bits.Mul64(elems, ne)
			if ne > maxElements || hi != 0 || lo > maxElements {
				return nil, d.errorf(eoff, field+" shape", ErrLimit, "more than %d elements", uint64(maxElements))
			}
			elems = lo
			t.Shape[int(nd)-1-j] = int(ne)
		}
		typeOff := d.off
		typ, err := d.u32(field + " type")
		if err != nil {
			return nil, err
		}
		t.Type = tensor.Type(typ)
		if !t.Type.Known() {
			return nil, d.errorf(typeOff, field+" type", ErrUnsupported, "unknown tensor type %d", typ)
		}
		if _, err := t.Type.RowBytes(t.Cols()); err != nil {
			return nil, d.errorf(doff, field+" shape", ErrBadValue, "%v", err)
		}
		infos[i].off = d.off
		if infos[i].offset, err = d.u64(field + " offset"); err != nil {
			return nil, err
		}
		f.tindex[name] = i
	}

	// Tensor data starts at the next multiple of the alignment.
	f.DataOffset = int64(alignUp(uint64(d.off), uint64(f.Alignment)))
	if nTensors > 0 && f.DataOffset > int64(len(data)) {
		return nil, d.errorf(d.off, "tensor data", ErrTruncated, "data section at %d, file has %d bytes", f.DataOffset, len(data))
	}
	f.offsets = make([]int64, len(f.tensors))
	for i := range f.tensors {
		t := &f.tensors[i]
		field := fmt.Sprintf("tensor %q offset", t.Name)
		off := infos[i].offset
		if off%uint64(f.Alignment) != 0 {
			return nil, d.errorf(infos[i].off, field, ErrBadValue, "%d not a multiple of the alignment %d", off, f.Alignment)
		}
		// Elements ≤ 2⁴⁶ and at most 8 bytes each: no overflow below.
		size := uint64(t.Len()) / uint64(t.Type.BlockSize()) * uint64(t.Type.BlockBytes())
		avail := uint64(len(data)) - uint64(f.DataOffset)
		if off > avail || size > avail-off {
			return nil, d.errorf(infos[i].off, field, ErrTruncated, "%d bytes at data offset %d, %d bytes of data", size, off, avail)
		}
		start := uint64(f.DataOffset) + off
		t.Data = data[start : start+size : start+size]
		f.offsets[i] = int64(start)
	}
	f.Size = int64(len(data))
	return f, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

package gguf

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/switchboard/switchboard/engine/tensor"
)

// FuzzParse checks that Parse never panics, reports every failure as a
// *FormatError, returns tensor data inside the input, and that what it
// accepts survives a Write/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	// Seeds from the real fixtures, kept small so that mutation and
	// minimization stay fast: each file's header (metadata and tensor infos,
	// which is all Parse reads) and its metadata rewritten with only its
	// one-dimensional tensors.
	paths, _ := filepath.Glob("testdata/*/*.gguf")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		file, err := Parse(data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:file.DataOffset])
		var small []tensor.Tensor
		for _, x := range file.Tensors() {
			if len(x.Shape) == 1 {
				small = append(small, x)
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, file.Metadata(), small); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	var buf bytes.Buffer
	if err := Write(&buf, everyType, testTensors(rand.New(rand.NewPCG(3, 3)))); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(nested(3).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %v (%T) is not a *FormatError", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("FormatError.Offset %d outside the %d-byte input", fe.Offset, len(data))
			}
			return
		}
		tensors := file.Tensors()
		for _, x := range tensors {
			rb, err := x.Type.RowBytes(x.Cols())
			if err != nil {
				t.Fatalf("%s: accepted shape %v: %v", x.Name, x.Shape, err)
			}
			if len(x.Data) != rb*x.Rows() {
				t.Fatalf("%s: %d data bytes, want %d", x.Name, len(x.Data), rb*x.Rows())
			}
			if len(x.Data) > 0 {
				off := uintptr(unsafe.Pointer(&x.Data[0])) - uintptr(unsafe.Pointer(&data[0]))
				if off+uintptr(len(x.Data)) > uintptr(len(data)) {
					t.Fatalf("%s: data outside the input", x.Name)
				}
			}
		}
		var out bytes.Buffer
		if err := Write(&out, file.Metadata(), tensors); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Write = %v, want nil or ErrInvalid", err)
			}
			return // such as a name ggml cannot hold
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("Parse(Write(Parse(data))) = %v", err)
		}
		opts := cmpopts.EquateNaNs()
		if diff := cmp.Diff(file.Metadata(), again.Metadata(), opts); diff != "" {
			t.Fatalf("metadata changed in a round trip (-first +second):\n%s", diff)
		}
		// Compare tensors directly: cmp walks megabytes of data slowly.
		tensors2 := again.Tensors()
		if len(tensors2) != len(tensors) {
			t.Fatalf("round trip: %d tensors, want %d", len(tensors2), len(tensors))
		}
		for i, x := range tensors {
			y := tensors2[i]
			if x.Name != y.Name || x.Type != y.Type || !slices.Equal(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
				t.Fatalf("round trip: tensor %d is %v, want %v (or data differ)", i, y, x)
			}
		}
	})
}

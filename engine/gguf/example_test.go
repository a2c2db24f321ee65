package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tensor"
)

func ExampleOpen() {
	f, err := gguf.Open("testdata/kquant/model-q4_k_m.gguf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	dim, _ := f.Uint(f.Arch() + ".embedding_length")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	w, _ := f.Tensor("blk.0.attn_q.weight")
	fmt.Println(f.Arch(), dim, len(tokens))
	fmt.Println(w.Type, w.Shape, w.Rows(), w.Cols())
	// Output:
	// llama 256 384
	// Q4_K [256 256] 256 256
}

func ExampleWrite() {
	// A 2×32 Q8_0 matrix: Shape is outermost first (rows, cols).
	values := make([]float32, 64)
	for i := range values {
		values[i] = float32(i) / 64
	}
	data := make([]byte, 2*tensor.Q8_0.BlockBytes())
	if err := tensor.Quantize(tensor.Q8_0, data, values); err != nil {
		log.Fatal(err)
	}
	meta := []gguf.KV{
		{Key: gguf.KeyArchitecture, Value: "llama"},
		{Key: "llama.block_count", Value: uint32(1)}, // llama.cpp wants uint32 counts
		{Key: "llama.rope.freq_base", Value: float32(10000)},
	}
	tensors := []tensor.Tensor{{Name: "w", Type: tensor.Q8_0, Shape: []int{2, 32}, Data: data}}
	dir, err := os.MkdirTemp("", "gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "example.gguf")
	if err := gguf.WriteFile(path, meta, tensors); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w, _ := f.Tensor("w")
	row := make([]float32, w.Cols())
	if err := tensor.Dequantize(w.Type, row, w.Row(1)); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v %.3f\n", w.Shape, row[31])
	// Output: [2 32] 0.984
}

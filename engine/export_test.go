package engine

import (
	"context"

	"github.com/switchboard/switchboard/engine/enginetest"
)

// writeTinyModel writes a 1-layer random model of width 8.
func writeTinyModel(path string) error {
	return enginetest.WriteModel(path, enginetest.Shape{Dim: 8, Layers: 1, Heads: 2, KVHeads: 1, FF: 16, Vocab: 257, Context: 8})
}

// LargestBatch returns the largest number of sequences a batched decode
// step of m has run together.
func LargestBatch(m *Model) int { return int(m.batch.largest.Load()) }

// ReserveKV holds n bytes of m's KV cache budget until release is called.
func ReserveKV(t interface{ Fatal(...any) }, m *Model, n int64) (release func()) {
	if err := m.reserveKV(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	return func() { m.releaseKV(n) }
}

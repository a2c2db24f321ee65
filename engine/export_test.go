package engine

import "github.com/switchboard/switchboard/engine/enginetest"

// writeTinyModel writes a 1-layer random model of width 8.
func writeTinyModel(path string) error {
	return enginetest.WriteModel(path, enginetest.Shape{Dim: 8, Layers: 1, Heads: 2, KVHeads: 1, FF: 16, Vocab: 257, Context: 8})
}

// LargestBatch returns the largest number of sequences a batched decode
// step of m has run together.
func LargestBatch(m *Model) int { return int(m.batch.largest.Load()) }

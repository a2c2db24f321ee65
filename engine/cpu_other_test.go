//go:build !unix

package engine_test

// processCPU is unavailable here: the per-CPU-second metrics are omitted.
func processCPU() float64 { return 0 }

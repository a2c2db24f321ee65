//go:build unix

package engine_test

import "syscall"

// processCPU returns the CPU time (user + system) the process has used,
// in seconds: benchmarks report work per CPU-second beside work per
// wall-second, a figure that other load on the machine barely moves.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

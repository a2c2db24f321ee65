//go:build !linux

package knowledge

import "time"

// cpuTime and threadCPUTime are measured on Linux only; elsewhere the
// benchmarks report zero for them.
func cpuTime() time.Duration { return 0 }

func threadCPUTime() time.Duration { return 0 }

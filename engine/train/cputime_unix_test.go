//go:build unix

package train

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) this process has used, so
// that benchmarks on a loaded machine can report work per CPU-second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package knowledge

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime is the user + system CPU time of the process so far: on a busy
// machine it says what a build costs better than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPUTime is the CPU time of the calling thread so far, to the
// nanosecond (getrusage counts threads in scheduler ticks).
func threadCPUTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

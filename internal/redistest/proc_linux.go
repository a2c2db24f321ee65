package redistest

import "syscall"

// sysProcAttr makes the kernel kill redis-server if the test process dies
// without running its cleanups (a panic, a timeout, kill -9).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

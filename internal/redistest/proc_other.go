//go:build !linux

package redistest

import "syscall"

// sysProcAttr: only Linux can tie the child's life to the test process;
// elsewhere t.Cleanup alone stops the servers.
func sysProcAttr() *syscall.SysProcAttr { return nil }

package main

import "syscall"

// childAttr makes the kernel kill a load test's replicas and redis-server
// if the load test dies without stopping them.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

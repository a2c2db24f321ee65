//go:build !linux

package main

import (
	"errors"
	"syscall"
)

// childAttr is empty where there is no parent-death signal.
func childAttr() *syscall.SysProcAttr { return nil }

// pinThreads is not supported outside Linux.
func pinThreads(pid, cpu int) error { return errors.New("pinning threads needs Linux") }

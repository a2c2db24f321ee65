//go:build unix

package gguf

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps size bytes of fd read-only and returns the mapping and the
// function that unmaps it.
func mapFile(fd *os.File, size int) ([]byte, func() error, error) {
	data, err := syscall.Mmap(int(fd.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

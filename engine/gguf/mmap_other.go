//go:build !unix

package gguf

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the file into memory where memory mapping is not
// implemented.
func mapFile(fd *os.File, size int) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(fd, data); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	return data, func() error { return nil }, nil
}

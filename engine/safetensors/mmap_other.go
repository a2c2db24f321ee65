//go:build !unix

package safetensors

import (
	"io"
	"os"
)

// mmap reads the file into memory where mapping is unavailable.
func mmap(fd *os.File, size int64) ([]byte, func() error, error) {
	data, err := io.ReadAll(fd)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

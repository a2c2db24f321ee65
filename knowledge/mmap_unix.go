//go:build linux || darwin || freebsd

package knowledge

import (
	"fmt"
	"os"
	"syscall"
)

// MapFile memory-maps the index file at path and returns an Index that
// reads its postings, vectors and text in place, so a large help centre
// starts in well under a second. The returned release function unmaps the
// file; call it only once nothing uses the index any more (after swapping
// in another one and letting in-flight searches finish), or never.
func MapFile(path string) (*Index, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("map index: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("map index: %w", err)
	}
	size := info.Size()
	if size <= 0 || size > MaxIndexFileBytes {
		return nil, nil, fmt.Errorf("map index %s: %w: size %d", path, ErrIndexFormat, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map index %s: %w", path, err)
	}
	release := func() error { return syscall.Munmap(data) }
	ix, err := decodeIndex(data)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("map index %s: %w", path, err)
	}
	return ix, release, nil
}

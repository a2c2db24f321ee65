//go:build !(linux || darwin || freebsd)

package knowledge

// MapFile reads the index file at path into memory (this platform has no
// memory mapping here); release does nothing.
func MapFile(path string) (*Index, func() error, error) {
	ix, err := ReadIndex(path)
	if err != nil {
		return nil, nil, err
	}
	return ix, func() error { return nil }, nil
}

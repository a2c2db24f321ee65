package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/switchboard/switchboard/engine/tensor"
)

// IndexName is the file that maps tensor names to shards in a folder.
const IndexName = "model.safetensors.index.json"

// maxIndexSize bounds the index file read into memory.
const maxIndexSize = 64 << 20

// A Set is the tensors of one or several files, as a model folder holds
// them. Its methods may be called concurrently; Close must not overlap them.
type Set struct {
	files   []*File
	tensors map[string]tensor.Tensor
}

// OpenDir opens the safetensors files of a Hugging Face model folder: the
// shards named by model.safetensors.index.json when the folder has one,
// otherwise every *.safetensors file in it. A tensor name found in two
// files is an error.
func OpenDir(dir string) (*Set, error) {
	paths, err := shardPaths(dir)
	if err != nil {
		return nil, err
	}
	return OpenFiles(paths...)
}

// OpenFiles opens the given safetensors files as one set.
func OpenFiles(paths ...string) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("open safetensors: no files")
	}
	s := &Set{tensors: map[string]tensor.Tensor{}}
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.files = append(s.files, f)
		for name, t := range f.tensors {
			if _, dup := s.tensors[name]; dup {
				s.Close()
				return nil, &FormatError{Path: p, Tensor: name, Msg: "tensor also present in another file", Err: ErrCorrupt}
			}
			s.tensors[name] = t
		}
	}
	return s, nil
}

func shardPaths(dir string) ([]string, error) {
	idx := filepath.Join(dir, IndexName)
	fd, err := os.Open(idx)
	if errors.Is(err, os.ErrNotExist) {
		paths, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
		if err != nil {
			return nil, fmt.Errorf("list safetensors: %w", err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("open safetensors: no *.safetensors file in %s", dir)
		}
		sort.Strings(paths)
		return paths, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open safetensors index: %w", err)
	}
	defer fd.Close()
	b, err := io.ReadAll(io.LimitReader(fd, maxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("read safetensors index: %w", err)
	}
	if len(b) > maxIndexSize {
		return nil, &FormatError{Path: idx, Msg: "index larger than 64 MiB", Err: ErrCorrupt}
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		return nil, &FormatError{Path: idx, Msg: "index is not valid JSON: " + err.Error(), Err: ErrCorrupt}
	}
	seen := map[string]bool{}
	var paths []string
	for name, file := range index.WeightMap {
		// A shard name is a plain file name in the folder, never a path out of it.
		if file == "" || file != filepath.Base(file) || strings.HasPrefix(file, ".") {
			return nil, &FormatError{Path: idx, Tensor: name, Msg: fmt.Sprintf("shard %q is not a file name in the folder", file), Err: ErrCorrupt}
		}
		if !seen[file] {
			seen[file] = true
			paths = append(paths, filepath.Join(dir, file))
		}
	}
	if len(paths) == 0 {
		return nil, &FormatError{Path: idx, Msg: "weight_map is empty", Err: ErrCorrupt}
	}
	sort.Strings(paths)
	return paths, nil
}

// Tensor returns the named tensor.
func (s *Set) Tensor(name string) (tensor.Tensor, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// Names returns every tensor name, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.tensors))
	for n := range s.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Close releases every file of the set.
func (s *Set) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}

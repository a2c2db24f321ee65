package train

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// checkpointMagic opens every checkpoint file.
const checkpointMagic = "SWBDCKPT1\n"

// ErrCheckpoint reports a checkpoint file that cannot be resumed from.
var ErrCheckpoint = errors.New("train: bad checkpoint")

// checkpointHeader is the JSON part of a checkpoint; the parameters and
// the two Adam moments follow as little-endian float32 arrays.
type checkpointHeader struct {
	Config Config
	Opts   Options
	Step   int
	Cursor int64
	Params int
	Extra  json.RawMessage `json:",omitempty"`
}

// SaveCheckpoint writes everything needed to resume exactly: weights,
// Adam moments, step, data cursor and options, plus extra (any JSON the
// caller wants back, such as the vocabulary), to path atomically: a
// temporary file in the same directory, synced, then renamed.
func (t *Trainer) SaveCheckpoint(path string, extra any) (err error) {
	h := checkpointHeader{Config: t.Model.Config, Opts: t.Opts, Step: t.Step, Cursor: t.Cursor, Params: len(t.Model.Params)}
	if extra != nil {
		if h.Extra, err = json.Marshal(extra); err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(checkpointMagic)
	binary.Write(w, binary.LittleEndian, uint64(len(hdr)))
	w.Write(hdr)
	buf := make([]byte, 4<<10)
	for _, v := range [][]float32{t.Model.Params, t.m1, t.m2} {
		if err := writeFloats(w, v, buf); err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

func writeFloats(w io.Writer, v []float32, buf []byte) error {
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

func readFloats(r io.Reader, v []float32, buf []byte) error {
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*n]); err != nil {
			return err
		}
		for i := range v[:n] {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		v = v[n:]
	}
	return nil
}

// Resume reads a checkpoint written by SaveCheckpoint and returns a
// Trainer in exactly the state it was saved in, and the extra JSON.
// threads overrides the saved thread count when positive (results do not
// depend on it); steps, when positive, extends or shortens the run (which
// changes the learning-rate schedule from then on).
func Resume(path string, threads, steps int) (*Trainer, json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return nil, nil, fmt.Errorf("resume %s: %w: not a checkpoint", path, ErrCheckpoint)
	}
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 64<<20 {
		return nil, nil, fmt.Errorf("resume %s: %w: header size", path, ErrCheckpoint)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w: %v", path, ErrCheckpoint, err)
	}
	var h checkpointHeader
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w: %v", path, ErrCheckpoint, err)
	}
	m, err := NewModel(h.Config, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", path, err)
	}
	if len(m.Params) != h.Params {
		return nil, nil, fmt.Errorf("resume %s: %w: %d parameters, config has %d", path, ErrCheckpoint, h.Params, len(m.Params))
	}
	if threads > 0 {
		h.Opts.Threads = threads
	}
	if steps > 0 {
		h.Opts.Steps = steps
	}
	t, err := New(m, h.Opts)
	if err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", path, err)
	}
	buf := make([]byte, 4<<10)
	for _, v := range [][]float32{m.Params, t.m1, t.m2} {
		if err := readFloats(r, v, buf); err != nil {
			t.Close()
			return nil, nil, fmt.Errorf("resume %s: %w: %v", path, ErrCheckpoint, err)
		}
	}
	t.Step, t.Cursor = h.Step, h.Cursor
	return t, h.Extra, nil
}

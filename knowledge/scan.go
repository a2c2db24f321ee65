package knowledge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/switchboard/switchboard/engine/tensor"
	"gonum.org/v1/gonum/mat"
)

// Chunk vectors are kept quantized to 8 bits, as tensor.Q8_0 rows (blocks
// of 32 values sharing a float16 scale): a quarter of the memory of
// float32, and a scan that multiplies integers with the engine's SIMD
// kernels. Against the float32 cosine the error is about 1e-4 (a
// quantization step is max|x|/127 per block of unit-length vectors), far
// below the gaps that decide a ranking; TestQuantizedScan checks the top
// results against an exact float64 scan.
//
// The scan treats the query as the one stored row and the chunks as the
// batch of vectors, so the kernel meets four chunks per pass (the engine's
// one-row × four-vector form). The chunks are held in that batch layout
// (tensor.Q8) in segments of segmentChunks, rebuilt from the rows when an
// index file is mapped; the rows themselves are what the file stores.
const (
	vecBlock      = tensor.QK // values per quantization block
	segmentChunks = 2048
	// Indexes of more than parallelChunks chunks split the scan across
	// up to maxScanHelpers goroutines besides the searching one, started
	// before BM25 runs so the two overlap.
	parallelChunks = 16 * segmentChunks
	maxScanHelpers = 3
)

// vectors holds n unit chunk vectors of width values (the latent rank
// rounded up to whole blocks; the padding is zero).
type vectors struct {
	width, n int
	rows     []byte      // n rows of tensor.Q8_0, rowBytes each: the stored form
	segs     []tensor.Q8 // the same quants in segments of segmentChunks, for the kernel
	out      sync.Pool   // *[]float32 of segmentChunks scores
}

// blocksFor rounds rank up to whole quantization blocks.
func blocksFor(rank int) int { return (rank + vecBlock - 1) / vecBlock * vecBlock }

// rowBytes is the size of one quantized vector of width values.
func rowBytes(width int) int { return width / vecBlock * tensor.Q8_0.BlockBytes() }

// quantizeChunks scales each row of c (chunks × rank) to unit length,
// pads it to whole blocks and quantizes it to a tensor.Q8_0 row.
func quantizeChunks(c *mat.Dense) []byte {
	n, rank := c.Dims()
	width := blocksFor(rank)
	rb := rowBytes(width)
	rows := make([]byte, n*rb)
	v := make([]float32, width)
	for i := range n {
		row := c.RawRowView(i)
		var norm float64
		for _, x := range row {
			norm += x * x
		}
		scale := 0.0
		if norm > 0 {
			scale = 1 / math.Sqrt(norm)
		}
		for j, x := range row {
			v[j] = float32(x * scale)
		}
		if err := tensor.Quantize(tensor.Q8_0, rows[i*rb:(i+1)*rb], v); err != nil {
			panic(err) // the sizes are computed above
		}
	}
	return rows
}

// newDenseModel makes a model over rows, which it keeps (an index file's
// rows are used in place). It refuses rows of the wrong size or with
// scales that are not finite numbers.
func newDenseModel(rank int, terms []float32, rows []byte, weight float64) (*denseModel, error) {
	m := &denseModel{rank: rank, terms: terms, weight: weight}
	m.width = blocksFor(rank)
	rb := rowBytes(m.width)
	if rank <= 0 || len(terms)%rank != 0 || len(rows)%rb != 0 {
		return nil, fmt.Errorf("%w: dense vectors of %d bytes do not fit rank %d", ErrIndexFormat, len(rows), rank)
	}
	m.rows, m.n = rows, len(rows)/rb
	bb := tensor.Q8_0.BlockBytes()
	for off := 0; off < len(rows); off += bb {
		if h := binary.LittleEndian.Uint16(rows[off:]); h&0x7c00 == 0x7c00 {
			return nil, fmt.Errorf("%w: dense vector %d has a scale that is not a number", ErrIndexFormat, off/rb)
		}
	}
	m.segs = make([]tensor.Q8, (m.n+segmentChunks-1)/segmentChunks)
	// Mapping a large index file spends most of its time here: split it.
	workers := min(runtime.GOMAXPROCS(0), len(m.segs))
	errs := make([]error, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, segmentChunks*m.width)
			for i := int(next.Add(1) - 1); i < len(m.segs); i = int(next.Add(1) - 1) {
				c0, c1 := i*segmentChunks, min(m.n, (i+1)*segmentChunks)
				x := buf[:(c1-c0)*m.width]
				if err := tensor.Dequantize(tensor.Q8_0, x, rows[c0*rb:c1*rb]); err != nil {
					errs[w] = fmt.Errorf("%w: dense vectors: %w", ErrIndexFormat, err)
					return
				}
				// Re-quantizing dequantized Q8_0 values gives back the
				// same quants and scales: a block's largest value is its
				// scale × 127.
				m.segs[i].Quantize(tensor.Q8_0, x, m.width)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.out.New = func() any {
		s := make([]float32, segmentChunks)
		return &s
	}
	return m, nil
}

// A denseScan is one query's scan over the chunk vectors. Segments are
// claimed one at a time from a shared counter by the searching goroutine
// and any helpers, so a helper the scheduler starts late just finds less
// to do; one that has not started by the time the searcher has claimed
// everything is not waited for (it exits at once when it does start).
// Every scan that was started must be finished with wait.
type denseScan struct {
	m       *denseModel
	q       []byte // the query as one tensor.Q8_0 row
	k       int
	next    atomic.Int64 // next segment to claim
	helpers []scanHelper
	parts   [][]hit // each worker's best k, unordered; parts[0] is the searcher's
}

// A scanHelper is one helper goroutine's state: helperWaiting until it
// starts or is dropped, then helperRunning (done is closed when it ends)
// or helperDropped.
type scanHelper struct {
	state atomic.Int32
	done  chan struct{}
}

const (
	helperWaiting = iota
	helperRunning
	helperDropped
)

// startSearch quantizes the unit query vector q (width values) and, on a
// large index, starts helpers on the scan; wait returns the k chunks with
// the highest positive cosine.
func (m *denseModel) startSearch(q []float32, k int) *denseScan {
	helpers := 0
	if m.n > parallelChunks {
		helpers = min(runtime.GOMAXPROCS(0)-1, maxScanHelpers)
	}
	return m.startScan(q, k, helpers)
}

// startScan is startSearch with the number of helper goroutines given
// (at most one per segment after the first).
func (m *denseModel) startScan(q []float32, k, helpers int) *denseScan {
	s := &denseScan{m: m, k: k, q: make([]byte, rowBytes(m.width))}
	if err := tensor.Quantize(tensor.Q8_0, s.q, q); err != nil {
		panic(err) // q has width values
	}
	helpers = max(0, min(helpers, len(m.segs)-1))
	s.parts = make([][]hit, 1+helpers)
	s.helpers = make([]scanHelper, helpers)
	for i := range s.helpers {
		h := &s.helpers[i]
		h.done = make(chan struct{})
		go func() {
			if !h.state.CompareAndSwap(helperWaiting, helperRunning) {
				return // dropped: the searcher did it all
			}
			defer close(h.done)
			s.parts[1+i] = s.work()
		}()
	}
	return s
}

// wait scans what the helpers have not claimed, waits for the helpers
// that started, and returns the best k, best first.
func (s *denseScan) wait() []hit {
	s.parts[0] = s.work()
	all := s.parts[0]
	for i := range s.helpers {
		h := &s.helpers[i]
		if h.state.CompareAndSwap(helperWaiting, helperDropped) {
			continue
		}
		<-h.done
		all = append(all, s.parts[1+i]...)
	}
	return topK(all, s.k)
}

// work claims segments until none are left and returns the best k of
// them, unordered.
func (s *denseScan) work() []hit {
	m := s.m
	out := m.out.Get().(*[]float32)
	defer m.out.Put(out)
	h := make([]hit, 0, s.k)
	// A score below the worst kept one cannot enter h; an equal one may
	// (ties go to the earlier chunk, and segments are claimed out of order).
	var floor float32
	for {
		i := int(s.next.Add(1) - 1)
		if i >= len(m.segs) {
			return h
		}
		seg := &m.segs[i]
		scores := (*out)[:seg.Len()]
		tensor.DotQ8Rows(tensor.Q8_0, s.q, 1, seg, scores, 1)
		base := int32(i * segmentChunks)
		for j, v := range scores {
			if v >= floor && v > 0 {
				h = pushTop(h, s.k, hit{base + int32(j), float64(v)})
				if len(h) == s.k {
					floor = max(floor, float32(h[0].score))
				}
			}
		}
	}
}

// search returns the k chunks with the highest positive cosine to the
// unit query vector q.
func (m *denseModel) search(q []float32, k int) []hit {
	return m.startSearch(q, k).wait()
}

package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A rowTask is work over independent rows [lo, hi): the rows of a matrix
// product, or the (token, head) pairs of attention.
type rowTask interface {
	rows(lo, hi int)
}

// A pool is a fixed set of worker goroutines that split row tasks between
// them. It is owned by a Model, which stops it in Close.
//
// A forward pass hands the pool about ten tasks per layer, each a few
// tens of microseconds long, so handing over must cost far less than
// waking a goroutine through a channel: a task is published by bumping a
// generation number that the workers watch, spinning for a moment after
// each task before they park (as llama.cpp's threads do). Rows are
// claimed in chunks from a shared counter, so a thread that is slowed
// down (by another process on its core) leaves its share to the others
// instead of holding the whole task back. run may be called concurrently
// by several sequences; their tasks take turns.
type pool struct {
	threads int
	mu      sync.Mutex // held by run: one task at a time

	// word is the published task's generation (upper 32 bits), a closed
	// flag (bit 31: no worker may join any more) and the number of
	// workers that joined it and have not left (low bits). The fields
	// below are written by run only while the task is closed and read by
	// workers only while they are joined.
	_     [64]byte // the counters each on a cache line of its own:
	word  atomic.Uint64
	_     [56]byte     // workers poll word while run and claim write the others
	next  atomic.Int64 // first unclaimed row
	_     [56]byte
	done  atomic.Int64 // rows finished
	_     [56]byte
	task  rowTask
	n     int
	chunk int

	sleepMu  sync.Mutex
	wake     *sync.Cond
	sleepers atomic.Int32 // workers parked on wake
	quit     atomic.Bool
	wg       sync.WaitGroup // the workers
}

const (
	closedBit = 1 << 31
	refMask   = closedBit - 1
	// spinFor is how long an idle worker watches for the next task before
	// it parks: longer than the gaps between the tasks of one forward pass
	// (norms, quantizing the activations) and the sampling between decode
	// steps, short enough not to hold a core from other work for long.
	// With other processes on the cores those gaps stretch whenever the
	// OS runs them instead, and a worker that parks then makes every later
	// task wait for its wake-up: at 200µs a batched step of eight GPT-2
	// sized sequences on two busy cores took 15-16.5 ms, at 2 ms 10-11.
	spinFor = 2 * time.Millisecond
	// chunksPerThread is how finely a task's rows are split.
	chunksPerThread = 4
)

// newPool starts threads-1 workers: the caller of run does a share itself.
func newPool(threads int) *pool {
	p := &pool{threads: max(1, threads)}
	p.wake = sync.NewCond(&p.sleepMu)
	p.word.Store(closedBit)
	for i := 1; i < p.threads; i++ {
		p.wg.Add(1)
		go p.worker()
	}
	return p
}

// run calls t.rows over [0, n), in chunks of at least minRows rows spread
// over the pool's threads, and returns when all are done.
func (p *pool) run(t rowTask, n, minRows int) {
	if n <= 0 {
		return
	}
	parts := min(p.threads*chunksPerThread, n/max(1, minRows))
	if p.threads == 1 || parts <= 1 {
		t.rows(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task, p.n, p.chunk = t, n, (n+parts-1)/parts
	p.next.Store(0)
	p.done.Store(0)
	gen := p.word.Load()>>32 + 1
	p.word.Store(gen << 32) // open, no workers joined
	if p.sleepers.Load() > 0 {
		p.sleepMu.Lock()
		p.wake.Broadcast()
		p.sleepMu.Unlock()
	}
	p.claim()
	// Wait for the chunks other threads claimed, then close the task
	// once the last worker has left it.
	for i := 0; p.done.Load() < int64(n); i++ {
		backoff(i)
	}
	for i := 0; ; i++ {
		w := p.word.Load()
		if w&refMask == 0 && p.word.CompareAndSwap(w, w|closedBit) {
			break
		}
		backoff(i)
	}
	p.task = nil
}

// claim runs chunks of the current task until none is left.
func (p *pool) claim() {
	for {
		lo := int(p.next.Add(int64(p.chunk))) - p.chunk
		if lo >= p.n {
			return
		}
		hi := min(lo+p.chunk, p.n)
		p.task.rows(lo, hi)
		p.done.Add(int64(hi - lo))
	}
}

// worker is the loop of each worker goroutine.
func (p *pool) worker() {
	defer p.wg.Done()
	var seen uint64 // the last generation joined or skipped
	for {
		w := p.await(seen)
		if p.quit.Load() {
			return
		}
		seen = w >> 32
		// Join unless the task is already finished and closed; the CAS
		// fails when another worker joined at the same moment.
		for w&closedBit == 0 && w>>32 == seen {
			if p.word.CompareAndSwap(w, w+1) {
				p.claim()
				p.word.Add(^uint64(0)) // leave
				break
			}
			w = p.word.Load()
		}
	}
}

// await returns the pool's word once its generation differs from seen
// (or the pool is closing), spinning for spinFor and then parking.
func (p *pool) await(seen uint64) uint64 {
	start := time.Now()
	for i := 0; ; i++ {
		w := p.word.Load()
		if w>>32 != seen || p.quit.Load() {
			return w
		}
		if i&63 == 63 {
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	p.sleepMu.Lock()
	defer p.sleepMu.Unlock()
	p.sleepers.Add(1)
	defer p.sleepers.Add(-1)
	for {
		w := p.word.Load()
		if w>>32 != seen || p.quit.Load() {
			return w
		}
		p.wake.Wait()
	}
}

// backoff is the wait of iteration i of a spin loop: give the processor
// to other goroutines now and then (a joined worker may need it).
func backoff(i int) {
	if i&63 == 63 {
		runtime.Gosched()
	}
}

// close stops the workers and waits for them.
func (p *pool) close() {
	p.sleepMu.Lock()
	p.quit.Store(true)
	p.wake.Broadcast()
	p.sleepMu.Unlock()
	p.wg.Wait()
}

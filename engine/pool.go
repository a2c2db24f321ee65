package engine

import "sync"

// A rowTask is work over independent rows [lo, hi): the rows of a matrix
// product, or the (token, head) pairs of attention.
type rowTask interface {
	rows(lo, hi int)
}

// chunk is one part of a rowTask handed to a worker.
type chunk struct {
	task   rowTask
	lo, hi int
	done   *sync.WaitGroup
}

// A pool is a fixed set of worker goroutines that split row tasks between
// them. It is owned by a Model, which stops it in Close. run may be called
// concurrently by several sequences; their chunks interleave.
type pool struct {
	threads int
	work    chan chunk
	wg      sync.WaitGroup // the workers
}

// newPool starts threads-1 workers: the caller of run does one share itself.
func newPool(threads int) *pool {
	p := &pool{threads: threads, work: make(chan chunk, 4*threads)}
	for i := 1; i < threads; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for c := range p.work {
				c.task.rows(c.lo, c.hi)
				c.done.Done()
			}
		}()
	}
	return p
}

// run calls t.rows over [0, n) split into one range per thread and returns
// when all are done. done is the caller's (one per sequence, so that run
// does not allocate). minRows is the smallest range worth a thread.
func (p *pool) run(t rowTask, n, minRows int, done *sync.WaitGroup) {
	parts := p.threads
	if n/minRows < parts {
		parts = n / minRows
	}
	if parts <= 1 {
		t.rows(0, n)
		return
	}
	done.Add(parts - 1)
	for i := 1; i < parts; i++ {
		p.work <- chunk{task: t, lo: n * i / parts, hi: n * (i + 1) / parts, done: done}
	}
	t.rows(0, n/parts)
	done.Wait()
}

// close stops the workers and waits for them.
func (p *pool) close() {
	close(p.work)
	p.wg.Wait()
}

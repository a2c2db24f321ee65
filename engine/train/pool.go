package train

import (
	"sync"
	"sync/atomic"
)

// A job is work split into independent items [0, n): tiles of a matrix
// product, (sequence, head) pairs of attention, rows of a norm. Items
// must write disjoint outputs, so that the result does not depend on
// which goroutine runs which item.
type job interface {
	item(i int)
}

// A pool is a fixed set of worker goroutines, started by newPool and
// stopped by close; its owner is the Trainer. run hands out items through
// an atomic counter and does not allocate.
type pool struct {
	threads int
	start   []chan struct{}
	wg      sync.WaitGroup // items of the current run
	workers sync.WaitGroup // the goroutines

	j    job
	n    int
	next atomic.Int64
}

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{threads: threads, start: make([]chan struct{}, threads-1)}
	for i := range p.start {
		ch := make(chan struct{})
		p.start[i] = ch
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			for range ch {
				p.drain()
				p.wg.Done()
			}
		}()
	}
	return p
}

func (p *pool) drain() {
	for {
		i := int(p.next.Add(1) - 1)
		if i >= p.n {
			return
		}
		p.j.item(i)
	}
}

// run calls j.item(i) for every i in [0, n) on all threads and returns
// when all are done. It must not be called concurrently.
func (p *pool) run(j job, n int) {
	if n <= 0 {
		return
	}
	if n == 1 || p.threads == 1 {
		for i := 0; i < n; i++ {
			j.item(i)
		}
		return
	}
	p.j, p.n = j, n
	p.next.Store(0)
	workers := min(len(p.start), n-1)
	p.wg.Add(workers)
	for i := 0; i < workers; i++ {
		p.start[i] <- struct{}{}
	}
	p.drain()
	p.wg.Wait()
	p.j = nil
}

// close stops the workers and waits for them to exit.
func (p *pool) close() {
	for _, ch := range p.start {
		close(ch)
	}
	p.workers.Wait()
}

package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countTask counts how often each row is run.
type countTask struct{ hits []atomic.Int32 }

func (t *countTask) rows(lo, hi int) {
	for r := lo; r < hi; r++ {
		t.hits[r].Add(1)
	}
}

// TestPoolRunsEveryRowOnce runs tasks of many sizes from several
// goroutines at once, with pauses long enough for the workers to park,
// and checks that each row of each task ran exactly once before run
// returned.
func TestPoolRunsEveryRowOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			p := newPool(threads)
			defer p.close()
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 200; i++ {
						n := (i*37+g)%300 + 1
						task := &countTask{hits: make([]atomic.Int32, n)}
						p.run(task, n, 1+i%5)
						for r := range task.hits {
							if got := task.hits[r].Load(); got != 1 {
								t.Errorf("task of %d rows: row %d ran %d times, want 1", n, r, got)
								return
							}
						}
						if i%50 == 0 {
							time.Sleep(2 * spinFor) // let the workers park
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestPoolCloseStopsWorkers checks that close returns (the workers end)
// whether they are spinning or parked.
func TestPoolCloseStopsWorkers(t *testing.T) {
	for _, wait := range []time.Duration{0, 3 * spinFor} {
		p := newPool(4)
		p.run(&countTask{hits: make([]atomic.Int32, 64)}, 64, 1)
		time.Sleep(wait)
		done := make(chan struct{})
		go func() { p.close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("close after %v idle did not return", wait)
		}
	}
}

// BenchmarkPoolRun measures handing a small task (64 rows of about 0.2µs)
// to the pool: mostly the cost of waking and joining the workers.
func BenchmarkPoolRun(b *testing.B) {
	p := newPool(2)
	defer p.close()
	task := &countTask{hits: make([]atomic.Int32, 64)}
	for i := 0; i < b.N; i++ {
		p.run(task, 64, 1)
	}
}

package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// A batcher runs the decode steps of concurrent sequences as one batched
// forward pass (continuous batching): each weight row is read once per
// step for every sequence stepping, instead of once per sequence. Its
// goroutine is owned by the Model: started by the first Step, stopped by
// Model.Close. Sequences join by calling Step and leave by not calling it
// again; between steps the batch is whatever has been submitted.
type batcher struct {
	m       *Model
	start   sync.Once
	started atomic.Bool
	reqs    chan stepReq
	quit    chan struct{}
	done    chan struct{}
	active  atomic.Int32 // sequences in a decode loop (see Model.decoding)
	ws      *State       // activation buffers of a batched step
	logits  []float32    // (maxStep, Vocab) output of a batched step
	batch   []stepReq
	seqs    []*State
	tokens  []int
	waitFor time.Duration // how long a step waits for stragglers
	largest atomic.Int32  // the largest batch run so far, for tests
}

// maxStep is the largest number of sequences one batched decode step runs.
const maxStep = 32

// A stepReq asks for one token to be decoded on a State.
type stepReq struct {
	s   *State
	tok int
}

func newBatcher(m *Model) *batcher {
	return &batcher{
		m: m, reqs: make(chan stepReq), quit: make(chan struct{}), done: make(chan struct{}),
		waitFor: 2 * time.Millisecond,
	}
}

// Step appends tok to the sequence and returns the logits that predict
// the next token, as Forward([]int{tok}) does, but runs the step batched
// with the Steps of other States of the same Model in flight at the same
// moment. The logits are owned by s and overwritten by the next call.
func (s *State) Step(ctx context.Context, tok int) ([]float32, error) {
	m := s.m
	if tok < 0 || tok >= m.Config.Vocab {
		return nil, fmt.Errorf("step: token id %d outside the vocabulary of %d", tok, m.Config.Vocab)
	}
	if s.pos+1 > s.capacity {
		return nil, fmt.Errorf("step at position %d: %w (%d)", s.pos, ErrContext, s.capacity)
	}
	b := m.batch
	b.start.Do(func() {
		b.started.Store(true)
		go b.loop()
	})
	if s.stepped == nil {
		s.stepped = make(chan error, 1)
	}
	select {
	case b.reqs <- stepReq{s: s, tok: tok}:
	case <-b.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once submitted, the step runs to its end (a few milliseconds): the
	// State's cache is in use until then, so wait for it whatever ctx says.
	if err := <-s.stepped; err != nil {
		return nil, err
	}
	return s.logits, nil
}

// Decoding counts a sequence as taking part in batched steps (State.Step)
// until the returned function is called, so that each step waits a moment
// (at most 2ms) for all of them to submit before it runs. Call it when a
// sequence's decode loop starts and leave when it ends.
func (m *Model) Decoding() (leave func()) {
	m.batch.active.Add(1)
	return func() { m.batch.active.Add(-1) }
}

// loop is the batcher's goroutine.
func (b *batcher) loop() {
	defer close(b.done)
	for {
		var first stepReq
		select {
		case first = <-b.reqs:
		case <-b.quit:
			return
		}
		b.batch = append(b.batch[:0], first)
		// Gather the other sequences' steps: those already submitted, and
		// for a moment those still sampling their previous token.
		deadline := time.Now().Add(b.waitFor)
	gather:
		for len(b.batch) < maxStep {
			select {
			case r := <-b.reqs:
				b.batch = append(b.batch, r)
				continue
			default:
			}
			if int32(len(b.batch)) >= b.active.Load() || !time.Now().Before(deadline) {
				break gather
			}
			select {
			case r := <-b.reqs:
				b.batch = append(b.batch, r)
			case <-time.After(100 * time.Microsecond):
			}
		}
		if n := int32(len(b.batch)); n > b.largest.Load() {
			b.largest.Store(n)
		}
		b.run()
		for _, r := range b.batch {
			r.s.stepped <- nil
		}
	}
}

// run decodes one token for every request of b.batch.
func (b *batcher) run() {
	if len(b.batch) == 1 {
		r := b.batch[0]
		r.s.forward([]int{r.tok}, nil)
		r.s.logitsOf(0)
		return
	}
	m := b.m
	if b.ws == nil {
		b.ws = m.NewState(1)
		b.logits = make([]float32, maxStep*m.Config.Vocab)
	}
	b.seqs, b.tokens = b.seqs[:0], b.tokens[:0]
	for _, r := range b.batch {
		b.seqs = append(b.seqs, r.s)
		b.tokens = append(b.tokens, r.tok)
	}
	ws, c, B := b.ws, &m.Config, len(b.batch)
	ws.forward(b.tokens, b.seqs)
	for i := 0; i < B; i++ {
		ws.norm(ws.xb[i*c.Dim:(i+1)*c.Dim], ws.x[i*c.Dim:(i+1)*c.Dim], m.Weights.OutNorm, m.Weights.OutNormBias)
	}
	ws.matmul(b.logits, ws.xb, m.Weights.Output, B)
	for i, s := range b.seqs {
		copy(s.logits, b.logits[i*c.Vocab:(i+1)*c.Vocab])
	}
}

// stop ends the goroutine, if it started, once the step in progress is
// done; Steps submitted later fail with ErrClosed.
func (b *batcher) stop() {
	b.start.Do(func() {}) // no goroutine starts after this
	close(b.quit)
	if b.started.Load() {
		<-b.done
	}
}

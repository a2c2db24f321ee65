// Package inflight owns the goroutines a chat adapter starts for work
// that outlives the request that asked for it: replies produced after the
// platform's webhook was acknowledged, button clicks, timers, and calls
// abandoned at their timeout. A Group bounds that work, gives it a
// context that Shutdown cancels, and waits for it, so that an adapter's
// Shutdown can drain replies in flight and then stop without leaking a
// goroutine.
//
// # Lifecycle
//
// Go, AfterFunc and Detach start work until Shutdown is called. Shutdown
// refuses new work, waits for the work in flight until its ctx is done,
// then cancels the work's context and waits for every goroutine to
// return. A second Shutdown returns ErrClosed.
package inflight

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

var (
	// ErrBusy is returned by Go when the Group is shut down or Limit
	// goroutines are running.
	ErrBusy = errors.New("inflight: shut down or at the limit")
	// ErrClosed is returned by a second Shutdown.
	ErrClosed = errors.New("inflight: already shut down")
)

// Options configure a Group; the zero value is a Group without limits.
type Options struct {
	// Limit bounds the goroutines started by Go and running at once.
	// Zero or less means no bound.
	Limit int
	// Timeout bounds the context of each goroutine started by Go. Zero
	// or less means only Shutdown cancels it.
	Timeout time.Duration
	// Logger receives the panics Go recovers. Nil means slog.Default().
	Logger *slog.Logger
	// Name names the work in logs ("slack reply" logs "slack reply
	// panic"). Empty means "work".
	Name string
}

// A Group owns background goroutines; create it with New. Its methods
// are safe for concurrent use.
type Group struct {
	opts   Options
	ctx    context.Context // parent of the work's contexts; cancelled by Shutdown
	cancel context.CancelFunc

	work     sync.WaitGroup // Go and AfterFunc: drained before the cancel
	detached sync.WaitGroup // Detach: awaited only after the cancel

	mu      sync.Mutex
	closed  bool // guarded by mu
	running int  // guarded by mu: goroutines started by Go and running
}

// New returns a Group configured by o.
func New(o Options) *Group {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Name == "" {
		o.Name = "work"
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{opts: o, ctx: ctx, cancel: cancel}
}

// Go runs f in a goroutine the Group owns, with a context that Shutdown
// cancels and Timeout bounds. A panic in f is logged and recovered: it
// fails one piece of work, not the process. Go returns ErrBusy, without
// running f, once Shutdown has been called or while Limit goroutines are
// running.
func (g *Group) Go(f func(ctx context.Context)) error {
	g.mu.Lock()
	if g.closed || (g.opts.Limit > 0 && g.running >= g.opts.Limit) {
		g.mu.Unlock()
		return ErrBusy
	}
	g.running++
	g.work.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.work.Done()
		defer func() {
			g.mu.Lock()
			g.running--
			g.mu.Unlock()
		}()
		defer func() {
			if p := recover(); p != nil {
				g.opts.Logger.Error(g.opts.Name+" panic", "panic", p)
			}
		}()
		ctx, cancel := g.context()
		defer cancel()
		f(ctx)
	}()
	return nil
}

// context returns the context of one piece of work started by Go.
func (g *Group) context() (context.Context, context.CancelFunc) {
	if g.opts.Timeout > 0 {
		return context.WithTimeout(g.ctx, g.opts.Timeout)
	}
	return context.WithCancel(g.ctx)
}

// AfterFunc calls f in its own goroutine after d, like time.AfterFunc,
// and Shutdown (its drain included) waits until f has returned or stop
// has cancelled the call. stop reports whether it cancelled the call (f
// will not run); calling it again, or after f ran, does nothing and
// returns false. AfterFunc is not refused after Shutdown; call it only
// from work the Group owns (a goroutine started by Go), so that Shutdown
// cannot have finished waiting.
func (g *Group) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	g.work.Add(1)
	t := time.AfterFunc(d, func() {
		defer g.work.Done()
		f()
	})
	return func() bool {
		if t.Stop() {
			g.work.Done()
			return true
		}
		return false
	}
}

// Detach runs f in a goroutine the Group owns but does not count: for a
// call that cannot be cancelled and whose result its caller may abandon.
// Shutdown does not let such goroutines delay the cancel of the work in
// flight; it waits for them after it. Like AfterFunc, Detach is not
// refused after Shutdown.
func (g *Group) Detach(f func()) {
	g.detached.Add(1)
	go func() {
		defer g.detached.Done()
		f()
	}()
}

// Shutdown refuses new work (Go returns ErrBusy), waits for the work in
// flight until ctx is done, then cancels the work's context and waits
// for every goroutine the Group started to return. It returns ctx.Err()
// when the work had to be cancelled, and ErrClosed when it is not the
// first call (it then returns at once; see Drain).
func (g *Group) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	g.closed = true
	g.mu.Unlock()

	done := make(chan struct{})
	go func() {
		g.work.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.cancel()
	<-done
	g.detached.Wait()
	return err
}

// Drain is Shutdown for a caller that may not be the first: it returns
// nil instead of ErrClosed, and in that case waits until the goroutines
// of the Group (a Shutdown under way included) have returned.
func (g *Group) Drain(ctx context.Context) error {
	if err := g.Shutdown(ctx); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	g.Wait()
	return nil
}

// Wait returns once every goroutine the Group started has returned.
func (g *Group) Wait() {
	g.work.Wait()
	g.detached.Wait()
}

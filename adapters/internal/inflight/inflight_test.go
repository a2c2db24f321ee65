package inflight

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// block starts a piece of work on g that runs until release is closed or
// its context is done, and returns once it is running. The work records
// in cancelled whether its context ended it.
func block(t *testing.T, g *Group, release <-chan struct{}, cancelled *atomic.Bool) {
	t.Helper()
	started := make(chan struct{})
	if err := g.Go(func(ctx context.Context) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			cancelled.Store(true)
		}
	}); err != nil {
		t.Fatalf("Go() = %v, want nil", err)
	}
	<-started
}

func TestGoLimit(t *testing.T) {
	g := New(Options{Limit: 2})
	release := make(chan struct{})
	var cancelled atomic.Bool
	block(t, g, release, &cancelled)
	block(t, g, release, &cancelled)
	if err := g.Go(func(context.Context) {}); !errors.Is(err, ErrBusy) {
		t.Errorf("Go() at the limit = %v, want ErrBusy", err)
	}
	close(release)
	// A finished goroutine frees its slot.
	deadline := time.Now().Add(10 * time.Second)
	for g.Go(func(context.Context) {}) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Go() still busy after the work returned")
		}
		time.Sleep(time.Millisecond)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
	if cancelled.Load() {
		t.Error("work released before Shutdown saw its context cancelled")
	}
	if err := g.Go(func(context.Context) { t.Error("work ran after Shutdown") }); !errors.Is(err, ErrBusy) {
		t.Errorf("Go() after Shutdown = %v, want ErrBusy", err)
	}
}

func TestGoTimeout(t *testing.T) {
	tests := []struct {
		name         string
		timeout      time.Duration
		wantDeadline bool
	}{
		{"no timeout", 0, false},
		{"timeout", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(Options{Timeout: tt.timeout})
			got := make(chan bool, 1)
			if err := g.Go(func(ctx context.Context) {
				_, ok := ctx.Deadline()
				got <- ok
			}); err != nil {
				t.Fatalf("Go() = %v", err)
			}
			if ok := <-got; ok != tt.wantDeadline {
				t.Errorf("work's ctx has a deadline: %v, want %v", ok, tt.wantDeadline)
			}
			if err := g.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown() = %v, want nil", err)
			}
		})
	}
}

// Shutdown lets the work in flight finish while its ctx lasts, and
// cancels it when ctx is done first.
func TestShutdown(t *testing.T) {
	t.Run("drained", func(t *testing.T) {
		g := New(Options{})
		release := make(chan struct{})
		var cancelled atomic.Bool
		block(t, g, release, &cancelled)
		time.AfterFunc(20*time.Millisecond, func() { close(release) })
		if err := g.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() = %v, want nil", err)
		}
		if cancelled.Load() {
			t.Error("work was cancelled, want drained")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		g := New(Options{})
		var cancelled atomic.Bool
		block(t, g, nil, &cancelled)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := g.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown() = %v, want context.DeadlineExceeded", err)
		}
		// Shutdown returned, so the work has returned too.
		if !cancelled.Load() {
			t.Error("work was not cancelled")
		}
	})
}

func TestShutdownTwice(t *testing.T) {
	g := New(Options{})
	if err := g.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown() = %v, want nil", err)
	}
	if err := g.Shutdown(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("second Shutdown() = %v, want ErrClosed", err)
	}
	if err := g.Drain(context.Background()); err != nil {
		t.Errorf("Drain() after Shutdown = %v, want nil", err)
	}
}

// A Drain that is not first still waits for the Shutdown under way.
func TestDrainWaitsForShutdown(t *testing.T) {
	g := New(Options{})
	release := make(chan struct{})
	var cancelled atomic.Bool
	block(t, g, release, &cancelled)
	first := make(chan error, 1)
	go func() { first <- g.Shutdown(context.Background()) }()
	// Wait until the first Shutdown has closed the Group.
	for g.Go(func(context.Context) {}) == nil {
		time.Sleep(time.Millisecond)
	}
	var returned atomic.Bool
	drained := make(chan error, 1)
	go func() {
		err := g.Drain(context.Background())
		returned.Store(true)
		drained <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if returned.Load() {
		t.Fatal("Drain() returned while work was in flight")
	}
	close(release)
	if err := <-drained; err != nil {
		t.Errorf("Drain() = %v, want nil", err)
	}
	if err := <-first; err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
}

func TestGoPanic(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	g := New(Options{Logger: log, Name: "test reply"})
	if err := g.Go(func(context.Context) { panic("boom") }); err != nil {
		t.Fatalf("Go() = %v", err)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := buf.String(); !strings.Contains(got, "test reply panic") || !strings.Contains(got, "boom") {
		t.Errorf("log = %q, want a \"test reply panic\" line with the panic value", got)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestAfterFunc(t *testing.T) {
	t.Run("awaited until it fires", func(t *testing.T) {
		g := New(Options{})
		var fired atomic.Bool
		g.AfterFunc(20*time.Millisecond, func() { fired.Store(true) })
		if err := g.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() = %v, want nil", err)
		}
		if !fired.Load() {
			t.Error("Shutdown returned before the timer fired")
		}
	})
	t.Run("stopped", func(t *testing.T) {
		g := New(Options{})
		stop := g.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
		if !stop() {
			t.Error("stop() = false, want true")
		}
		if stop() {
			t.Error("second stop() = true, want false")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v, want nil (a stopped timer is not awaited)", err)
		}
	})
	t.Run("stop after it fired", func(t *testing.T) {
		g := New(Options{})
		fired := make(chan struct{})
		stop := g.AfterFunc(0, func() { close(fired) })
		<-fired
		if stop() {
			t.Error("stop() after the timer fired = true, want false")
		}
		if err := g.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() = %v, want nil", err)
		}
	})
}

// Detached goroutines do not hold back the cancel of the work in flight,
// but Shutdown waits for them after it.
func TestDetach(t *testing.T) {
	g := New(Options{})
	var cancelled atomic.Bool
	block(t, g, nil, &cancelled)
	release := make(chan struct{})
	var detachedDone atomic.Bool
	g.Detach(func() {
		<-release
		detachedDone.Store(true)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no drain: cancel the work at once
	shut := make(chan error, 1)
	go func() { shut <- g.Shutdown(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cancelled.Load() {
		if time.Now().After(deadline) {
			t.Fatal("work not cancelled while a detached goroutine ran")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown() = %v before the detached goroutine returned", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-shut; !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown() = %v, want context.Canceled", err)
	}
	if !detachedDone.Load() {
		t.Error("Shutdown returned before the detached goroutine")
	}
	g.Wait() // returns at once: nothing is left
}

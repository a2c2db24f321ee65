package openai

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	b := newBucket(6, t0) // one token every 10 s, 6 at most
	steps := []struct {
		at        time.Duration
		ok        bool
		remaining int
		wait      time.Duration
	}{
		{0, true, 5, 0}, {0, true, 4, 0}, {0, true, 3, 0}, {0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
		{0, false, 0, 10 * time.Second},
		{4 * time.Second, false, 0, 6 * time.Second},
		{10 * time.Second, true, 0, 0},
		{-time.Second, false, 0, 10 * time.Second}, // a clock going back gives nothing
		{time.Hour, true, 5, 0},                    // never more than the burst
	}
	for i, s := range steps {
		ok, remaining, wait := b.take(t0.Add(s.at))
		if ok != s.ok || remaining != s.remaining || (wait-s.wait).Abs() > time.Millisecond {
			t.Errorf("step %d: take(+%v) = %v, %d, %v, want %v, %d, %v", i, s.at, ok, remaining, wait, s.ok, s.remaining, s.wait)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {30 * time.Second, 30}} {
		if got := retryAfter(tt.wait); got != tt.want {
			t.Errorf("retryAfter(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

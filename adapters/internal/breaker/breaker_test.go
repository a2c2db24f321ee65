package breaker

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at       time.Duration // since t0
		outage   bool
		wantOpen bool // Record reports the breaker just opened
	}
	tests := []struct {
		name     string
		failures int
		cooldown time.Duration
		steps    []step
		// allowAt are times (since t0, after the steps) and whether a
		// call is allowed then.
		allowAt map[time.Duration]bool
	}{
		{
			name:    "defaults: three outages open it for 30s",
			steps:   []step{{0, true, false}, {0, true, false}, {0, true, true}},
			allowAt: map[time.Duration]bool{0: false, 29 * time.Second: false, 30 * time.Second: true},
		},
		{
			name:    "a success resets the count",
			steps:   []step{{0, true, false}, {0, true, false}, {0, false, false}, {0, true, false}, {0, true, false}},
			allowAt: map[time.Duration]bool{0: true},
		},
		{
			name:    "outages while open do not extend it",
			steps:   []step{{0, true, false}, {0, true, false}, {0, true, true}, {10 * time.Second, true, false}},
			allowAt: map[time.Duration]bool{29 * time.Second: false, 30 * time.Second: true},
		},
		{
			name:    "half open: one more outage reopens it",
			steps:   []step{{0, true, false}, {0, true, false}, {0, true, true}, {30 * time.Second, true, true}},
			allowAt: map[time.Duration]bool{59 * time.Second: false, 60 * time.Second: true},
		},
		{
			name:     "custom settings",
			failures: 1, cooldown: time.Second,
			steps:   []step{{0, true, true}},
			allowAt: map[time.Duration]bool{0: false, 999 * time.Millisecond: false, time.Second: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Breaker{Failures: tt.failures, Cooldown: tt.cooldown}
			if !b.Allow(t0) {
				t.Fatalf("new breaker: Allow(t0) = false, want true")
			}
			for i, s := range tt.steps {
				if got := b.Record(t0.Add(s.at), s.outage); got != s.wantOpen {
					t.Errorf("step %d: Record(+%v, %v) = %v, want %v", i, s.at, s.outage, got, s.wantOpen)
				}
			}
			for at, want := range tt.allowAt {
				if got := b.Allow(t0.Add(at)); got != want {
					t.Errorf("Allow(+%v) = %v, want %v", at, got, want)
				}
			}
		})
	}
}

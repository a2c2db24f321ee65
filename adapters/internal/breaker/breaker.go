// Package breaker is the circuit breaker in front of a chat platform's
// API: after a few outage-like failures in a row (timeouts, transport
// errors, 5xx), calls fail fast for a cooldown, so that a platform outage
// does not hold the pipeline's shared workers for a timeout each.
//
// The breaker only counts; the caller decides what an outage-like failure
// is and what failing fast returns.
package breaker

import (
	"sync"
	"time"
)

// Defaults of Breaker.
const (
	DefaultFailures = 3
	DefaultCooldown = 30 * time.Second
)

// A Breaker counts consecutive outage-like failures. Its zero value is a
// closed breaker with the defaults. It is safe for concurrent use; its
// mutex guards two fields and is never held during a call.
type Breaker struct {
	// Failures is how many outage-like failures in a row open the
	// breaker. Zero or less means DefaultFailures.
	Failures int
	// Cooldown is how long an open breaker fails calls fast. Zero or
	// less means DefaultCooldown.
	Cooldown time.Duration

	mu        sync.Mutex
	failures  int       // guarded by mu: outage-like failures in a row
	openUntil time.Time // guarded by mu: calls fail fast until then
}

// Allow reports whether a call may be made at now. Once the cooldown is
// over the breaker lets calls through again (half open): the next
// outage-like failure opens it for another cooldown.
func (b *Breaker) Allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.openUntil)
}

// Record notes a call's outcome at now: outage says whether it failed
// like an outage. Any other outcome, success included, resets the count.
// It reports whether the breaker has just opened.
func (b *Breaker) Record(now time.Time, outage bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !outage {
		b.failures = 0
		return false
	}
	b.failures++
	if b.failures < b.threshold() || now.Before(b.openUntil) {
		return false
	}
	b.openUntil = now.Add(b.cooldown())
	return true
}

func (b *Breaker) threshold() int {
	if b.Failures <= 0 {
		return DefaultFailures
	}
	return b.Failures
}

func (b *Breaker) cooldown() time.Duration {
	if b.Cooldown <= 0 {
		return DefaultCooldown
	}
	return b.Cooldown
}

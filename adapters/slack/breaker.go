package slack

import (
	"errors"
	"sync"
	"time"
)

// ErrSlackDown is returned, without calling Slack, while the Web API is
// considered down: after BreakerFailures calls in a row failed with a
// timeout, a transport error or a 5xx, for BreakerCooldown. Replies then
// fail fast instead of holding the pipeline's workers, which the other
// platforms share, for a timeout each.
var ErrSlackDown = errors.New("slack: web api unavailable; not calling it for a while")

// Circuit breaker settings.
const (
	BreakerFailures = 3
	BreakerCooldown = 30 * time.Second
)

// A breaker counts consecutive failures of the Web API. Its mutex guards
// two fields and is never held during a call.
type breaker struct {
	mu        sync.Mutex
	failures  int       // guarded by mu: outage-like failures in a row
	openUntil time.Time // guarded by mu: calls fail fast until then
}

// allow reports whether a call may be made at now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.openUntil)
}

// record notes a call's outcome at now: outage says whether it failed
// like an outage (timeout, transport, 5xx). It reports whether the
// breaker has just opened.
func (b *breaker) record(now time.Time, outage bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !outage {
		b.failures = 0
		return false
	}
	b.failures++
	if b.failures >= BreakerFailures && !now.Before(b.openUntil) {
		b.openUntil = now.Add(BreakerCooldown)
		return true
	}
	return false
}

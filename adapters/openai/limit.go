package openai

import (
	"math"
	"sync"
	"time"
)

// A bucket is a token bucket: it holds up to burst tokens, gains rate
// tokens a second and spends one per request.
type bucket struct {
	rate  float64 // tokens per second
	burst float64

	mu     sync.Mutex
	tokens float64   // guarded by mu
	last   time.Time // guarded by mu: when tokens was last brought up to date
}

// newBucket returns a full bucket allowing perMinute requests a minute,
// all of which may come at once.
func newBucket(perMinute int, now time.Time) *bucket {
	return &bucket{rate: float64(perMinute) / 60, burst: float64(perMinute), tokens: float64(perMinute), last: now}
}

// take spends one token at now. When none is left it reports how long
// until one is.
func (b *bucket) take(now time.Time) (ok bool, remaining int, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(b.burst, b.tokens+dt*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, int(b.tokens), 0
	}
	return false, 0, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// retryAfter is the Retry-After header value for wait: whole seconds,
// rounded up, at least 1.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

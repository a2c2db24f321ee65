// Package memstore is the in-process conversation.Store: maps guarded by a
// mutex, for a single replica, the CLI and tests. Nothing survives a
// restart and nothing is shared between processes; use redisstore for that.
//
// Expired entries are invisible as soon as they expire (every read checks
// the deadline) and are removed from memory by a reaper goroutine that the
// Store owns and Close stops.
package memstore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// DefaultReapInterval is how often expired entries are removed from memory
// when Options.ReapInterval is zero.
const DefaultReapInterval = time.Minute

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// ReapInterval is how often the reaper removes expired sessions,
	// dedup marks, counters and locks from memory. Zero means
	// DefaultReapInterval. Expiry itself is exact whatever the interval:
	// reads never see an expired entry.
	ReapInterval time.Duration

	// Logger receives debug lines from the reaper. Nil means slog.Default().
	Logger *slog.Logger
}

// A Store is an in-memory conversation.Store. It is safe for concurrent use.
// Create it with New and stop its reaper with Close.
type Store struct {
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the reaper has returned

	mu       sync.Mutex
	closed   bool                  // guarded by mu
	sessions map[string]*session   // guarded by mu
	seen     map[seenKey]time.Time // guarded by mu: mark -> expiry
	counters map[string]*counter   // guarded by mu
	locks    map[string]*lock      // guarded by mu
	tokens   uint64                // guarded by mu: last lock token handed out
}

var _ conversation.Store = (*Store)(nil)

// session is one conversation's history and meta; both expire together.
type session struct {
	turns   []conversation.Turn
	meta    conversation.Meta
	expires time.Time
}

type seenKey struct{ platform, id string }

// counter is one fixed rate-limit window.
type counter struct {
	n       int
	expires time.Time
}

// lock is a held session lock. released is closed exactly once, when the
// lock leaves the locks map (unlocked, taken over after expiry, reaped or
// the store closed), to wake the waiters.
type lock struct {
	token    uint64
	expires  time.Time
	released chan struct{}
}

// New returns a Store and starts its reaper.
func New(opts Options) *Store {
	if opts.ReapInterval <= 0 {
		opts.ReapInterval = DefaultReapInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		log:      log.WithGroup("memstore"),
		cancel:   cancel,
		done:     make(chan struct{}),
		sessions: make(map[string]*session),
		seen:     make(map[seenKey]time.Time),
		counters: make(map[string]*counter),
		locks:    make(map[string]*lock),
	}
	go s.reap(ctx, opts.ReapInterval)
	return s
}

// reap removes expired entries every interval until ctx is done.
func (s *Store) reap(ctx context.Context, interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n := s.reapOnce(time.Now()); n > 0 {
				s.log.Debug("reaped expired entries", "count", n)
			}
		}
	}
}

// reapOnce removes everything expired at now and returns how many entries
// it removed.
func (s *Store) reapOnce(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.sessions {
		if expired(v.expires, now) {
			delete(s.sessions, k)
			n++
		}
	}
	for k, exp := range s.seen {
		if expired(exp, now) {
			delete(s.seen, k)
			n++
		}
	}
	for k, c := range s.counters {
		if expired(c.expires, now) {
			delete(s.counters, k)
			n++
		}
	}
	for k, l := range s.locks {
		if expired(l.expires, now) {
			s.dropLockLocked(k, l)
			n++
		}
	}
	return n
}

func expired(deadline, now time.Time) bool { return !now.Before(deadline) }

// dropLockLocked removes l, the current lock of session, and wakes its
// waiters. s.mu must be held.
func (s *Store) dropLockLocked(session string, l *lock) {
	delete(s.locks, session)
	close(l.released)
}

// sessionLocked returns the live session, or nil. s.mu must be held.
func (s *Store) sessionLocked(id string, now time.Time) *session {
	sess := s.sessions[id]
	if sess == nil {
		return nil
	}
	if expired(sess.expires, now) {
		delete(s.sessions, id)
		return nil
	}
	return sess
}

func checkPositive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v: must be positive", what, d)
	}
	return nil
}

// MarkSeen implements conversation.Store.
func (s *Store) MarkSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error) {
	if err := checkPositive("dedup ttl", ttl); err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	if id == "" {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, fmt.Errorf("mark seen: %w", conversation.ErrClosed)
	}
	now := time.Now()
	k := seenKey{platform, id}
	if exp, ok := s.seen[k]; ok && !expired(exp, now) {
		return false, nil
	}
	s.seen[k] = now.Add(ttl)
	return true, nil
}

// Lock implements conversation.Store. Waiters wake as soon as the lock is
// released or expires; there is no polling.
func (s *Store) Lock(ctx context.Context, id string, ttl time.Duration) (func(context.Context) error, error) {
	if err := checkPositive("lock ttl", ttl); err != nil {
		return nil, fmt.Errorf("lock session %s: %w", id, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("lock session %s: %w", id, err)
		}
		held, wait, err := s.tryLock(id, ttl)
		if err != nil {
			return nil, fmt.Errorf("lock session %s: %w", id, err)
		}
		if held != nil {
			return func(context.Context) error { s.unlock(id, held); return nil }, nil
		}
		t := time.NewTimer(wait.until)
		select {
		case <-wait.released:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// waitFor says how long a caller that did not get a lock should wait.
type waitFor struct {
	released <-chan struct{}
	until    time.Duration
}

// tryLock takes the lock of id if it is free or expired. Otherwise it
// returns what to wait for.
func (s *Store) tryLock(id string, ttl time.Duration) (*lock, waitFor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, waitFor{}, conversation.ErrClosed
	}
	now := time.Now()
	if l := s.locks[id]; l != nil {
		if !expired(l.expires, now) {
			return nil, waitFor{released: l.released, until: l.expires.Sub(now)}, nil
		}
		s.dropLockLocked(id, l) // its holder died or overran ttl
	}
	s.tokens++
	l := &lock{token: s.tokens, expires: now.Add(ttl), released: make(chan struct{})}
	s.locks[id] = l
	return l, waitFor{}, nil
}

// unlock releases l if it is still the lock of id and has not expired.
func (s *Store) unlock(id string, l *lock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.locks[id]; cur == l {
		// Even an expired lock is removed here: nobody else took it, and
		// Redis would have dropped the key already.
		s.dropLockLocked(id, l)
	}
}

// History implements conversation.Store.
func (s *Store) History(ctx context.Context, id string) ([]conversation.Turn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load history of %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("load history of %s: %w", id, conversation.ErrClosed)
	}
	sess := s.sessionLocked(id, time.Now())
	if sess == nil || len(sess.turns) == 0 {
		return nil, nil
	}
	return cloneTurns(sess.turns), nil
}

// SaveTurn implements conversation.Store. It is atomic because it runs
// under the store's mutex.
func (s *Store) SaveTurn(ctx context.Context, id string, turns []conversation.Turn, meta conversation.Meta, max int, ttl time.Duration) error {
	if err := checkPositive("session ttl", ttl); err != nil {
		return fmt.Errorf("save turn of %s: %w", id, err)
	}
	if max <= 0 {
		return fmt.Errorf("save turn of %s: history cap %d: must be positive", id, max)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save turn of %s: %w", id, err)
	}
	add := cloneTurns(turns) // copied before taking the lock
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("save turn of %s: %w", id, conversation.ErrClosed)
	}
	now := time.Now()
	sess := s.sessionLocked(id, now)
	if sess == nil {
		sess = &session{}
		s.sessions[id] = sess
	}
	all := append(sess.turns, add...)
	if len(all) > max {
		// Shift rather than reslice, so that the array does not grow
		// without bound and the dropped turns can be collected.
		n := copy(all, all[len(all)-max:])
		clear(all[n:])
		all = all[:n]
	}
	sess.turns = all
	sess.meta = meta
	sess.expires = now.Add(ttl)
	return nil
}

// Meta implements conversation.Store.
func (s *Store) Meta(ctx context.Context, id string) (conversation.Meta, error) {
	if err := ctx.Err(); err != nil {
		return conversation.Meta{}, fmt.Errorf("load meta of %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return conversation.Meta{}, fmt.Errorf("load meta of %s: %w", id, conversation.ErrClosed)
	}
	if sess := s.sessionLocked(id, time.Now()); sess != nil {
		return sess.meta, nil
	}
	return conversation.Meta{}, nil
}

// SetMeta implements conversation.Store.
func (s *Store) SetMeta(ctx context.Context, id string, meta conversation.Meta, ttl time.Duration) error {
	if err := checkPositive("session ttl", ttl); err != nil {
		return fmt.Errorf("save meta of %s: %w", id, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save meta of %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("save meta of %s: %w", id, conversation.ErrClosed)
	}
	now := time.Now()
	sess := s.sessionLocked(id, now)
	if sess == nil {
		sess = &session{}
		s.sessions[id] = sess
	}
	sess.meta = meta
	sess.expires = now.Add(ttl)
	return nil
}

// Allow implements conversation.Store.
func (s *Store) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := checkPositive("rate window", window); err != nil {
		return false, fmt.Errorf("count event for %s: %w", key, err)
	}
	if limit <= 0 {
		return false, fmt.Errorf("count event for %s: limit %d: must be positive", key, limit)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("count event for %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, fmt.Errorf("count event for %s: %w", key, conversation.ErrClosed)
	}
	now := time.Now()
	c := s.counters[key]
	if c == nil || expired(c.expires, now) {
		c = &counter{expires: now.Add(window)}
		s.counters[key] = c
	}
	c.n++
	return c.n <= limit, nil
}

// Ping implements conversation.Store: an open memory store is always
// reachable.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("ping: %w", conversation.ErrClosed)
	}
	return nil
}

// Close stops the reaper, wakes every Lock waiter (they return ErrClosed)
// and drops all data. A second Close returns conversation.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return conversation.ErrClosed
	}
	s.closed = true
	for k, l := range s.locks {
		s.dropLockLocked(k, l)
	}
	s.sessions, s.seen, s.counters = nil, nil, nil
	s.mu.Unlock()

	s.cancel()
	<-s.done
	return nil
}

// cloneTurns deep-copies turns, so that neither the caller nor the store
// can change the other's copy.
func cloneTurns(turns []conversation.Turn) []conversation.Turn {
	if turns == nil {
		return nil
	}
	out := make([]conversation.Turn, len(turns))
	for i, t := range turns {
		t.Citations = slices.Clone(t.Citations)
		out[i] = t
	}
	return out
}

// Package redisstore is the conversation.Store kept in Redis, shared by
// every replica of the bot. It works with a single node, a Redis Cluster
// or a Sentinel-managed primary: New takes any redis.UniversalClient.
//
// # Key layout
//
// Every key starts with Options.Prefix (default "sb") and carries the
// session id (or the dedup or rate-limit key) in a hash tag, so that all
// keys of one session live in one Cluster slot and can be written by one
// script:
//
//	sb:{<session>}:history         list of JSON turns, oldest first, capped
//	sb:{<session>}:meta            hash: state, fallbacks, turns, handoff, save
//	sb:{<session>}:lock            string: the holder's random token
//	sb:dedup:{<platform>:<id>}     string "1"
//	sb:rate:{<key>}                integer counter of the current window
//
// Every key has a TTL. A '{', '}' or '%' inside an id is written as %7B,
// %7D or %25 so that it cannot end the hash tag early.
//
// # Atomicity
//
// SaveTurn and SetMeta are single Lua scripts (RPUSH, LTRIM, HSET, PEXPIRE
// on the session's two keys), so a reader or a crash sees all of a save or
// none of it. A save carries a random token stored in the meta hash, which
// makes a retried script (the client resends it when the reply was lost)
// a no-op instead of a duplicate. Lock is SET NX PX with a random token,
// released by a compare-and-delete script; Allow is INCR and PEXPIRE in
// one script; MarkSeen is SET NX PX.
//
// # Errors
//
// redis.Nil never leaves this package. A network error, a timeout or a
// Redis that is loading, failing over or has lost a cluster slot gives an
// error wrapping conversation.ErrUnavailable; a done ctx gives an error
// wrapping ctx.Err(); any other server error is wrapped as is.
package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard/switchboard/conversation"
)

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "sb"

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Prefix starts every key, followed by ':'. Empty means DefaultPrefix.
	// It must not contain '{' or '}'.
	Prefix string

	// Logger receives warnings, such as a lock that expired before its
	// holder released it. Nil means slog.Default().
	Logger *slog.Logger
}

// A Store is a conversation.Store in Redis. It is safe for concurrent use
// by many goroutines and many processes sharing one Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger
	closed atomic.Bool

	// bg ends when the Store closes; wg waits for the goroutines that
	// release locks in the background (releaseLater).
	bg   context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ conversation.Store = (*Store)(nil)

// New returns a Store that keeps its state through rdb. The Store owns rdb
// from then on: Close closes it. See NewClient for client timeouts that
// make an unreachable Redis fail fast.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("new redis store: nil client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("new redis store: prefix %q contains a brace", opts.Prefix)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	bg, stop := context.WithCancel(context.Background())
	return &Store{rdb: rdb, prefix: opts.Prefix, log: log.WithGroup("redisstore"), bg: bg, stop: stop}, nil
}

// Client returns the client the store uses, so that other Redis work of
// the same process (queues, pub/sub) can share its connections. The store
// still owns it: do not Close it.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// tagEscaper keeps an id from closing or opening a hash tag; escaping '%'
// keeps the mapping one to one.
var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// sessionKey returns prefix:{session}:kind.
func (s *Store) sessionKey(session, kind string) string {
	return s.prefix + ":{" + tagEscaper.Replace(session) + "}:" + kind
}

func (s *Store) dedupKey(platform, id string) string {
	return s.prefix + ":dedup:{" + tagEscaper.Replace(platform+":"+id) + "}"
}

func (s *Store) rateKey(key string) string {
	return s.prefix + ":rate:{" + tagEscaper.Replace(key) + "}"
}

// ms converts a positive duration to whole milliseconds, at least 1.
func ms(d time.Duration) int64 { return max(1, d.Milliseconds()) }

func checkPositive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v: must be positive", what, d)
	}
	return nil
}

// wrap turns a client error into the store's error contract; what says
// what was being done.
func (s *Store) wrap(ctx context.Context, what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.ErrClosed) || s.closed.Load():
		return fmt.Errorf("%s: %w", what, conversation.ErrClosed)
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case isServerFault(err):
		return fmt.Errorf("%s: %w", what, err)
	default:
		if c, ok := s.rdb.(*redis.ClusterClient); ok {
			// go-redis learns of a failover only from a MOVED reply or its
			// periodic reload (60 s by default); a dead primary sends no
			// MOVED. Ask for a reload now (asynchronous and coalesced) so
			// that the next call finds the promoted replica.
			c.ReloadState(ctx)
		}
		return fmt.Errorf("%s: %w: %w", what, conversation.ErrUnavailable, err)
	}
}

// isServerFault reports whether err is a reply from a working Redis that
// rejected the command; retrying elsewhere or later will not help. Replies
// that mean "not now" (loading, failing over, cluster down) are not faults
// of the request: they count as unavailability.
func isServerFault(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	transient := redis.IsLoadingError(err) || redis.IsReadOnlyError(err) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) ||
		redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsNoReplicasError(err)
	return !transient
}

// MarkSeen implements conversation.Store.
func (s *Store) MarkSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error) {
	if err := checkPositive("dedup ttl", ttl); err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	if s.closed.Load() {
		return false, fmt.Errorf("mark seen: %w", conversation.ErrClosed)
	}
	if id == "" {
		return true, nil
	}
	first, err := s.rdb.SetNX(ctx, s.dedupKey(platform, id), "1", time.Duration(ms(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, s.wrap(ctx, "mark seen "+platform+" message "+id, err)
	}
	return first, nil
}

// unlockScript deletes the lock only if it still holds the caller's token.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Lock waiting backs off from minLockWait to maxLockWait between attempts.
const (
	minLockWait = 2 * time.Millisecond
	maxLockWait = 64 * time.Millisecond
)

// Lock implements conversation.Store. It polls with jittered exponential
// backoff (2 ms to 64 ms) until the lock is free or ctx is done.
func (s *Store) Lock(ctx context.Context, session string, ttl time.Duration) (func(context.Context) error, error) {
	what := "lock session " + session
	if err := checkPositive("lock ttl", ttl); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	key := s.sessionKey(session, "lock")
	px := time.Duration(ms(ttl)) * time.Millisecond
	wait := minLockWait
	for {
		if s.closed.Load() {
			return nil, fmt.Errorf("%s: %w", what, conversation.ErrClosed)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		ok, err := s.rdb.SetNX(ctx, key, token, px).Result()
		if err != nil {
			if mayHaveRun(err) {
				// A stalled server runs the command once it resumes,
				// and nobody would release the lock: the session waited
				// out its TTL on every replica.
				s.releaseLater(session, key, token)
			}
			return nil, s.wrap(ctx, what, err)
		}
		if ok {
			return s.unlockFunc(session, key, token), nil
		}
		// Jitter keeps waiters of one session from polling in lockstep.
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait = min(2*wait, maxLockWait)
	}
}

func (s *Store) unlockFunc(session, key, token string) func(context.Context) error {
	var done atomic.Bool
	return func(ctx context.Context) error {
		if done.Load() {
			return nil
		}
		n, err := unlockScript.Run(ctx, s.rdb, []string{key}, token).Int()
		if err != nil {
			if !isServerFault(err) {
				s.releaseLater(session, key, token) // the lock may still be held
				done.Store(true)
			}
			return s.wrap(ctx, "unlock session "+session, err)
		}
		done.Store(true)
		if n == 0 {
			s.log.Warn("session lock expired before its holder released it", "session", session)
		}
		return nil
	}
}

// mayHaveRun reports whether a command that failed with err may still
// have run: it timed out, or its connection broke, after it was sent. A
// refused connection or an error reply means it did not.
func mayHaveRun(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ne) && ne.Timeout()
}

// releaseTries are the pauses before each attempt of releaseLater: the
// lock a failed call may yet set is released as soon as Redis answers,
// and again a little later in case the call ran after the release.
var releaseTries = []time.Duration{250 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}

// releaseLater deletes the lock key, if it holds token, in the
// background, a few times over half a minute, until the Store closes.
func (s *Store) releaseLater(session, key, token string) {
	if s.closed.Load() {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, d := range releaseTries {
			t := time.NewTimer(d)
			select {
			case <-s.bg.Done():
				t.Stop()
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(s.bg, time.Second)
			n, err := unlockScript.Run(ctx, s.rdb, []string{key}, token).Int()
			cancel()
			if err == nil && n == 1 {
				s.log.Info("released a session lock left by a failed call", "session", session)
				return
			}
		}
	}()
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make lock token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// History implements conversation.Store.
func (s *Store) History(ctx context.Context, session string) ([]conversation.Turn, error) {
	what := "load history of " + session
	if s.closed.Load() {
		return nil, fmt.Errorf("%s: %w", what, conversation.ErrClosed)
	}
	raw, err := s.rdb.LRange(ctx, s.sessionKey(session, "history"), 0, -1).Result()
	if err != nil {
		return nil, s.wrap(ctx, what, err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	turns := make([]conversation.Turn, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &turns[i]); err != nil {
			return nil, fmt.Errorf("%s: decode turn %d: %w", what, i, err)
		}
	}
	return turns, nil
}

// saveScript appends turns, caps the history, replaces meta and refreshes
// both TTLs, all or nothing.
//
//	KEYS: history, meta
//	ARGV: save token ('' for none), max, ttl ms, state, fallbacks, turns,
//	      handoff ('' for none), agent thread ('' for none), reply to ('' for
//	      none), turn JSON...
//
// A token equal to the last applied one means this exact call was already
// applied (a retry after a lost reply): nothing is done.
var saveScript = redis.NewScript(`
if ARGV[1] ~= '' and redis.call('HGET', KEYS[2], 'save') == ARGV[1] then
	return 0
end
if #ARGV > 9 then
	redis.call('RPUSH', KEYS[1], unpack(ARGV, 10))
	redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
end
redis.call('HSET', KEYS[2], 'state', ARGV[4], 'fallbacks', ARGV[5], 'turns', ARGV[6], 'save', ARGV[1])
if ARGV[7] == '' then
	redis.call('HDEL', KEYS[2], 'handoff')
else
	redis.call('HSET', KEYS[2], 'handoff', ARGV[7])
end
for i, field in ipairs({'agent_thread', 'reply_to'}) do
	if ARGV[7 + i] == '' then
		redis.call('HDEL', KEYS[2], field)
	else
		redis.call('HSET', KEYS[2], field, ARGV[7 + i])
	end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// Meta hash fields.
const (
	fieldState     = "state"
	fieldFallbacks = "fallbacks"
	fieldTurns     = "turns"
	fieldHandoff   = "handoff"
	fieldThread    = "agent_thread"
	fieldReplyTo   = "reply_to"
)

// SaveTurn implements conversation.Store.
func (s *Store) SaveTurn(ctx context.Context, session string, turns []conversation.Turn, meta conversation.Meta, max int, ttl time.Duration) error {
	what := "save turn of " + session
	if err := checkPositive("session ttl", ttl); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if max <= 0 {
		return fmt.Errorf("%s: history cap %d: must be positive", what, max)
	}
	if len(turns) > max {
		turns = turns[len(turns)-max:] // the rest would be trimmed anyway
	}
	token, err := newToken()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	args := metaArgs(token, max, ttl, meta)
	for i, t := range turns {
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("%s: encode turn %d: %w", what, i, err)
		}
		args = append(args, string(b))
	}
	return s.runSave(ctx, what, session, args)
}

// SetMeta implements conversation.Store. It refreshes the TTL of the
// history too: the session lives on as a whole.
func (s *Store) SetMeta(ctx context.Context, session string, meta conversation.Meta, ttl time.Duration) error {
	what := "save meta of " + session
	if err := checkPositive("session ttl", ttl); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.runSave(ctx, what, session, metaArgs("", 1, ttl, meta))
}

func metaArgs(token string, max int, ttl time.Duration, m conversation.Meta) []any {
	handoff := ""
	if !m.HandoffAt.IsZero() {
		handoff = m.HandoffAt.Format(time.RFC3339Nano)
	}
	return []any{token, max, ms(ttl), m.State, m.Fallbacks, m.Turns, handoff, m.AgentThread, m.ReplyTo}
}

func (s *Store) runSave(ctx context.Context, what, session string, args []any) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, conversation.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		// Checked here because a script may still be sent with a done ctx.
		return fmt.Errorf("%s: %w", what, err)
	}
	keys := []string{s.sessionKey(session, "history"), s.sessionKey(session, "meta")}
	if err := saveScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return s.wrap(ctx, what, err)
	}
	return nil
}

// Meta implements conversation.Store.
func (s *Store) Meta(ctx context.Context, session string) (conversation.Meta, error) {
	what := "load meta of " + session
	if s.closed.Load() {
		return conversation.Meta{}, fmt.Errorf("%s: %w", what, conversation.ErrClosed)
	}
	h, err := s.rdb.HGetAll(ctx, s.sessionKey(session, "meta")).Result()
	if err != nil {
		return conversation.Meta{}, s.wrap(ctx, what, err)
	}
	m, err := parseMeta(h)
	if err != nil {
		return conversation.Meta{}, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// parseMeta decodes the meta hash; missing fields stay zero and unknown
// ones are ignored.
func parseMeta(h map[string]string) (conversation.Meta, error) {
	var m conversation.Meta
	m.State = h[fieldState]
	m.AgentThread, m.ReplyTo = h[fieldThread], h[fieldReplyTo]
	for _, f := range []struct {
		name string
		dst  *int
	}{{fieldFallbacks, &m.Fallbacks}, {fieldTurns, &m.Turns}} {
		v, ok := h[f.name]
		if !ok || v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return conversation.Meta{}, fmt.Errorf("parse meta field %s: %w", f.name, err)
		}
		*f.dst = n
	}
	if v := h[fieldHandoff]; v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return conversation.Meta{}, fmt.Errorf("parse meta field %s: %w", fieldHandoff, err)
		}
		m.HandoffAt = t
	}
	return m, nil
}

// allowScript counts one event in the current window. The PTTL check
// repairs a counter left without a TTL, so no key can live forever.
var allowScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// Allow implements conversation.Store.
func (s *Store) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	what := "count event for " + key
	if err := checkPositive("rate window", window); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if limit <= 0 {
		return false, fmt.Errorf("%s: limit %d: must be positive", what, limit)
	}
	if s.closed.Load() {
		return false, fmt.Errorf("%s: %w", what, conversation.ErrClosed)
	}
	n, err := allowScript.Run(ctx, s.rdb, []string{s.rateKey(key)}, ms(window)).Int64()
	if err != nil {
		return false, s.wrap(ctx, what, err)
	}
	return n <= int64(limit), nil
}

// Ping implements conversation.Store.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("ping redis: %w", conversation.ErrClosed)
	}
	return s.wrap(ctx, "ping redis", s.rdb.Ping(ctx).Err())
}

// Close closes the client. A second Close returns conversation.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return conversation.ErrClosed
	}
	s.stop()
	s.wg.Wait()
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client settings NewClient uses when the URL does not set them: short
// enough that an unreachable Redis turns into ErrUnavailable (and a 503)
// within about a second when it refuses connections, and within
// (1+DefaultMaxRetries)*DefaultReadTimeout = 4 s when it hangs. go-redis's
// own defaults dial five times per attempt and retry three times.
const (
	DefaultDialTimeout   = 2 * time.Second
	DefaultReadTimeout   = 2 * time.Second
	DefaultWriteTimeout  = 2 * time.Second
	DefaultPoolTimeout   = 3 * time.Second
	DefaultDialerRetries = 2
	DefaultMaxRetries    = 1

	// DefaultClusterReload is how often a cluster client reloads the slot
	// map when nothing forces it, bounding how long a client keeps
	// dialing a failed primary after its replica took over (go-redis's
	// default is 60 s). The Store also reloads after every unavailable
	// error.
	DefaultClusterReload = 5 * time.Second
)

// NewClient returns a client for a REDIS_URL. It does not connect. The
// forms it accepts:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...                            the same over TLS
//	redis+cluster://[[user]:password@]host:port[,host:port...][?option=value...]
//	rediss+cluster://...                    the same over TLS
//	redis+sentinel://[[user]:password@]host:port[,host:port...]/master[/db][?option=value...]
//	host:port                               a single node
//	host:port,host:port[,...]               a Redis Cluster, seeded by these nodes
//
// A redis:// or rediss:// URL with several comma-separated hosts is a
// cluster too. Options are go-redis's (dial_timeout=3s, read_timeout=1s,
// max_retries=2, pool_size=20, ...); a cluster URL may also name more seed
// nodes with addr=host:port; max_retries=-1 turns retries off. For Sentinel the password authenticates to
// the primary, not to the sentinels. A missing port means 6379 (26379 for
// sentinels). Timeouts not set in the URL are the Default* constants.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	c, err := newClient(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url %s: %w", redactURL(rawURL), err)
	}
	return c, nil
}

func newClient(rawURL string) (redis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(rawURL), "://")
	if !ok {
		hosts, err := splitHosts(scheme, "6379")
		if err != nil {
			return nil, err
		}
		if len(hosts) == 1 {
			o := &redis.Options{Addr: hosts[0]}
			tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.MaxRetries)
			return redis.NewClient(o), nil
		}
		o := &redis.ClusterOptions{Addrs: hosts}
		return newClusterClient(o), nil
	}

	userinfo, hostlist, tail := splitAuthority(rest)
	base := "redis"
	tls := strings.HasPrefix(scheme, "rediss")
	if tls {
		base = "rediss"
	}
	switch scheme {
	case "redis", "rediss":
		if !strings.Contains(hostlist, ",") {
			o, err := redis.ParseURL(rawURL)
			if err != nil {
				return nil, err
			}
			tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.MaxRetries)
			return redis.NewClient(o), nil
		}
		fallthrough
	case "redis+cluster", "rediss+cluster":
		hosts, err := splitHosts(hostlist, "6379")
		if err != nil {
			return nil, err
		}
		path, query, _ := strings.Cut(tail, "?")
		if path != "" && path != "/" {
			return nil, fmt.Errorf("a cluster has no database number (got path %q)", path)
		}
		for _, h := range hosts[1:] {
			query += "&addr=" + h
		}
		o, err := redis.ParseClusterURL(base + "://" + userinfo + hosts[0] + "?" + strings.TrimPrefix(query, "&"))
		if err != nil {
			return nil, err
		}
		return newClusterClient(o), nil
	case "redis+sentinel", "rediss+sentinel":
		hosts, err := splitHosts(hostlist, "26379")
		if err != nil {
			return nil, err
		}
		path, query, _ := strings.Cut(tail, "?")
		master, db, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if master == "" {
			return nil, errors.New("a sentinel url needs the primary's name as its path")
		}
		// Let go-redis parse credentials, database and options from a
		// single-node URL, then point them at the sentinels.
		one, err := redis.ParseURL(base + "://" + userinfo + hosts[0] + "/" + db + "?" + query)
		if err != nil {
			return nil, err
		}
		o := &redis.FailoverOptions{
			MasterName:    master,
			SentinelAddrs: hosts,
			Username:      one.Username,
			Password:      one.Password,
			DB:            one.DB,
			TLSConfig:     one.TLSConfig,
			DialTimeout:   one.DialTimeout,
			ReadTimeout:   one.ReadTimeout,
			WriteTimeout:  one.WriteTimeout,
			PoolTimeout:   one.PoolTimeout,
			PoolSize:      one.PoolSize,
			MaxRetries:    one.MaxRetries,
			DialerRetries: one.DialerRetries,
		}
		if o.TLSConfig != nil {
			o.TLSConfig.ServerName = "" // the primary's name is not the sentinel's host
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.MaxRetries)
		return redis.NewFailoverClient(o), nil
	default:
		return nil, fmt.Errorf("unknown scheme %q (want redis, rediss, redis+cluster, rediss+cluster or redis+sentinel)", scheme)
	}
}

func newClusterClient(o *redis.ClusterOptions) *redis.ClusterClient {
	tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.MaxRetries)
	if o.ClusterStateReloadInterval == 0 {
		o.ClusterStateReloadInterval = DefaultClusterReload
	}
	return redis.NewClusterClient(o)
}

// splitAuthority splits "user:pass@h1,h2/path?query" into "user:pass@",
// "h1,h2" and "/path?query".
func splitAuthority(rest string) (userinfo, hosts, tail string) {
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return authority[:at+1], authority[at+1:], tail
	}
	return "", authority, tail
}

// splitHosts splits a comma-separated host list, adding defaultPort where a
// host has none.
func splitHosts(list, defaultPort string) ([]string, error) {
	var hosts []string
	for h := range strings.SplitSeq(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fmt.Errorf("empty host in %q", list)
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), defaultPort)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// tune sets the settings the URL left at zero. go-redis reads a negative
// timeout as "none", which stays as the URL says.
func tune(dial, read, write, pool *time.Duration, dialerRetries, maxRetries *int) {
	if *dialerRetries == 0 {
		*dialerRetries = DefaultDialerRetries
	}
	if *maxRetries == 0 {
		*maxRetries = DefaultMaxRetries
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{dial, DefaultDialTimeout}, {read, DefaultReadTimeout}, {write, DefaultWriteTimeout}, {pool, DefaultPoolTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// redactURL hides the password of a URL for error messages.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	userinfo, hosts, tail := splitAuthority(rest)
	if user, _, hasPass := strings.Cut(strings.TrimSuffix(userinfo, "@"), ":"); hasPass {
		userinfo = user + ":xxxxx@"
	}
	return scheme + "://" + userinfo + hosts + tail
}

// Open connects to the Redis named by a REDIS_URL (see NewClient), checks
// that it answers, and returns a Store that owns the client. An
// unreachable Redis gives an error wrapping conversation.ErrUnavailable.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	rdb, err := NewClient(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := New(rdb, opts)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open redis store at %s: %w", redactURL(rawURL), err)
	}
	return s, nil
}

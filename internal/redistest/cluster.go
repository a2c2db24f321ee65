package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterOptions configures StartClusterWith. The zero value is the
// cluster StartCluster starts.
type ClusterOptions struct {
	// Primaries is the number of primaries. Zero means 3, the fewest
	// redis-cli --cluster create accepts.
	Primaries int
	// Replicas is the number of replicas of each primary. Zero means none;
	// with one or more, killing a primary makes the cluster fail over to
	// its replica after the node timeout.
	Replicas int
	// NodeTimeout is cluster-node-timeout: how long a node may be
	// unreachable before it is considered failed. Zero means 2 s.
	NodeTimeout time.Duration
}

// A Cluster is a Redis Cluster on loopback, each primary owning an equal
// share of the slots.
type Cluster struct {
	// Addrs are the nodes' loopback addresses, in the order of Nodes.
	Addrs []string
	// Nodes are the nodes themselves; stopping, killing and restarting
	// one simulates a failed node (without replicas its slots are down
	// meanwhile).
	Nodes []*Server

	t testing.TB
}

// StartCluster starts three cluster-enabled redis-servers, joins them
// with redis-cli --cluster create (no replicas) and returns when every
// node reports cluster_state:ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	return StartClusterWith(t, ClusterOptions{})
}

// StartClusterWith starts a cluster as opts say and returns when every
// node reports cluster_state:ok and every replica is in sync.
func StartClusterWith(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Primaries <= 0 {
		opts.Primaries = 3
	}
	if opts.Replicas < 0 {
		opts.Replicas = 0
	}
	if opts.NodeTimeout <= 0 {
		opts.NodeTimeout = 2 * time.Second
	}
	bin := need(t, "redis-server")
	cli := need(t, "redis-cli")
	c := &Cluster{t: t}
	for range opts.Primaries * (1 + opts.Replicas) {
		s := startServer(t, bin, t.TempDir(), []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10),
		})
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(opts.Replicas), "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(ctx); err != nil {
		t.Fatalf("start redis cluster: %v", err)
	}
	return c
}

// waitOK waits until every node sees the whole cluster and all slots, and
// every replica's link to its primary is up.
func (c *Cluster) waitOK(ctx context.Context) error {
	for _, addr := range c.Addrs {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
		err := func() error {
			defer rdb.Close()
			for {
				ok, why := nodeReady(ctx, rdb, len(c.Addrs))
				if ok {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("node %s not ready: %s", addr, why)
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// nodeReady reports whether a node is part of a healthy cluster of n
// nodes, and if not, why.
func nodeReady(ctx context.Context, rdb *redis.Client, n int) (bool, string) {
	info, err := rdb.ClusterInfo(ctx).Result()
	if err != nil {
		return false, err.Error()
	}
	if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", n)) {
		return false, info
	}
	repl, err := rdb.Info(ctx, "replication").Result()
	if err != nil {
		return false, err.Error()
	}
	if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
		return false, repl
	}
	return true, ""
}

// Client returns a new cluster client seeded with every node, with short
// timeouts (1 s) and a slot map reloaded every second (so that it finds a
// promoted replica quickly), closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:         c.Addrs,
		DialTimeout:   dialTimeout,
		ReadTimeout:   ioTimeout,
		WriteTimeout:  ioTimeout,
		PoolTimeout:   ioTimeout,
		DialerRetries: dialerRetries,
		MaxRetries:    maxRetries,

		ClusterStateReloadInterval: time.Second,
	})
	c.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// PrimaryFor returns the node that serves key now, as a running node of
// the cluster sees it. It ends the test if no node answers.
func (c *Cluster) PrimaryFor(ctx context.Context, key string) *Server {
	c.t.Helper()
	var lastErr error
	for _, s := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
		addr, err := primaryFor(ctx, rdb, key)
		rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, n := range c.Nodes {
			if n.Addr == addr {
				return n
			}
		}
		lastErr = fmt.Errorf("slot owner %s is not a node of this cluster", addr)
	}
	c.t.Fatalf("find the primary of %q: %v", key, lastErr)
	return nil
}

func primaryFor(ctx context.Context, rdb *redis.Client, key string) (string, error) {
	slot, err := rdb.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", err
	}
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, r := range slots {
		if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr, nil
		}
	}
	return "", fmt.Errorf("slot %d has no owner", slot)
}

// Stop stops every node. t.Cleanup does it too.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}

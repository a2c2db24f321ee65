package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSize is the number of primaries StartCluster runs.
const clusterSize = 3

// A Cluster is a Redis Cluster of three primaries without replicas, each
// owning a third of the slots.
type Cluster struct {
	// Addrs are the nodes' loopback addresses.
	Addrs []string
	// Nodes are the nodes themselves; stopping and restarting one
	// simulates a failed primary (its slots are down meanwhile).
	Nodes []*Server

	t testing.TB
}

// StartCluster starts three cluster-enabled redis-servers, joins them with
// redis-cli --cluster create and returns when every node reports
// cluster_state:ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := need(t, "redis-server")
	cli := need(t, "redis-cli")
	c := &Cluster{t: t}
	for range clusterSize {
		s := startServer(t, bin, t.TempDir(), []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000",
		})
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(ctx); err != nil {
		t.Fatalf("start redis cluster: %v", err)
	}
	return c
}

// waitOK waits until every node sees the whole cluster and all slots.
func (c *Cluster) waitOK(ctx context.Context) error {
	for _, addr := range c.Addrs {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
		err := func() error {
			defer rdb.Close()
			for {
				info, err := rdb.ClusterInfo(ctx).Result()
				if err == nil && strings.Contains(info, "cluster_state:ok") &&
					strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", clusterSize)) {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("node %s not ready: %v\n%s", addr, err, info)
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

// Client returns a new cluster client seeded with every node, with short
// timeouts (1 s), closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:         c.Addrs,
		DialTimeout:   dialTimeout,
		ReadTimeout:   ioTimeout,
		WriteTimeout:  ioTimeout,
		PoolTimeout:   ioTimeout,
		DialerRetries: dialerRetries,
		MaxRetries:    maxRetries,
	})
	c.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Stop stops every node. t.Cleanup does it too.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}

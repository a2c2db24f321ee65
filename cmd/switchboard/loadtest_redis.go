package main

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounds of the load test's Redis operations.
const (
	redisReadyTimeout  = 60 * time.Second // a node or the whole cluster answering after a (re)start
	failoverTimeout    = 30 * time.Second // a replica taking over a primary's slots
	clusterNodeTimeout = 2 * time.Second  // cluster-node-timeout: how soon a dead primary is failed over
)

// A redisSet is the Redis a load test runs on: one redis-server, or a
// Redis Cluster of three primaries with one replica each. Each node keeps
// an append-only file in its own folder, so that a stopped node comes
// back with its data.
type redisSet struct {
	nodes   []*replica
	addrs   []string
	cluster bool
}

// startRedis starts o's Redis: one node, or with o.Cluster six nodes
// joined into a cluster with redis-cli, and waits until it answers.
func startRedis(ctx context.Context, o loadOptions, logf *os.File) (*redisSet, error) {
	s := &redisSet{cluster: o.Cluster}
	n := 1
	if o.Cluster {
		n = 6
	}
	for i := range n {
		port, err := freePortPair()
		if err != nil {
			return s, fmt.Errorf("pick redis port: %w", err)
		}
		dir := filepath.Join(o.Dir, fmt.Sprintf("redis-%d", i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return s, fmt.Errorf("make redis folder: %w", err)
		}
		args := []string{o.RedisServer, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
			"--dir", dir, "--appendonly", "yes", "--save", "", "--repl-diskless-sync-delay", "0"}
		if o.Cluster {
			args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-node-timeout", strconv.FormatInt(clusterNodeTimeout.Milliseconds(), 10))
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		r := &replica{name: "redis " + addr, addr: addr, logf: logf, args: args}
		s.nodes = append(s.nodes, r)
		s.addrs = append(s.addrs, addr)
		if err := r.start(); err != nil {
			return s, err
		}
	}
	for _, a := range s.addrs {
		if err := waitPing(ctx, a); err != nil {
			return s, err
		}
	}
	if o.Cluster {
		cctx, cancel := context.WithTimeout(ctx, redisReadyTimeout)
		defer cancel()
		args := append([]string{"--cluster", "create"}, s.addrs...)
		args = append(args, "--cluster-replicas", "1", "--cluster-yes")
		out, err := exec.CommandContext(cctx, o.RedisCLI, args...).CombinedOutput()
		if err != nil {
			return s, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
		}
	}
	return s, s.waitReady(ctx)
}

// freePortPair returns a free loopback port whose cluster bus port
// (port+10000) is free too.
func freePortPair() (int, error) {
	for range 100 {
		p := 20000 + mrand.IntN(25000)
		ok := true
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(q)))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return p, nil
		}
	}
	return 0, errors.New("no free port pair after 100 tries")
}

// waitPing waits until the node at addr answers PING, at most
// redisReadyTimeout.
func waitPing(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(redisReadyTimeout); ; {
		// Dial first: go-redis logs every failed dial of its pool.
		var err error
		if conn, derr := net.DialTimeout("tcp", addr, 200*time.Millisecond); derr != nil {
			err = derr
		} else {
			conn.Close()
			err = c.Ping(ctx).Err()
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("redis-server %s did not answer: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// url is the REDIS_URL of the replicas.
func (s *redisSet) url() string {
	if s.cluster {
		return "redis+cluster://" + strings.Join(s.addrs, ",")
	}
	return "redis://" + s.addrs[0]
}

// client returns a client of the whole set, for the load test's own
// reads.
func (s *redisSet) client() redis.UniversalClient {
	if s.cluster {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: s.addrs, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, ClusterStateReloadInterval: time.Second})
	}
	return redis.NewClient(&redis.Options{Addr: s.addrs[0], DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
}

// stop stops every node with sig.
func (s *redisSet) stop(sig syscall.Signal) {
	for _, n := range s.nodes {
		n.stop(sig)
	}
}

// restart starts every stopped node again and waits until the set is
// ready.
func (s *redisSet) restart(ctx context.Context) error {
	for _, n := range s.nodes {
		if err := n.start(); err != nil {
			return err
		}
	}
	return s.waitReady(ctx)
}

// waitReady waits, at most redisReadyTimeout, until every node answers
// and, for a cluster, every node sees all six nodes and every slot
// served, and every replica's link to its primary is up.
func (s *redisSet) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, redisReadyTimeout)
	defer cancel()
	for _, a := range s.addrs {
		if err := waitPing(ctx, a); err != nil {
			return err
		}
		if !s.cluster {
			continue
		}
		c := redis.NewClient(&redis.Options{Addr: a, DialTimeout: time.Second, MaxRetries: -1})
		why := ""
		for {
			var ok bool
			if ok, why = clusterNodeReady(ctx, c, len(s.addrs)); ok || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
		if ctx.Err() != nil {
			return fmt.Errorf("cluster node %s not ready: %s", a, why)
		}
	}
	return nil
}

// clusterNodeReady reports whether the node behind c is in a healthy
// cluster of n nodes and, if not, why.
func clusterNodeReady(ctx context.Context, c *redis.Client, n int) (bool, string) {
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return false, err.Error()
	}
	if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", n)) {
		return false, strings.ReplaceAll(info, "\r\n", " ")
	}
	repl, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return false, err.Error()
	}
	if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
		return false, "replica link down"
	}
	return true, ""
}

// slotOwner returns the primary serving key and its replicas, as the
// first running node that answers sees them.
func (s *redisSet) slotOwner(ctx context.Context, key string) (primary string, replicas []string, err error) {
	err = errors.New("no node answered")
	for _, a := range s.addrs {
		c := redis.NewClient(&redis.Options{Addr: a, DialTimeout: 500 * time.Millisecond, MaxRetries: -1})
		primary, replicas, err = slotOwnerFrom(ctx, c, key)
		c.Close()
		if err == nil {
			return primary, replicas, nil
		}
	}
	return "", nil, fmt.Errorf("find the primary of %s: %w", key, err)
}

func slotOwnerFrom(ctx context.Context, c *redis.Client, key string) (string, []string, error) {
	slot, err := c.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", nil, err
	}
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return "", nil, err
	}
	for _, r := range slots {
		if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
			var reps []string
			for _, n := range r.Nodes[1:] {
				reps = append(reps, n.Addr)
			}
			return r.Nodes[0].Addr, reps, nil
		}
	}
	return "", nil, fmt.Errorf("slot %d has no owner", slot)
}

func (s *redisSet) node(addr string) *replica {
	for _, n := range s.nodes {
		if n.addr == addr {
			return n
		}
	}
	return nil
}

// failover makes a replica of the primary serving key take over.
// Graceful is a manual CLUSTER FAILOVER on the replica (the primary
// stops taking writes until the replica has all of them: nothing
// acknowledged is lost). Otherwise the primary is killed with SIGKILL,
// the cluster fails it over after the node timeout, and the old primary
// is started again and rejoins as a replica. It returns what happened,
// for the report, once the cluster is healthy again.
func (s *redisSet) failover(ctx context.Context, key string, graceful bool) (string, error) {
	if !s.cluster {
		return "", errors.New("fail over: not a cluster")
	}
	// Just after a restart a node may not list a replica yet (the
	// replica's link is up, the gossip not yet settled): ask again.
	var primary string
	var replicas []string
	for begin := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		var err error
		primary, replicas, err = s.slotOwner(ctx, key)
		if err == nil && len(replicas) > 0 {
			break
		}
		if time.Since(begin) > failoverTimeout || ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("the primary %s has no replica", primary)
			}
			return "", fmt.Errorf("fail over: %w", err)
		}
	}
	how := "CLUSTER FAILOVER on its replica"
	if graceful {
		c := redis.NewClient(&redis.Options{Addr: replicas[0], DialTimeout: time.Second, MaxRetries: -1})
		err := c.Do(ctx, "CLUSTER", "FAILOVER").Err()
		c.Close()
		if err != nil {
			return "", fmt.Errorf("CLUSTER FAILOVER on %s: %w", replicas[0], err)
		}
	} else {
		how = "kill -9, replica promoted by the cluster"
		n := s.node(primary)
		if n == nil {
			return "", fmt.Errorf("fail over: %s is not a node of this cluster", primary)
		}
		n.stop(syscall.SIGKILL)
	}
	start := time.Now()
	for {
		now, _, err := s.slotOwner(ctx, key)
		if err == nil && now != primary {
			break
		}
		if time.Since(start) > failoverTimeout || ctx.Err() != nil {
			return "", fmt.Errorf("fail over %s: no replica took over within %v", primary, failoverTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	if !graceful {
		if err := s.node(primary).start(); err != nil {
			return "", err
		}
	}
	if err := s.waitReady(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("primary %s of %s failed over (%s) in %.1fs; cluster healthy after %.1fs",
		primary, key, how, took.Seconds(), time.Since(start).Seconds()), nil
}

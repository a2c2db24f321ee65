package redistest

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{}) // the outage steps cause failed dials
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestServerRestartKeepsData(t *testing.T) {
	s := Start(t)
	c := s.Client()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		down func()
	}{
		{"Stop", s.Stop},
		{"Kill", s.Kill},
	} {
		step.down()
		if err := c.Ping(ctx).Err(); err == nil {
			t.Fatalf("Ping after %s succeeded", step.name)
		}
		s.Restart()
		var got string
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got, err = c.Get(ctx, "k").Result(); err == nil {
				break
			}
		}
		if err != nil || got != "v1" {
			t.Fatalf("Get(k) after %s and Restart = %q, %v, want v1", step.name, got, err)
		}
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	s := Start(t)
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	s.Stop()
	s.Stop() // idempotent
	// Signal 0 checks existence; the process has been waited for, so its
	// pid is gone (or, rarely, reused by an unrelated process).
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) after Stop = %v, want ESRCH", pid, err)
	}
}

func TestCluster(t *testing.T) {
	c := StartCluster(t)
	rdb := c.Client()
	ctx := context.Background()
	// Keys spread over all three nodes' slots.
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if err := rdb.Set(ctx, k, k, time.Minute).Err(); err != nil {
			t.Fatalf("Set(%s) on the cluster: %v", k, err)
		}
	}
	info, err := rdb.ClusterInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := "cluster_size:3"; !strings.Contains(info, want) {
		t.Errorf("CLUSTER INFO lacks %q:\n%s", want, info)
	}
}

// TestClusterFailover kills the primary of a key in a cluster with
// replicas: the replica takes over and the data is still there.
func TestClusterFailover(t *testing.T) {
	c := StartClusterWith(t, ClusterOptions{Replicas: 1})
	if got, want := len(c.Nodes), 6; got != want {
		t.Fatalf("len(Nodes) = %d, want %d", got, want)
	}
	rdb := c.Client()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	old := c.PrimaryFor(ctx, "k")
	// Make sure the replica has the write before the primary dies.
	pc := redis.NewClient(&redis.Options{Addr: old.Addr})
	n, err := pc.Wait(ctx, 1, time.Second).Result()
	pc.Close()
	if err != nil || n != 1 {
		t.Fatalf("WAIT 1 on the primary = %d, %v", n, err)
	}
	start := time.Now()
	old.Kill()
	var got string
	for time.Since(start) < 20*time.Second {
		if got, err = rdb.Get(ctx, "k").Result(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || got != "v" {
		t.Fatalf("Get(k) 20s after its primary died = %q, %v, want v", got, err)
	}
	if now := c.PrimaryFor(ctx, "k"); now == old {
		t.Errorf("PrimaryFor(k) is still the killed node %s", old.Addr)
	}
	t.Logf("failed over in %v", time.Since(start).Round(100*time.Millisecond))
}

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for switchboard in the replicas
// the load test starts (they carry loadtestChildEnv).
func TestMain(m *testing.M) {
	if os.Getenv(loadtestChildEnv) != "" && len(os.Args) > 1 && os.Args[1] == "serve" {
		main() // exits by itself on error
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLoadtestFaults is the short form of the load and fault harness:
// three gateways and three workers on one redis-server, widget and
// webhook users, a worker killed twice, gateways restarted and killed,
// Redis stopped; nothing may be lost, answered twice or reordered.
func TestLoadtestFaults(t *testing.T) {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not found")
		}
		t.Skip("redis-server not found; install it to run the load test")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var log strings.Builder
	rep, err := loadtest(ctx, loadOptions{
		Binary: exe, RedisServer: redisBin, Gateways: 3, Workers: 3, WorkerProcs: 1,
		Users: 10, Duration: 25 * time.Second, Faults: true, Outage: 4 * time.Second,
		ClaimAfter: 2 * time.Second, Dir: t.TempDir(), Log: &log,
	})
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, log.String())
	}
	var out strings.Builder
	rep.print(&out)
	t.Logf("\n%s", out.String())
	if rep.Lost != 0 || rep.AnsweredTwice != 0 || rep.OutOfOrder != 0 {
		t.Errorf("lost %d, answered twice %d, sessions out of order %d; want 0, 0, 0\n%s", rep.Lost, rep.AnsweredTwice, rep.OutOfOrder, log.String())
	}
	if got, want := len(rep.Faults), 10; got != want {
		t.Errorf("%d fault notes, want %d (five faults, each undone):\n%s", got, want, strings.Join(rep.Faults, "\n"))
	}
	if rep.Sent == 0 || rep.Answered < rep.Sent*9/10 {
		t.Errorf("answered %d of %d, want at least 90%%", rep.Answered, rep.Sent)
	}
	if got := rep.Answered + rep.InTransit + rep.Refused; got > rep.Sent {
		t.Errorf("answered+in transit+refused = %d > sent %d", got, rep.Sent)
	}
}

func TestLoadtestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--gateways", "0"}, {"--workers", "17"}, {"--users", "0"}, {"--duration", "3h"}, {"--outage", "-1s"}, {"extra"},
	} {
		err := run(context.Background(), append([]string{"loadtest"}, args...), io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("loadtest %v: err = %v, want a usage error", args, err)
		}
	}
}

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
// three gateways and three workers on a Redis Cluster (three primaries,
// three replicas), widget and webhook users who sometimes hang up and
// retry, a worker killed twice, gateways restarted and killed, every
// Redis node stopped, the job stream's primary failed over gracefully and
// a session's primary killed; nothing may be lost, answered twice,
// reordered or answered differently on a retry.
func TestLoadtestFaults(t *testing.T) {
	var bins []string
	for _, name := range []string{"redis-server", "redis-cli"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(name + " not found")
			}
			t.Skip(name + " not found; install redis-server to run the load test")
		}
		bins = append(bins, p)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var log strings.Builder
	rep, err := loadtest(ctx, loadOptions{
		Binary: exe, RedisServer: bins[0], RedisCLI: bins[1], Cluster: true, Gateways: 3, Workers: 3, WorkerProcs: 1,
		Users: 10, Duration: 30 * time.Second, Faults: true, Outage: 4 * time.Second, HangUps: 0.05,
		ClaimAfter: 2 * time.Second, Dir: t.TempDir(), Log: &log,
	})
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, log.String())
	}
	var out strings.Builder
	rep.print(&out)
	t.Logf("\n%s", out.String())
	if rep.Lost != 0 || rep.AnsweredTwice != 0 || rep.OutOfOrder != 0 || rep.Mismatched != 0 {
		t.Errorf("lost %d, answered twice %d, sessions out of order %d, retries given another reply %d; want 0, 0, 0, 0\n%s",
			rep.Lost, rep.AnsweredTwice, rep.OutOfOrder, rep.Mismatched, log.String())
	}
	if got, want := len(rep.Faults), 14; got != want {
		t.Errorf("%d fault notes, want %d (seven faults, each undone):\n%s", got, want, strings.Join(rep.Faults, "\n"))
	}
	for _, f := range rep.Faults {
		if strings.Contains(f, "failed:") || strings.Contains(f, "not ready") {
			t.Errorf("fault went wrong: %s", f)
		}
	}
	if rep.HungUp == 0 || rep.InTransit != 0 {
		t.Errorf("%d hang-ups, %d replies lost in transit; want some hang-ups, each retry answered", rep.HungUp, rep.InTransit)
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
		{"--mode", "bogus"}, {"--model", "m.gguf"}, {"--hang-ups", "0.9"},
	} {
		err := run(context.Background(), append([]string{"loadtest"}, args...), io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("loadtest %v: err = %v, want a usage error", args, err)
		}
	}
}

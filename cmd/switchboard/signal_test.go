//go:build linux || darwin || freebsd

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalExits: the first SIGTERM drains (here for a 30s
// drain_delay); a second one ends the process at once.
func TestSecondSignalExits(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "sb.yaml")
	if err := os.WriteFile(cfg, []byte("server:\n  addr: \"127.0.0.1:0\"\n  drain_delay: 30s\nknowledge:\n  dir: "+testKB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), loadtestChildEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Switchboard is listening") {
				listening <- true
			}
		}
	}()
	stopping := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "signal again to exit at once") {
				stopping <- true
			}
		}
	}()
	select {
	case <-listening:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-stopping:
	case <-time.After(10 * time.Second):
		t.Fatal("no note after the first SIGTERM")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after a second SIGTERM, within a 30s drain_delay")
	}
}

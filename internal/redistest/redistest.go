// Package redistest starts real redis-server processes for tests: a
// single node (Start) and a three-node Redis Cluster (StartCluster). They
// listen on free loopback ports, keep their files in the test's temporary
// directory and are stopped by t.Cleanup, so no process outlives the test.
//
// Without a redis-server binary on PATH the test fails when the CI
// environment variable is set and is skipped, loudly, otherwise.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client settings: short, so that tests of an unreachable Redis finish
// quickly.
const (
	dialTimeout   = time.Second
	ioTimeout     = time.Second
	dialerRetries = 2
	maxRetries    = 1
)

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 10 * time.Second

// A Server is one redis-server process. Its methods may be called from
// the test goroutine only (Client may be called from any).
type Server struct {
	// Addr is the server's host:port on loopback; it stays the same across
	// Restart.
	Addr string

	t    testing.TB
	bin  string
	dir  string
	args []string // extra redis-server arguments

	mu     sync.Mutex
	cmd    *exec.Cmd     // guarded by mu; nil while stopped
	exited chan struct{} // guarded by mu; closed when cmd has been waited for
}

// Start starts a redis-server with append-only persistence (so that data
// survives Stop and Restart) and returns when it answers PING.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := need(t, "redis-server")
	return startServer(t, bin, t.TempDir(), nil)
}

// startServer starts a server in dir with extra arguments, trying another
// port if the first one is taken.
func startServer(t testing.TB, bin, dir string, extra []string) *Server {
	t.Helper()
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		s := &Server{
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			t:    t,
			bin:  bin,
			dir:  dir,
			args: extra,
		}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(func() {
				s.Stop()
				releasePort(port)
			})
			return s
		}
		releasePort(port)
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// reserved holds the ports of this process's servers, stopped or not, so
// that a parallel test never takes the port of a server that is down for
// a Restart.
var reserved struct {
	sync.Mutex
	ports map[int]bool
}

// freePort returns a loopback port that is free, and whose cluster bus
// port (port+10000) is free too, and reserves it until release.
func freePort() (int, error) {
	reserved.Lock()
	defer reserved.Unlock()
	if reserved.ports == nil {
		reserved.ports = make(map[int]bool)
	}
	for range 100 {
		p := 20000 + rand.IntN(25000)
		if reserved.ports[p] || reserved.ports[p+10000] || reserved.ports[p-10000] {
			continue
		}
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
			reserved.ports[p] = true
			return p, nil
		}
	}
	return 0, errors.New("no free port pair after 100 tries")
}

func releasePort(p int) {
	reserved.Lock()
	defer reserved.Unlock()
	delete(reserved.ports, p)
}

func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{
		"--port", port,
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--logfile", "redis.log",
		"--daemonize", "no",
		"--save", "",
		"--appendonly", "yes",
		// Acknowledged writes are in the kernel before the reply, so they
		// survive a killed process; fsync is left to the OS for speed.
		"--appendfsync", "no",
		// Replicas (in a cluster with replicas) sync at once instead of
		// after the default 5 s.
		"--repl-diskless-sync-delay", "0",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { // owned by s: ends when the process does
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	for {
		err := c.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited at start: %s", s.Addr, s.logTail())
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("redis-server on %s did not answer within %v: %v; log: %s", s.Addr, startTimeout, err, s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logTail returns the end of the server's log, for error messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Client returns a new client of the server with short timeouts (1 s),
// two dial attempts per try and one retry,
// closed when the test ends. It keeps working across Stop and Restart.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:          s.Addr,
		DialTimeout:   dialTimeout,
		ReadTimeout:   ioTimeout,
		WriteTimeout:  ioTimeout,
		PoolTimeout:   ioTimeout,
		DialerRetries: dialerRetries,
		MaxRetries:    maxRetries,
	})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop shuts the server down gracefully (SIGTERM, which flushes the
// append-only file) and waits for it to exit; after 5 s it is killed.
// Stopping a stopped server does nothing.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill kills the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	cmd.Process.Signal(syscall.SIGCONT) // a paused server handles nothing else
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// Pause freezes the server (SIGSTOP) without closing its connections, as
// a hung or partitioned Redis looks to clients: commands time out instead
// of failing at once. Resume undoes it; Stop and Restart work while paused.
func (s *Server) Pause() { s.send(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() { s.send(syscall.SIGCONT) }

// send delivers sig to the running server, if any, without waiting.
func (s *Server) send(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Signal(sig)
	}
}

// Restart stops the server if it runs and starts it again on the same
// address with the same data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	// The port may linger briefly in the kernel; retry for a while.
	var err error
	for range 20 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("restart redis-server: %v", err)
}

// need returns the path of a Redis binary, or ends the test: a failure
// when CI is set, a loud skip otherwise.
func need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " not found: install it (apt-get install redis-server)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI requires the Redis tests", msg)
	}
	t.Log(strings.Repeat("!", 72))
	t.Log(msg)
	t.Log(strings.Repeat("!", 72))
	t.Skip(msg + " -- SKIPPING the tests against a real Redis")
	return ""
}

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	kb, err := filepath.Abs(testKB)
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(config, []byte("knowledge:\n  dir: "+kb+"\nlog:\n  level: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oldEnv := getenv
	t.Cleanup(func() { getenv = oldEnv })
	getenv = func(k string) string {
		if k == "SWITCHBOARD_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", config}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Demo help page: "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") {
		t.Fatalf("serve printed demo URL %q", url)
	}
	for _, path := range []string{"", "healthz", "readyz", "widget.js"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET /%s: status %d", path, resp.StatusCode)
		}
	}
	cancel() // as SIGINT does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after a clean shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeBadConfig(t *testing.T) {
	config := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(config, []byte("answer:\n  mode: psychic\n"), 0o600)
	if err := run(context.Background(), []string{"serve", "--config", config}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "answer.mode") {
		t.Fatalf("serve with a bad config = %v, want an answer.mode error", err)
	}
}

func TestDemoURL(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"[::]:8080", "http://localhost:8080/"},
		{"0.0.0.0:8080", "http://localhost:8080/"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/"},
	} {
		if got := demoURL(fakeAddr(tt.addr)); got != tt.want {
			t.Errorf("demoURL(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

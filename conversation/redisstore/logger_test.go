package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
)

// TestLogTo: the Redis client's messages come out as log records.
func TestLogTo(t *testing.T) {
	var buf bytes.Buffer
	p := printer{slog.New(slog.NewJSONHandler(&buf, nil)).WithGroup("redis")}
	p.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v\n", 2, "refused")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	if rec["level"] != "WARN" || rec["msg"] != "redis: connection pool: failed to dial after 2 attempts: refused" {
		t.Errorf("record %v, want a warning with the client's message", rec)
	}
}

// TestMayHaveRun: a timeout or a broken connection may follow a command
// Redis runs; a refused connection or an error reply may not.
func TestMayHaveRun(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for err, want := range map[error]bool{
		context.DeadlineExceeded: true,
		io.EOF:                   true,
		fmt.Errorf("read: %w", os.ErrDeadlineExceeded): true,
		refused: false,
		errors.New("ERR wrong number of arguments"): false,
	} {
		if got := mayHaveRun(err); got != want {
			t.Errorf("mayHaveRun(%v) = %v, want %v", err, got, want)
		}
	}
}

package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
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

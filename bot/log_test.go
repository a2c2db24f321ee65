package bot

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A JSON log line says durations as Go spells them, not in nanoseconds.
func TestLoggerDurations(t *testing.T) {
	var b bytes.Buffer
	NewLogger(LogConfig{Level: "info", Format: "json"}, &b).Info("reloaded", "took", 47*time.Millisecond)
	if !strings.Contains(b.String(), `"took":"47ms"`) {
		t.Errorf("log line %s, want \"took\":\"47ms\"", b.String())
	}
}

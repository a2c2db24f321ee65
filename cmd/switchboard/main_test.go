package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// TestRunDispatch checks the contract every command shares: usage errors
// go to stderr and exit 2, help goes to stdout and exits 0.
func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int // 0 means no error
		wantStdout string
		wantStderr string
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: "Usage: switchboard"},
		{name: "help", args: []string{"help"}, wantStdout: "Commands:"},
		{name: "--help", args: []string{"--help"}, wantStdout: "Commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: "Usage: switchboard"},
		{name: "bad flag", args: []string{"search", "--no-such-flag", "x"}, wantCode: 2},
		{name: "command help", args: []string{"search", "--help"}, wantStderr: "Usage: switchboard search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			code := 0
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				code = exitCode(err)
			}
			if code != tt.wantCode {
				t.Errorf("run(%q) exit code = %d (err %v), want %d", tt.args, code, err, tt.wantCode)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantStderr)
			}
			if tt.wantCode != 0 && stdout.Len() > 0 {
				t.Errorf("run(%q) wrote %q to stdout on a usage error", tt.args, stdout.String())
			}
		})
	}
}

// TestErrorLinePrintedOnce: a bad flag is reported by its flag set, above
// the usage, and main prints nothing more (it printed the error twice);
// other errors main prints once.
func TestErrorLinePrintedOnce(t *testing.T) {
	var stderr strings.Builder
	err := run(context.Background(), []string{"ask", "--bogus", "hi"}, io.Discard, &stderr)
	if err == nil || strings.Count(stderr.String(), "-bogus") != 1 || errorLine(err) != "" {
		t.Errorf("bad flag: stderr %q, main adds %q; want it reported once", stderr.String(), errorLine(err))
	}
	if got := errorLine(usageError{msg: `unknown command "x"`}); got != `switchboard: unknown command "x"` {
		t.Errorf("errorLine(unknown command) = %q", got)
	}
}

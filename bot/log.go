package bot

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// NewLogger returns the structured logger cfg describes, writing to w: text
// when w is a terminal (or Format is "text"), JSON otherwise.
func NewLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Level))) // validated by Config.Validate
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: readableDuration}
	format := cfg.Format
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// readableDuration writes a duration as Go spells it ("47ms", "2s"):
// the JSON handler wrote nanoseconds ("took":47000000), which a reader of
// the log had to count the digits of.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

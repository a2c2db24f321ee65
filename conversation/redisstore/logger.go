package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// LogTo sends the Redis client's own messages (a failed dial, a
// connection pool error) to log as warnings. The client otherwise prints
// them as plain text on stderr, where they broke a JSON log. The client
// has one logger for the whole process.
func LogTo(log *slog.Logger) {
	redis.SetLogger(printer{log.WithGroup("redis")})
}

type printer struct{ log *slog.Logger }

func (p printer) Printf(ctx context.Context, format string, v ...any) {
	p.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}

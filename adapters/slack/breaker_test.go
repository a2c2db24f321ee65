package slack

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
)

// After BreakerFailures outage-like failures in a row, calls fail fast
// for BreakerCooldown; Slack's own error codes never open the breaker.
func TestBreaker(t *testing.T) {
	fake := newFakeSlack(t)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	a, _ := newTestAdapter(t, fake, Options{Handler: replyWith("x"), Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	ctx := context.Background()
	down := errors.New("dial tcp: connection reset")
	refused := slackapi.SlackErrorResponse{Err: "channel_not_found"}
	steps := []struct {
		name     string
		advance  time.Duration
		result   error
		wantCall bool
		wantDown bool
	}{
		{"slack error codes", 0, refused, true, false},
		{"slack error codes", 0, refused, true, false},
		{"slack error codes", 0, refused, true, false},
		{"slack error codes", 0, refused, true, false},
		{"outage 1", 0, down, true, false},
		{"outage 2", 0, down, true, false},
		{"outage 3 opens", 0, down, true, false},
		{"fails fast", time.Second, nil, false, true},
		{"still open", BreakerCooldown - 2*time.Second, nil, false, true},
		{"half open, fails again", 2 * time.Second, down, true, false},
		{"reopened", time.Second, nil, false, true},
		{"after cooldown, success", BreakerCooldown, nil, true, false},
		{"closed", 0, nil, true, false},
	}
	for i, s := range steps {
		now.Add(int64(s.advance))
		called := false
		err := a.call(ctx, "chat.postMessage", func(context.Context) error {
			called = true
			return s.result
		})
		if called != s.wantCall || errors.Is(err, ErrSlackDown) != s.wantDown {
			t.Errorf("step %d (%s): called %v, err %v; want called %v, ErrSlackDown %v", i, s.name, called, err, s.wantCall, s.wantDown)
		}
	}
}

package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/breaker"
)

// ErrSlackDown is returned, without calling Slack, while the Web API is
// considered down: after BreakerFailures calls in a row failed with a
// timeout, a transport error or a 5xx, for BreakerCooldown. Replies then
// fail fast instead of holding the pipeline's workers, which the other
// platforms share, for a timeout each.
var ErrSlackDown = errors.New("slack: web api unavailable; not calling it for a while")

// Circuit breaker settings (those of the zero breaker.Breaker).
const (
	BreakerFailures = breaker.DefaultFailures
	BreakerCooldown = breaker.DefaultCooldown
)

// replyMetadataType names the message metadata every reply part carries,
// so that a part can be found again in its thread.
const replyMetadataType = "switchboard_reply"

// call runs one Web API method with CallTimeout. A 429 is retried once
// after its Retry-After when that is at most MaxRetryAfter; every failure
// is logged with its Slack error code and counted.
func (a *Adapter) call(ctx context.Context, method string, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if !a.breaker.Allow(a.opts.Clock()) {
			a.opts.Metrics.apiError(method, "circuit_open")
			return fmt.Errorf("call %s: %w", method, ErrSlackDown)
		}
		cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
		err := f(cctx)
		cancel()
		outage := err != nil && ctx.Err() == nil && outageLike(err)
		if a.breaker.Record(a.opts.Clock(), outage) {
			a.log.Error("slack web api looks down; failing fast", "method", method, "for", BreakerCooldown, "err", err)
		}
		if err == nil {
			return nil
		}
		if wait, ok := retryAfter(err); ok && attempt == 0 && a.opts.MaxRetryAfter > 0 && wait <= a.opts.MaxRetryAfter {
			a.log.Info("slack rate limited; retrying", "method", method, "retry_after", wait)
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("call %s: %w", method, err)
			}
			continue
		}
		code := errorCode(err)
		a.log.Warn("slack api call failed", "method", method, "code", code, "err", err)
		a.opts.Metrics.apiError(method, code)
		return fmt.Errorf("call %s: %w", method, err)
	}
}

// retryAfter reports whether err is a rate limit and how long to wait.
// A 429 without Retry-After waits one second.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, 0), true
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) && sc.Code == 429 {
		return time.Second, true
	}
	return 0, false
}

// errorCode is the Slack error code of err ("channel_not_found"), or a
// word for a failure that has none.
func errorCode(err error) string {
	var resp slackapi.SlackErrorResponse
	var sc slackapi.StatusCodeError
	var rl *slackapi.RateLimitedError
	var ne net.Error
	switch {
	case errors.As(err, &resp):
		return resp.Err
	case errors.As(err, &rl):
		return "ratelimited"
	case errors.As(err, &sc):
		return "http_" + strconv.Itoa(sc.Code)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "transport"
}

// ambiguous reports whether a failed post may still have been posted
// (Slack may have acted before the answer was lost).
func ambiguous(err error) bool {
	var resp slackapi.SlackErrorResponse
	var rl *slackapi.RateLimitedError
	if errors.As(err, &resp) || errors.As(err, &rl) || errors.Is(err, context.Canceled) {
		return false // Slack answered, and did not post
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false // never connected
	}
	return true // timeout or transport error: unknown
}

// outageLike reports whether err looks like Slack being down or
// unreachable (rather than refusing this one call).
func outageLike(err error) bool {
	var resp slackapi.SlackErrorResponse
	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	switch {
	case errors.As(err, &resp), errors.As(err, &rl), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &sc):
		return sc.Code >= 500
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A part is one Slack message of a reply.
type part struct {
	text     string // the notification text (mrkdwn)
	blocks   []slackapi.Block
	metadata *slackapi.SlackMetadata // instead of the reply part's own
}

// post posts p into channel's thread and returns its ts. The message
// carries metadata naming (id, n), so that after an ambiguous failure
// post looks in the thread before posting again: a part is never posted
// twice. An empty id posts without metadata and never re-posts.
func (a *Adapter) post(ctx context.Context, channel, thread, id string, n int, p part) (string, error) {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(p.text, false)}
	if len(p.blocks) > 0 {
		opts = append(opts, slackapi.MsgOptionBlocks(p.blocks...))
	}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	if p.metadata != nil {
		opts = append(opts, slackapi.MsgOptionMetadata(*p.metadata))
	} else if id != "" {
		opts = append(opts, slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
			EventType:    replyMetadataType,
			EventPayload: map[string]any{"message_id": id, "part": strconv.Itoa(n)},
		}))
	}
	var ts string
	postOnce := func() error {
		return a.call(ctx, "chat.postMessage", func(ctx context.Context) error {
			var err error
			_, ts, err = a.api.PostMessageContext(ctx, channel, opts...)
			return err
		})
	}
	err := postOnce()
	if err == nil || id == "" || thread == "" || !ambiguous(err) || ctx.Err() != nil {
		return ts, err
	}
	found, ok, ferr := a.findPart(ctx, channel, thread, id, n)
	switch {
	case ferr != nil:
		return "", err // cannot tell: do not risk a second post
	case ok:
		return found, nil
	}
	a.log.Info("re-posting a reply part that did not arrive", "channel", channel, "message_id", id, "part", n)
	return ts, postOnce()
}

// findPart looks for the reply part (id, n) in channel's thread and
// returns its ts and whether it is there; an error means the thread could
// not be read.
func (a *Adapter) findPart(ctx context.Context, channel, thread, id string, n int) (string, bool, error) {
	msgs, err := a.replies(ctx, channel, thread, 200)
	if err != nil {
		return "", false, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		md := msgs[i].Metadata
		if md.EventType == replyMetadataType && md.EventPayload["message_id"] == id && md.EventPayload["part"] == strconv.Itoa(n) {
			return msgs[i].Timestamp, true, nil
		}
	}
	return "", false, nil
}

// replies returns the first limit messages of channel's thread, its
// parent first, with their metadata.
func (a *Adapter) replies(ctx context.Context, channel, thread string, limit int) ([]slackapi.Message, error) {
	var msgs []slackapi.Message
	err := a.call(ctx, "conversations.replies", func(ctx context.Context) error {
		var err error
		msgs, _, _, err = a.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: thread, Limit: limit, IncludeAllMetadata: true,
		})
		return err
	})
	return msgs, err
}

// update replaces the message at ts with p.
func (a *Adapter) update(ctx context.Context, channel, ts string, p part) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(p.text, false)}
	// An empty block list would keep the old blocks; send none explicitly.
	opts = append(opts, slackapi.MsgOptionBlocks(p.blocks...))
	return a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// remove deletes the bot's message at ts.
func (a *Adapter) remove(ctx context.Context, channel, ts string) error {
	return a.call(ctx, "chat.delete", func(ctx context.Context) error {
		_, _, err := a.api.DeleteMessageContext(ctx, channel, ts)
		return err
	})
}

// ephemeral shows text to user only, in channel's thread.
func (a *Adapter) ephemeral(ctx context.Context, channel, thread, user, text string) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	return a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := a.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// permalink returns a link to the message at ts, or "" when Slack does
// not give one.
func (a *Adapter) permalink(ctx context.Context, channel, ts string) string {
	var link string
	err := a.call(ctx, "chat.getPermalink", func(ctx context.Context) error {
		var err error
		link, err = a.api.GetPermalinkContext(ctx, &slackapi.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil {
		return ""
	}
	return link
}

// botUserID returns the bot's own user id: from Options, from the event's
// authorizations (fromEvent), or from auth.test, which is asked until it
// answers once. It returns "" when none is known.
func (a *Adapter) botUserID(ctx context.Context, fromEvent string) string {
	a.mu.Lock()
	id := a.botUser
	if id == "" && fromEvent != "" {
		a.botUser, id = fromEvent, fromEvent
	}
	a.mu.Unlock()
	if id != "" {
		return id
	}
	var resp *slackapi.AuthTestResponse
	err := a.call(ctx, "auth.test", func(ctx context.Context) error {
		var err error
		resp, err = a.api.AuthTestContext(ctx)
		return err
	})
	if err != nil || resp.UserID == "" {
		return ""
	}
	a.mu.Lock()
	a.botUser = resp.UserID
	a.mu.Unlock()
	return resp.UserID
}

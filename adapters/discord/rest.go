package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard/switchboard/adapters/internal/breaker"
)

// ErrDiscordDown is returned, without calling Discord, while the REST API
// is considered down: after BreakerFailures calls in a row failed with a
// timeout, a transport error or a 5xx, for BreakerCooldown. Replies then
// fail fast instead of holding the pipeline's workers, which the other
// platforms share, for a timeout each.
var ErrDiscordDown = errors.New("discord: rest api unavailable; not calling it for a while")

// Circuit breaker settings (those of the zero breaker.Breaker).
const (
	BreakerFailures = breaker.DefaultFailures
	BreakerCooldown = breaker.DefaultCooldown
)

// newSession returns a discordgo session for REST calls and the gateway:
// token gets its "Bot " prefix, REST calls go to apiURL (when set)
// through hc's transport, and the gateway is configured for Intents, no
// automatic reconnect (Run reconnects, so that it can stop), no blind
// rate-limit retries (call retries within its timeout) and synchronous
// event handlers (the adapter starts its own goroutines).
func newSession(token, apiURL string, hc *http.Client) (*discordgo.Session, error) {
	if token != "" && !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("new discord session: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Second} // a backstop; calls carry contexts
	if hc != nil {
		c := *hc
		client = &c
	}
	if apiURL != "" {
		base, err := ParseAPIURL(apiURL)
		if err != nil {
			return nil, err
		}
		next := client.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		client.Transport = &rewriter{base: base, next: next}
	}
	s.Client = client
	s.Identify.Intents = Intents
	s.ShouldReconnectOnError = false
	s.ShouldRetryOnRateLimit = false
	s.SyncEvents = true
	return s, nil
}

// ParseAPIURL checks a DISCORD_API_URL value: an absolute http(s) URL.
func ParseAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("parse discord api url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parse discord api url %q: want an absolute http(s) URL", s)
	}
	return u, nil
}

// apiSuffix matches a base path that already names the API ("/api",
// "/api/v10").
var apiSuffix = regexp.MustCompile(`/api(/v[0-9]+)?$`)

// rewriter sends requests meant for discordgo's REST host to base.
type rewriter struct {
	base *url.URL
	next http.RoundTripper
}

func (r *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	orig, err := url.Parse(discordgo.EndpointDiscord)
	if err != nil || req.URL.Host != orig.Host {
		return r.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = r.base.Scheme
	out.URL.Host = r.base.Host
	out.URL.Path = rewritePath(r.base.Path, req.URL.Path)
	out.URL.RawPath = ""
	out.Host = ""
	return r.next.RoundTrip(out)
}

// rewritePath maps discordgo's path p ("/api/v9/channels/1/messages") onto
// base's path: a base ending in /api/vN replaces /api/v9, one ending in
// /api replaces /api, any other is a prefix.
func rewritePath(base, p string) string {
	base = strings.TrimRight(base, "/")
	switch m := apiSuffix.FindStringSubmatch(base); {
	case m == nil:
		return base + p
	case m[1] != "":
		return base + strings.TrimPrefix(p, "/api/v"+discordgo.APIVersion)
	default:
		return base + strings.TrimPrefix(p, "/api")
	}
}

// restCall is a discordgo REST method with its arguments bound.
type restCall func(opts ...discordgo.RequestOption) error

// call runs f for the operation op (named in logs and metrics) within
// CallTimeout, a rate-limit wait included: discordgo's bucket limiter
// waits without a context, so f runs in a goroutine of its own that is
// abandoned (and awaited by Shutdown) at the timeout. A 429 is logged and
// retried once when its retry_after is at most MaxRetryAfter.
func (a *Adapter) call(ctx context.Context, op string, f restCall) error {
	for attempt := 0; ; attempt++ {
		if !a.breaker.Allow(time.Now()) {
			a.opts.Metrics.apiError(op, "circuit_open")
			return fmt.Errorf("%s: %w", op, ErrDiscordDown)
		}
		err := a.callOnce(ctx, f)
		if err == nil {
			a.breaker.Record(time.Now(), false)
			return nil
		}
		code, outage, retryAfter := classify(err)
		if ctx.Err() != nil {
			// Our own deadline or shutdown, not Discord's fault.
			a.log.Debug("discord call abandoned", "op", op, "err", err)
			return fmt.Errorf("%s: %w", op, err)
		}
		a.opts.Metrics.apiError(op, code)
		if a.breaker.Record(time.Now(), outage) {
			a.log.Error("discord looks down; failing fast", "op", op, "for", BreakerCooldown)
		}
		if code != "ratelimited" {
			a.log.Warn("discord call failed", "op", op, "code", code, "err", err)
			return fmt.Errorf("%s: %w", op, err)
		}
		retry := attempt == 0 && a.opts.MaxRetryAfter >= 0 && retryAfter <= a.opts.MaxRetryAfter
		a.log.Warn("discord rate limited (429)", "op", op, "retry_after", retryAfter, "retry", retry)
		if !retry {
			return fmt.Errorf("%s: %w", op, err)
		}
		t := time.NewTimer(retryAfter)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
	}
}

// callOnce runs f once with a context bounded by CallTimeout.
func (a *Adapter) callOnce(ctx context.Context, f restCall) error {
	cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	defer cancel()
	done := make(chan error, 1)
	a.work.Detach(func() {
		done <- f(discordgo.WithContext(cctx), discordgo.WithRetryOnRatelimit(false))
	})
	select {
	case err := <-done:
		return err
	case <-cctx.Done():
		return cctx.Err()
	}
}

// classify names a REST error for metrics, says whether it looks like an
// outage, and for a 429 how long Discord asked to wait.
func classify(err error) (code string, outage bool, retryAfter time.Duration) {
	var rl *discordgo.RateLimitError
	var rest *discordgo.RESTError
	var uerr *url.Error
	switch {
	case errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil:
		return "ratelimited", false, rl.RetryAfter
	case errors.As(err, &rest) && rest.Response != nil:
		return fmt.Sprintf("http_%d", rest.Response.StatusCode), rest.Response.StatusCode >= 500, 0
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", true, 0
	case errors.Is(err, context.Canceled):
		return "cancelled", false, 0
	case errors.As(err, &uerr):
		return "transport", true, 0
	}
	return "error", false, 0
}

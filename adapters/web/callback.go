package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// CallbackOptions configure the delivery of webhook replies to a
// callback_url. Zero fields take the defaults named on each.
type CallbackOptions struct {
	// Attempts is how many times a delivery is tried. Zero means 5.
	Attempts int
	// InitialBackoff is the wait before the first retry; it doubles after
	// every attempt. Zero means 500ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between attempts. Zero means 30s.
	MaxBackoff time.Duration
	// Timeout bounds one attempt. Zero means 10s.
	Timeout time.Duration
	// Client sends the deliveries. Nil means a client with no timeout of
	// its own (Timeout applies per attempt).
	Client *http.Client
}

func (o *CallbackOptions) applyDefaults() {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
}

// acceptCallback answers 202 and runs the message and its delivery in a
// goroutine the adapter owns.
func (a *Adapter) acceptCallback(w http.ResponseWriter, req Request, token string, msg conversation.Message) {
	if !a.background(func(ctx context.Context) { a.runCallback(ctx, req, token, msg) }) {
		WriteError(w, http.StatusServiceUnavailable, CodeShuttingDown, "The server is shutting down; try again shortly.")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(Response{ConversationID: req.ConversationID, Token: token})
}

// runCallback runs the pipeline for msg and delivers the outcome.
func (a *Adapter) runCallback(ctx context.Context, req Request, token string, msg conversation.Message) {
	var c capture
	hctx := ctx
	if a.opt.ReplyTimeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, a.opt.ReplyTimeout)
		defer cancel()
	}
	err := a.opt.Handler.Handle(hctx, msg, &c)
	rep, ok := c.close()
	if err == nil && !ok {
		err = errors.New("handler returned without a reply")
	}
	a.tellAgents(msg, err == nil && rep.Handoff, err)
	out := Response{ConversationID: req.ConversationID, Token: token}
	if err != nil {
		a.logHandleError(msg, err)
		_, code, text := errorFor(err)
		out.Error = &ErrorDetail{Code: code, Message: text}
	} else {
		out.Reply = a.replyBody(rep)
	}
	body, _ := json.Marshal(out)
	if err := a.deliver(ctx, req.CallbackURL, body); err != nil {
		a.log.Warn("callback not delivered", "session", msg.Address.SessionID(), "err", err)
	}
}

// errPermanent marks a delivery failure that retrying cannot fix.
var errPermanent = errors.New("permanent failure")

// deliver POSTs body to url, signed, retrying transport errors, 429 and
// 5xx with exponential backoff, at most Attempts times.
func (a *Adapter) deliver(ctx context.Context, url string, body []byte) error {
	o := a.opt.Callback
	wait := o.InitialBackoff
	var err error
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		if err = a.post(ctx, url, body); err == nil || errors.Is(err, errPermanent) {
			return err
		}
		if attempt == o.Attempts {
			break
		}
		a.log.Debug("callback attempt failed", "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("deliver callback: %w (last error: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, o.MaxBackoff)
	}
	return fmt.Errorf("deliver callback after %d attempts: %w", o.Attempts, err)
}

func (a *Adapter) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, a.opt.Callback.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build callback request: %w: %w", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(a.opt.Secret, body, a.opt.Now()))
	resp, err := a.opt.Callback.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post callback: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("post callback: status %d", resp.StatusCode)
	default:
		return fmt.Errorf("post callback: status %d: %w", resp.StatusCode, errPermanent)
	}
}

package slack

import (
	"context"
	"errors"
	"fmt"
	"log"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/switchboard/switchboard/adapters/internal/inflight"
)

// runSocket receives events over Socket Mode until ctx is done. slack-go
// reconnects by itself; runSocket returns an error only when Slack refuses
// the app token. Every request is acknowledged before it is handled.
func (a *Adapter) runSocket(ctx context.Context) error {
	client := socketmode.New(a.api, socketmode.OptionLog(log.New(slogWriter{a}, "", 0)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc // slack-go stops its connection goroutines before returning
			return nil
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("run slack socket mode: %w", err)
		case evt := <-client.Events:
			a.socketEvent(ctx, client, evt)
		}
	}
}

// socketEvent handles one Socket Mode client event.
func (a *Adapter) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.log.Info("slack socket mode connected")
	case socketmode.EventTypeConnectionError:
		a.log.Warn("slack socket mode connection failed; retrying", "data", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack socket mode: the app token was refused")
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		env, err := parseEnvelope(evt.Request.Payload)
		if err != nil {
			a.log.Warn("undecodable slack socket event", "err", err)
			_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			return
		}
		if env.Type == "event_callback" {
			if err := a.dispatch(env, evt.Request.RetryAttempt); errors.Is(err, inflight.ErrBusy) {
				return // not acknowledged: Slack redelivers it
			}
		}
		_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if ok {
			if err := a.interact(cb); errors.Is(err, inflight.ErrBusy) {
				return
			}
		}
		_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
	case socketmode.EventTypeSlashCommand:
		if evt.Request != nil {
			_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	}
}

// slogWriter sends slack-go's own log lines to the adapter's logger at
// debug level.
type slogWriter struct{ a *Adapter }

func (w slogWriter) Write(p []byte) (int, error) {
	w.a.log.Debug("slack-go", "msg", string(p))
	return len(p), nil
}

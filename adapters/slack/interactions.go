package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/inflight"
	"github.com/switchboard/switchboard/adapters/internal/webhook"
	"github.com/switchboard/switchboard/conversation"
)

// Texts shown to the person who pressed a button.
const (
	feedbackThanks = "Thanks for the feedback!"
	alreadyHuman   = "A human agent has already been asked to join this conversation."
	// humanRequest is the message the "Talk to a human" button sends the
	// Handler when it is no Handoffer.
	humanRequest = "I'd like to talk to a human agent, please."
)

// maxActions bounds the actions of one interaction that are handled.
const maxActions = 5

// ParseInteraction decodes the form body of an interactivity request
// (payload=<json>).
func ParseInteraction(body []byte) (slackapi.InteractionCallback, error) {
	var cb slackapi.InteractionCallback
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return cb, fmt.Errorf("decode slack interaction: %w", err)
	}
	payload := form.Get("payload")
	if payload == "" {
		return cb, errors.New("decode slack interaction: no payload")
	}
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		return cb, fmt.Errorf("decode slack interaction: %w", err)
	}
	return cb, nil
}

// handleInteractions serves POST /slack/interactions: it acknowledges at
// once and handles the buttons in the background.
func (a *Adapter) handleInteractions(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readSigned(w, r)
	if !ok {
		return
	}
	cb, err := ParseInteraction(body)
	if err != nil {
		webhook.WriteError(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	if err := a.interact(cb); errors.Is(err, inflight.ErrBusy) {
		webhook.WriteError(w, http.StatusServiceUnavailable, "unavailable", "busy or shutting down; retry later")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interact handles the reply buttons of cb in a goroutine the adapter
// owns. Other interactions are ignored.
func (a *Adapter) interact(cb slackapi.InteractionCallback) error {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return nil
	}
	actions := cb.ActionCallback.BlockActions
	if len(actions) > maxActions {
		actions = actions[:maxActions] // a click sends one; more is not Slack
	}
	for _, act := range actions {
		if act == nil {
			continue
		}
		var v buttonValue
		if act.ActionID == actionHelpful || act.ActionID == actionUnhelpful || act.ActionID == actionHuman {
			if err := json.Unmarshal([]byte(act.Value), &v); err != nil || v.Channel == "" {
				// A button of ours without its value: use the payload.
				v = buttonValue{Team: cb.Team.ID, Channel: cb.Container.ChannelID,
					Thread: cb.Container.ThreadTs, User: cb.User.ID}
				if v.Thread == "" {
					v.Thread = cb.Container.MessageTs
				}
			}
		}
		clicker, messageTS := cb.User.ID, cb.Container.MessageTs
		switch act.ActionID {
		case actionHelpful, actionUnhelpful:
			helpful := act.ActionID == actionHelpful
			a.opts.Metrics.feedback(helpful)
			a.log.Info("slack feedback", "helpful", helpful, "session", v.address().SessionID(), "message_id", v.Message)
			if err := a.work.Go(func(ctx context.Context) {
				_ = a.ephemeral(ctx, v.Channel, v.Thread, clicker, feedbackThanks)
			}); err != nil {
				return err
			}
		case actionRelease:
			session, channel, thread := act.Value, cb.Container.ChannelID, cb.Container.MessageTs
			if err := a.work.Go(func(ctx context.Context) {
				a.releasePressed(ctx, session, channel, thread, clicker)
			}); err != nil {
				return err
			}
		case actionHuman:
			a.opts.Metrics.handoffButton()
			answer := cb.Message.Text
			if err := a.work.Go(func(ctx context.Context) {
				a.humanRequested(ctx, v, clicker, messageTS, answer)
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// humanRequested hands v's session to a human after the button was
// pressed on the bot message at messageTS (whose text is answer).
func (a *Adapter) humanRequested(ctx context.Context, v buttonValue, clicker, messageTS, answer string) {
	addr := v.address()
	note := "> *Bot’s last answer:* " + quote(answer)
	if h, ok := a.opts.Handler.(Handoffer); ok {
		if err := h.Handoff(ctx, addr, "button"); err != nil {
			if errors.Is(err, conversation.ErrHumanHandling) {
				_ = a.ephemeral(ctx, v.Channel, v.Thread, clicker, alreadyHuman)
				return
			}
			a.log.Warn("slack handoff failed", "session", addr.SessionID(), "err", err)
			_ = a.ephemeral(ctx, v.Channel, v.Thread, clicker, errorText)
			return
		}
		_, _ = a.post(ctx, v.Channel, v.Thread, "", 0, part{text: conversation.HandoffText})
		a.notifyAgents(ctx, addr, "pressed “Talk to a human”", note)
		return
	}
	// Without a Handoffer the request goes through the pipeline, whose
	// handoff policy answers it; pressing the same button twice is one
	// message (the id names the button's message and who pressed it).
	m := conversation.Message{
		ID:      "button:" + messageTS + ":" + clicker,
		Address: addr,
		Text:    humanRequest,
	}
	m.UserName = a.users.name(ctx, clicker)
	s := a.newSender(ctx, m, false)
	s.note = note
	err := a.opts.Handler.Handle(ctx, m, s)
	switch {
	case errors.Is(err, conversation.ErrHumanHandling), errors.Is(err, conversation.ErrDuplicate):
		// Already handed off, or this very button was pressed before.
		_ = a.ephemeral(ctx, v.Channel, v.Thread, clicker, alreadyHuman)
		s.finish(ctx, nil)
	default:
		s.finish(ctx, err)
	}
}

package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/adapters/internal/inflight"
	"github.com/switchboard/switchboard/adapters/internal/webhook"
	"github.com/switchboard/switchboard/conversation"
)

// An envelope is the outer JSON of an Events API request (and of a Socket
// Mode events_api payload). Only the fields the adapter uses are decoded.
type envelope struct {
	Type           string          `json:"type"`
	Challenge      string          `json:"challenge"`
	TeamID         string          `json:"team_id"`
	EventID        string          `json:"event_id"`
	Event          json.RawMessage `json:"event"`
	Authorizations []struct {
		UserID string `json:"user_id"`
		IsBot  bool   `json:"is_bot"`
	} `json:"authorizations"`
}

// An event is the inner event of an event_callback.
type event struct {
	Type        string          `json:"type"`
	SubType     string          `json:"subtype"`
	User        string          `json:"user"`
	BotID       string          `json:"bot_id"`
	Text        string          `json:"text"`
	TS          string          `json:"ts"`
	ThreadTS    string          `json:"thread_ts"`
	Channel     string          `json:"channel"`
	ChannelType string          `json:"channel_type"`
	Team        string          `json:"team"`
	Edited      json.RawMessage `json:"edited"`
}

// Limits on what an event may carry.
const (
	maxIDLen   = 64       // Slack ids and timestamps are far shorter
	maxTextLen = 40 << 10 // Slack's own message limit
)

// parseEnvelope decodes an Events API body. It fails on malformed JSON,
// a missing type, and an event_callback without event_id or event.
func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("decode slack event: %w", err)
	}
	switch {
	case env.Type == "":
		return env, errors.New("decode slack event: no type")
	case env.Type == "event_callback" && (env.EventID == "" || len(env.Event) == 0):
		return env, errors.New("decode slack event: event_callback without event_id or event")
	}
	return env, nil
}

// handleEvents serves POST /slack/events.
func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readSigned(w, r)
	if !ok {
		return
	}
	env, err := parseEnvelope(body)
	if err != nil {
		webhook.WriteError(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	switch env.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": env.Challenge})
		return
	case "app_rate_limited":
		a.log.Warn("slack is dropping events: app rate limited", "team", env.TeamID)
	case "event_callback":
		retry, _ := strconv.Atoi(r.Header.Get(HeaderRetryNum))
		if err := a.dispatch(env, retry); errors.Is(err, inflight.ErrBusy) {
			// Slack redelivers later, or to another replica.
			webhook.WriteError(w, http.StatusServiceUnavailable, "unavailable", "busy or shutting down; retry later")
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// readSigned reads r's body within MaxBodyBytes and checks its signature,
// answering 413 or 401 itself when it fails.
func (a *Adapter) readSigned(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, ok := webhook.ReadBody(w, r, a.opts.MaxBodyBytes)
	if !ok {
		return nil, false
	}
	if err := Verify(r.Header, body, a.opts.SigningSecret, a.opts.Clock()); err != nil {
		a.log.Warn("slack request refused", "path", r.URL.Path, "err", err)
		webhook.WriteError(w, http.StatusUnauthorized, "invalid_signature", err.Error())
		return nil, false
	}
	return body, true
}

// dispatch starts the reply to env's event when it is one the bot
// answers. It returns inflight.ErrBusy when the adapter cannot take it now.
func (a *Adapter) dispatch(env envelope, retry int) error {
	var ev event
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		a.log.Warn("undecodable slack event", "event_id", env.EventID, "err", err)
		return nil
	}
	agents := a.inAgentThread(ev)
	if why := ignored(ev, agents); why != "" {
		a.log.Debug("slack event ignored", "event_id", env.EventID, "type", ev.Type, "why", why)
		return nil
	}
	fromEvent := ""
	for _, au := range env.Authorizations {
		if au.IsBot {
			fromEvent = au.UserID
			break
		}
	}
	team := env.TeamID
	if team == "" {
		team = ev.Team
	}
	thread := ev.ThreadTS
	if thread == "" {
		thread = ev.TS
	}
	m := conversation.Message{
		ID:      env.EventID,
		Address: conversation.Address{Platform: Platform, Tenant: team, Channel: ev.Channel, Thread: thread, User: ev.User},
		Time:    parseTS(ev.TS),
	}
	if agents {
		return a.work.Go(func(ctx context.Context) { a.relayAgent(ctx, env.EventID, ev, a.botUserID(ctx, fromEvent)) })
	}
	return a.work.Go(func(ctx context.Context) {
		if ev.User == a.botUserID(ctx, fromEvent) {
			return // the bot's own message
		}
		m.Text = PlainText(ev.Text, a.botUserID(ctx, fromEvent))
		if m.Text == "" {
			return // a bare mention
		}
		m.UserName = a.users.name(ctx, ev.User)
		a.reply(ctx, m, retry == 0, "")
	})
}

// ignored says why ev is not answered, or "" when it is; agents (a
// message in an agents' thread) need not be a direct message.
func ignored(ev event, agents bool) string {
	switch {
	case ev.Type != "app_mention" && ev.Type != "message":
		return "not a message"
	case ev.Type == "message" && ev.ChannelType != "im" && !agents:
		return "not a direct message (channel messages are answered through app_mention)"
	case ev.SubType != "" && ev.SubType != "file_share" && ev.SubType != "thread_broadcast":
		return "subtype " + ev.SubType
	case ev.BotID != "":
		return "from a bot"
	case len(ev.Edited) > 0 && string(ev.Edited) != "null":
		return "an edit"
	case ev.User == "" || ev.Channel == "" || ev.TS == "":
		return "no user, channel or ts"
	case len(ev.User) > maxIDLen || len(ev.Channel) > maxIDLen || len(ev.TS) > maxIDLen || len(ev.ThreadTS) > maxIDLen:
		return "oversized ids"
	case len(ev.Text) > maxTextLen:
		return "oversized text"
	}
	return ""
}

// reply runs the Handler for m and delivers its reply; note (when not
// empty) is the agents' summary should the session be handed off.
func (a *Adapter) reply(ctx context.Context, m conversation.Message, early bool, note string) {
	s := a.newSender(ctx, m, early)
	s.note = note
	err := a.opts.Handler.Handle(ctx, m, s)
	if err != nil && !errors.Is(err, conversation.ErrDuplicate) && !errors.Is(err, conversation.ErrHumanHandling) &&
		!errors.Is(err, conversation.ErrRateLimited) {
		a.log.Warn("slack reply failed", "event_id", m.ID, "session", m.Address.SessionID(), "err", err)
	}
	s.finish(ctx, err)
}

// parseTS turns a Slack ts ("1515449522.000016") into a time; zero when
// malformed.
func parseTS(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 || s > 1<<40 {
		return time.Time{}
	}
	var us int64
	if len(frac) == 6 {
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000)
}

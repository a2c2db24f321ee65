package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// A Sessions reads what a conversation has saved: its turns and its
// state (the conversation.Manager).
type Sessions interface {
	History(ctx context.Context, session string) ([]conversation.Turn, error)
	Meta(ctx context.Context, session string) (conversation.Meta, error)
}

// A Transcript is a conversation's saved messages and who answers it now:
// the answer of GET /api/v1/messages and of the operator's
// GET /api/v1/sessions/{id}/messages.
type Transcript struct {
	ConversationID string `json:"conversation_id,omitempty"`
	Session        string `json:"session,omitempty"`
	// State is "bot", or "human" while an agent owns the conversation.
	State    string              `json:"state"`
	Messages []TranscriptMessage `json:"messages"`
}

// A TranscriptMessage is one saved turn. Role is "user", "assistant" (the
// bot) or "agent" (a human agent, whose Name the user sees).
type TranscriptMessage struct {
	Role      string     `json:"role"`
	Name      string     `json:"name,omitempty"`
	Text      string     `json:"text"`
	Time      time.Time  `json:"time"`
	Citations []Citation `json:"citations,omitempty"`
}

// ReadTranscript returns session's saved turns and its state.
func ReadTranscript(ctx context.Context, s Sessions, session string, cite func(string) string) (Transcript, error) {
	meta, err := s.Meta(ctx, session)
	if err != nil {
		return Transcript{}, err
	}
	turns, err := s.History(ctx, session)
	if err != nil {
		return Transcript{}, err
	}
	t := Transcript{State: conversation.StateBot, Messages: []TranscriptMessage{}}
	if meta.State == conversation.StateHuman {
		t.State = conversation.StateHuman
	}
	for _, turn := range turns {
		m := TranscriptMessage{Role: turn.Role, Name: turn.Name, Text: turn.Text, Time: turn.Time}
		if len(turn.Citations) > 0 {
			m.Citations = citations(turn.Citations, cite)
		}
		t.Messages = append(t.Messages, m)
	}
	return t, nil
}

// serveTranscript answers GET /api/v1/messages?conversation_id=ID[&since=T]
// with "Authorization: Bearer <token>" (the widget's conversation) or the
// query signed in X-Switchboard-Signature (the webhooks'): the
// conversation's messages saved after T (RFC 3339) and its state. The
// widget polls it while a human agent owns the conversation, for the
// agent's replies; so may a webhook's server.
func (a *Adapter) serveTranscript(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("conversation_id")
	if !validConversationID(id) {
		WriteError(w, http.StatusBadRequest, CodeMalformed, "conversation_id is missing or not valid.")
		return
	}
	// A widget shows its token; a webhook's server signs the query, as it
	// signs its messages, and reads its own conversation: one id may be
	// both, and the widget's token must not open the webhook's.
	channel := ChannelWidget
	if sig := r.Header.Get(SignatureHeader); sig != "" {
		if err := VerifySignature(a.opt.Secret, []byte(r.URL.RawQuery), sig, a.opt.Now(), a.opt.Tolerance); err != nil {
			WriteError(w, http.StatusUnauthorized, CodeBadSignature, "The signature of the query is missing, wrong or too old.")
			return
		}
		channel = ChannelWebhook
	} else if token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !validToken(a.opt.Secret, id, token) {
		WriteError(w, http.StatusUnauthorized, CodeBadToken, "The conversation token (Authorization: Bearer <token>) is missing or wrong.")
		return
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			WriteError(w, http.StatusBadRequest, CodeMalformed, "since must be a time in RFC 3339 (2026-11-30T21:00:00.5Z).")
			return
		}
	}
	t, err := a.transcript(r.Context(), channel, id, since)
	if err != nil {
		a.log.Warn("transcript not read", "conversation", id, "err", err)
		if errors.Is(err, conversation.ErrUnavailable) {
			WriteError(w, http.StatusServiceUnavailable, CodeUnavailable, "The conversation cannot be read right now; try again shortly.")
			return
		}
		WriteError(w, http.StatusInternalServerError, CodeInternal, "The conversation could not be read.")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(t)
}

// Session returns the session that web conversation id names for an
// operator: the widget's or the webhooks' (one id may be both), the one
// a human agent has first, else the one with saved turns, else the
// widget's.
func Session(ctx context.Context, s Sessions, id string) (string, error) {
	sessions := []string{
		conversation.Address{Platform: Platform, Channel: ChannelWidget, Thread: id}.SessionID(),
		conversation.Address{Platform: Platform, Channel: ChannelWebhook, Thread: id}.SessionID(),
	}
	withTurns := ""
	for _, session := range sessions {
		meta, err := s.Meta(ctx, session)
		if err != nil {
			return "", err
		}
		if meta.State == conversation.StateHuman {
			return session, nil
		}
		if withTurns == "" {
			turns, err := s.History(ctx, session)
			if err != nil {
				return "", err
			}
			if len(turns) > 0 {
				withTurns = session
			}
		}
	}
	if withTurns != "" {
		return withTurns, nil
	}
	return sessions[0], nil
}

// transcript reads conversation id of channel after since.
func (a *Adapter) transcript(ctx context.Context, channel, id string, since time.Time) (Transcript, error) {
	session := conversation.Address{Platform: Platform, Channel: channel, Thread: id}.SessionID()
	t, err := ReadTranscript(ctx, a.opt.Sessions, session, a.opt.CitationURL)
	if err != nil {
		return Transcript{}, err
	}
	after := t.Messages[:0]
	for _, m := range t.Messages {
		if m.Time.After(since) {
			after = append(after, m)
		}
	}
	t.ConversationID, t.Messages = id, after
	return t, nil
}

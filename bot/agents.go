package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
)

// A desk is the conversation.AgentDesk of the agents' channels and the
// operator API: the Manager, whose agent replies also go to the
// callback_url of a webhook's conversation (web.Adapter.AgentReplied).
type desk struct {
	*conversation.Manager
	log *slog.Logger
	web *web.Adapter // set once the web adapter is built
}

// AgentReply saves the agent's reply and pushes it to a webhook.
func (d *desk) AgentReply(ctx context.Context, session, id, name, text string) (conversation.Turn, error) {
	t, err := d.Manager.AgentReply(ctx, session, id, name, text)
	if err == nil && d.web != nil {
		// Saved: it goes out even if the agent's request is gone.
		meta, err := d.Manager.Meta(context.WithoutCancel(ctx), session)
		if err != nil {
			d.log.Warn("agent reply not pushed: session not read", "session", session, "err", err)
		} else {
			d.web.AgentReplied(session, meta, t)
		}
	}
	return t, err
}

// maxAgentName bounds the name an agent signs replies with.
const maxAgentName = 64

// An agentMessage is the body of POST /api/v1/sessions/{id}/messages.
type agentMessage struct {
	Text string `json:"text"`
	Name string `json:"name"` // the agent's name as the user sees it
}

// serveAgentReply saves a human agent's reply to a web conversation, for
// the widget (or the webhook's server) to fetch: POST
// /api/v1/sessions/{id}/messages with {"text","name"} and
// "Authorization: Bearer <SWITCHBOARD_ADMIN_TOKEN>". A conversation the
// bot still owns is taken over. It answers 201 with the saved message.
func (s *Server) serveAgentReply(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	session, ok := s.sessionParam(w, r)
	if !ok {
		return
	}
	if !strings.HasPrefix(session, web.Platform+":") {
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed,
			"Only web conversations take agent replies here; answer Slack and Discord conversations in their threads.")
		return
	}
	m, ok := s.agentMessage(w, r)
	if !ok {
		return
	}
	turn, err := s.desk.AgentReply(r.Context(), session, "", m.Name, m.Text)
	if err != nil {
		s.sessionError(w, session, "save the agent's reply", err)
		return
	}
	s.log.Info("agent replied", "session", session, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusCreated, map[string]any{"session": session, "message": web.TranscriptMessage{Role: turn.Role, Name: turn.Name, Text: turn.Text, Time: turn.Time}})
}

// agentMessage reads and checks the body of an agent's reply; it answers
// the request itself when the body is refused.
func (s *Server) agentMessage(w http.ResponseWriter, r *http.Request) (agentMessage, bool) {
	var m agentMessage
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Server.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		web.WriteError(w, http.StatusRequestEntityTooLarge, web.CodeTooLarge, fmt.Sprintf("The body is over %d bytes.", tooBig.Limit))
		return m, false
	}
	if err == nil {
		err = json.Unmarshal(body, &m)
	}
	m.Text, m.Name = strings.TrimSpace(m.Text), strings.TrimSpace(m.Name)
	switch {
	case err != nil:
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, `The body must be a JSON object {"text": "...", "name": "..."}.`)
	case m.Text == "":
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, "The text is empty.")
	case utf8.RuneCountInString(m.Text) > s.cfg.Web.MaxTextLen:
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, fmt.Sprintf("The text is over %d characters.", s.cfg.Web.MaxTextLen))
	case utf8.RuneCountInString(m.Name) > maxAgentName || strings.ContainsFunc(m.Name, unicode.IsControl):
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, fmt.Sprintf("The name is limited to %d characters, on one line.", maxAgentName))
	default:
		return m, true
	}
	return m, false
}

// serveSessionMessages answers GET /api/v1/sessions/{id}/messages for
// operators: the session's saved messages (at most conversation.history_turns)
// and its state. id is a session id or a web conversation id.
func (s *Server) serveSessionMessages(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	session, ok := s.sessionParam(w, r)
	if !ok {
		return
	}
	t, err := web.ReadTranscript(r.Context(), s.manager, session, s.cite)
	if err != nil {
		s.sessionError(w, session, "read the session", err)
		return
	}
	if len(t.Messages) == 0 {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No session with that id has saved messages.")
		return
	}
	t.Session = session
	writeJSON(w, http.StatusOK, t)
}

// sessionParam reads and checks the {id} of an operator's session route
// and returns the session it names: a session id, or a web conversation
// id (see web.Session). It answers the request itself when it cannot.
func (s *Server) sessionParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > 512 || strings.ContainsAny(id, "{}") {
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, "The session id is not valid.")
		return "", false
	}
	if strings.Contains(id, ":") {
		return id, true
	}
	session, err := web.Session(r.Context(), s.manager, id)
	if err != nil {
		s.sessionError(w, id, "find the session", err)
		return "", false
	}
	return session, true
}

// sessionError answers an operator's session route that could not do
// what ("read the session").
func (s *Server) sessionError(w http.ResponseWriter, session, what string, err error) {
	switch {
	case errors.Is(err, conversation.ErrEmptyMessage):
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, "The text is empty.") // only invisible characters
	case errors.Is(err, conversation.ErrNoSession):
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No session with that id has saved messages; it may have expired.")
	case errors.Is(err, conversation.ErrUnavailable):
		s.log.Warn("could not "+what, "session", session, "err", err)
		web.WriteError(w, http.StatusServiceUnavailable, web.CodeUnavailable, "The session store cannot be reached; try again.")
	default:
		s.log.Warn("could not "+what, "session", session, "err", err)
		web.WriteError(w, http.StatusInternalServerError, web.CodeInternal, "Could not "+what+".")
	}
}

package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
)

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
	session, ok := sessionParam(w, r)
	if !ok {
		return
	}
	if !strings.Contains(session, ":") {
		session = s.webSession(r.Context(), session)
	}
	if !strings.HasPrefix(session, web.Platform+":") {
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed,
			"Only web conversations take agent replies here; answer Slack and Discord conversations in their threads.")
		return
	}
	var m agentMessage
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Server.MaxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, &m)
	}
	m.Text, m.Name = strings.TrimSpace(m.Text), strings.TrimSpace(m.Name)
	switch {
	case err != nil:
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, `The body must be a JSON object {"text": "...", "name": "..."} within the size limit.`)
		return
	case m.Text == "" || !utf8.ValidString(m.Text):
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, "The text is empty or not valid UTF-8.")
		return
	case utf8.RuneCountInString(m.Text) > s.cfg.Web.MaxTextLen:
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, fmt.Sprintf("The text is over %d characters.", s.cfg.Web.MaxTextLen))
		return
	case utf8.RuneCountInString(m.Name) > maxAgentName || !utf8.ValidString(m.Name):
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, fmt.Sprintf("The name is limited to %d characters of UTF-8.", maxAgentName))
		return
	}
	turn, err := s.manager.AgentReply(r.Context(), session, "", m.Name, m.Text)
	if err != nil {
		s.sessionError(w, session, "save the agent's reply", err)
		return
	}
	s.log.Info("agent replied", "session", session, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusCreated, map[string]any{"session": session, "message": web.TranscriptMessage{Role: turn.Role, Name: turn.Name, Text: turn.Text, Time: turn.Time}})
}

// serveSessionMessages answers GET /api/v1/sessions/{id}/messages for
// operators: the session's saved messages (at most conversation.history_turns)
// and its state. id is a session id or a widget's conversation id.
func (s *Server) serveSessionMessages(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	id, ok := sessionParam(w, r)
	if !ok {
		return
	}
	candidates := []string{id}
	if !strings.Contains(id, ":") {
		candidates = webSessions(id)
	}
	for _, session := range candidates {
		t, err := web.ReadTranscript(r.Context(), s.manager, session, s.cite)
		if err != nil {
			s.sessionError(w, session, "read the session", err)
			return
		}
		if len(t.Messages) > 0 {
			t.Session = session
			writeJSON(w, http.StatusOK, t)
			return
		}
	}
	web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No session with that id has saved messages.")
}

// webSession returns the session a bare web conversation id names: the
// widget's, or the webhooks' when only that one has saved turns.
func (s *Server) webSession(ctx context.Context, id string) string {
	sessions := webSessions(id)
	if turns, err := s.manager.History(ctx, sessions[0]); err == nil && len(turns) == 0 {
		if turns, err := s.manager.History(ctx, sessions[1]); err == nil && len(turns) > 0 {
			return sessions[1]
		}
	}
	return sessions[0]
}

// sessionParam reads and checks the {id} of an operator's session route.
func sessionParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > 512 || strings.ContainsAny(id, "{}") {
		web.WriteError(w, http.StatusBadRequest, web.CodeMalformed, "The session id is not valid.")
		return "", false
	}
	return id, true
}

// webSessions returns the session ids a bare web conversation id may
// name: the widget's, then the webhooks'.
func webSessions(id string) []string {
	return []string{
		conversation.Address{Platform: web.Platform, Channel: web.ChannelWidget, Thread: id}.SessionID(),
		conversation.Address{Platform: web.Platform, Channel: web.ChannelWebhook, Thread: id}.SessionID(),
	}
}

// sessionError answers an operator's session route that could not do
// what ("read the session").
func (s *Server) sessionError(w http.ResponseWriter, session, what string, err error) {
	switch {
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

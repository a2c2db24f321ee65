package openai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/adapters/internal/remote"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// errStreamClosed refuses a Delta or Send after the request was answered.
var errStreamClosed = errors.New("openai: response already finished")

// address is the conversation a grounded request belongs to. Channel is
// the key's name ("anon" on an open API), so keys never share sessions.
// Thread is the request's switchboard.conversation_id when given;
// otherwise a hash of the user field and the first user message (and,
// on an open API, of the caller's network address), so that a client
// resending the whole chat each turn (as OpenAI clients do) stays in one
// session. On an open API, callers who opened with the same words ("hi")
// shared a session: one asking for a human silenced the others. Callers
// of one key who send the same user field (or none) and open with the
// same words still share one: clients that care send a conversation_id
// or a distinct user. User is the user field, else the key or the
// address, which the rate limit counts by.
func address(key *apiKey, c call, remote string) conversation.Address {
	channel, user := "anon", c.user
	if key != nil {
		channel = key.name
	}
	if user == "" {
		user = "key:" + channel
		if key == nil {
			user = "addr:" + remote
		}
	}
	thread := c.grounded.ConversationID
	if thread == "" {
		first := ""
		for _, m := range c.messages {
			if m.Role == "user" {
				first = m.Content
				break
			}
		}
		caller := c.user
		if key == nil {
			caller = user
		}
		h := sha256.Sum256([]byte(caller + "\x00" + first))
		thread = hex.EncodeToString(h[:8])
	}
	return conversation.Address{Platform: Platform, Channel: channel, Thread: thread, User: user}
}

// serveGrounded answers a chat request through the conversation Handler.
func (a *API) serveGrounded(w http.ResponseWriter, r *http.Request, key *apiKey, c call) {
	if a.opts.Handler == nil {
		writeError(w, unsupported("switchboard.knowledge", "Grounded answers are not enabled on this server."))
		return
	}
	question := ""
	for i := len(c.messages) - 1; i >= 0; i-- {
		if c.messages[i].Role == "user" {
			question = c.messages[i].Content
			break
		}
	}
	if strings.TrimSpace(question) == "" {
		writeError(w, badRequest("messages", "A grounded request needs a user message with text to answer."))
		return
	}
	msg := conversation.Message{Address: address(key, c, remote.Host(r)), UserName: c.user, Text: question, Time: a.opts.Now()}
	if key == nil {
		msg.Client = remote.Host(r) // an open API: callers pick their own user field
	}
	f := a.chatFormat(c)
	sink := &replySink{}
	var out conversation.Sender = sendFunc(sink.Send)
	if c.stream {
		sink.stream = newSSEWriter(w)
		sink.format = f
		out = sink
	}
	err := a.opts.Handler.Handle(r.Context(), msg, out)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	sink.closed = true // late Delta or Send calls are refused from here on
	var reply conversation.Reply
	switch {
	case r.Context().Err() != nil:
		a.log.Debug("client went away during a grounded answer", "err", err)
		return
	case errors.Is(err, conversation.ErrHumanHandling):
		// The bot stays silent while a human agent owns the session.
		reply = conversation.Reply{Handoff: true}
	case err != nil:
		e := handleError(err)
		if e.Status == http.StatusInternalServerError {
			a.log.Error("grounded answer failed", "session", msg.Address.SessionID(), "err", err)
		}
		if sink.stream != nil && sink.stream.started {
			_ = sink.stream.event(errorBody{Error: e})
			_ = sink.stream.done()
			return
		}
		if e.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		writeError(w, e)
		return
	case sink.reply == nil:
		a.log.Error("grounded answer failed", "session", msg.Address.SessionID(), "err", "handler returned without a reply")
		writeError(w, errServer("The conversation pipeline returned no reply."))
		return
	default:
		reply = *sink.reply
	}
	g := &Grounding{Citations: reply.Citations, Links: reply.Links, Fallback: reply.Fallback, Handoff: reply.Handoff}
	if g.Citations == nil {
		g.Citations = []knowledge.Citation{}
	}
	u := newUsage(a.countTokens(question), a.countTokens(reply.Text))
	if sink.stream == nil {
		writeJSON(w, http.StatusOK, f.whole(reply.Text, "stop", u, g))
		return
	}
	// What was streamed is normally the start of the reply; send the rest.
	// The pipeline may have dropped streamed sentences afterwards (the echo
	// filter); a stream cannot take them back, so the client keeps them.
	if rest, ok := strings.CutPrefix(reply.Text, sink.streamed.String()); ok && rest != "" {
		_ = openStream(sink.stream, f)
		_ = sink.stream.event(f.piece(rest))
	} else if !ok {
		a.log.Warn("grounded reply differs from what was streamed", "session", msg.Address.SessionID())
	}
	a.finishStream(sink.stream, f, c, "stop", u, g)
}

// sendFunc is a Sender that is not a Streamer, for non-streamed requests.
type sendFunc func(context.Context, conversation.Reply) error

func (f sendFunc) Send(ctx context.Context, r conversation.Reply) error { return f(ctx, r) }

// handleError is the API error for a Handler error.
func handleError(err error) *Error {
	switch {
	case errors.Is(err, conversation.ErrRateLimited):
		return &Error{Status: http.StatusTooManyRequests, Type: typeRateLimit, Code: ptr("rate_limit_exceeded"), Message: conversation.SaidFor(err, conversation.RateLimitedText)}
	case errors.Is(err, conversation.ErrUnavailable), errors.Is(err, conversation.ErrShutdown):
		return &Error{Status: http.StatusServiceUnavailable, Type: typeServer, Code: ptr("unavailable"), Message: "The conversation service is unavailable; please retry shortly."}
	}
	return errServer("The conversation pipeline failed to answer.")
}

// countTokens counts text's tokens with the model's tokenizer, for the
// usage of a grounded answer (whose real prompt, with retrieved snippets,
// the pipeline does not report). Without a model it is 0.
func (a *API) countTokens(text string) int {
	if m, ok := a.opts.Generator.(*engine.Model); ok && m != nil && m.Tokenizer != nil {
		return len(m.Tokenizer.Encode(text))
	}
	return 0
}

// replySink is the Sender (and, for a streamed request, the Streamer) the
// Handler answers through. The pipeline may call it from its own
// goroutine while serveGrounded waits in Handle; mu keeps the
// ResponseWriter to one writer, and closed stops writes once Handle has
// returned (a ResponseWriter must not be used after its handler returns).
type replySink struct {
	stream *sseWriter // nil for a non-streamed request, which never calls Delta
	format format

	mu       sync.Mutex
	reply    *conversation.Reply // guarded by mu
	streamed strings.Builder     // guarded by mu: the text sent as deltas
	closed   bool                // guarded by mu
}

// Send keeps the final reply.
func (s *replySink) Send(_ context.Context, r conversation.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStreamClosed
	}
	s.reply = &r
	return nil
}

// Delta streams a piece of the reply.
func (s *replySink) Delta(_ context.Context, _ conversation.Address, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStreamClosed
	}
	if text == "" {
		return nil
	}
	if err := openStream(s.stream, s.format); err != nil {
		return err
	}
	if err := s.stream.event(s.format.piece(text)); err != nil {
		return err
	}
	s.streamed.WriteString(text)
	return nil
}

package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/switchboard/switchboard/conversation"
)

// SSE event names, in the order a stream carries them: conversation once,
// delta zero or more times, then reply (or error), then done.
const (
	EventConversation = "conversation"
	EventDelta        = "delta"
	EventReply        = "reply"
	EventError        = "error"
	EventDone         = "done"
)

// serveStream runs the pipeline in ctx and streams the reply as
// Server-Sent Events. The stream starts (status 200) with the first delta
// or the reply; an error before that is a plain JSON error with its
// status. When detached (ctx outlives the request: a message with its
// own id), a client that goes away does not stop the reply: deltas that cannot be
// written are dropped, so that the reply is finished and saved for the
// client's retry.
//
// It returns, like serveJSON, whether the reply was a handoff and the
// pipeline's error.
func (a *Adapter) serveStream(ctx context.Context, detached bool, w http.ResponseWriter, r *http.Request, convID, token string, msg conversation.Message) (bool, error) {
	s := &stream{a: a, w: w, rc: http.NewResponseController(w), convID: convID, token: token, detached: detached}
	err := a.opt.Handler.Handle(ctx, msg, s)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true // from here on, late Delta or Send calls are refused
	if err == nil && !s.replied {
		err = errors.New("handler returned without a reply")
	}
	if err != nil {
		a.logHandleError(msg, err)
		if r.Context().Err() != nil {
			return false, err // the client is gone; nobody to tell
		}
		if !s.started {
			writeHandleError(w, err)
			return false, err
		}
		_, code, text := errorFor(err)
		_ = s.eventLocked(EventError, ErrorBody{Error: ErrorDetail{Code: code, Message: text}})
	}
	_ = s.eventLocked(EventDone, struct{}{})
	return s.handoff, err
}

// stream is the Sender and Streamer of an SSE request. The pipeline calls
// it from its own goroutine while ServeHTTP waits in Handle; mu keeps the
// ResponseWriter to one writer, and closed stops writes once ServeHTTP is
// past Handle (a ResponseWriter must not be used after its handler
// returns).
type stream struct {
	a             *Adapter
	w             http.ResponseWriter
	rc            *http.ResponseController
	convID, token string
	detached      bool // a failed delta write does not stop the pipeline

	mu      sync.Mutex
	started bool // guarded by mu: headers and the conversation event are out
	replied bool // guarded by mu
	handoff bool // guarded by mu: the reply handed the conversation to a human
	closed  bool // guarded by mu
	failed  error
}

// Delta sends one piece of the reply as it is generated.
func (s *stream) Delta(_ context.Context, _ conversation.Address, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.startLocked()
	if err == nil {
		err = s.eventLocked(EventDelta, DeltaEvent{Text: text})
	}
	if err != nil && s.detached && !s.closed {
		return nil // the client is gone; finish the reply for its retry
	}
	return err
}

// Redeliver reports true: see capture.Redeliver.
func (*stream) Redeliver() bool { return true }

// Send sends the final reply.
func (s *stream) Send(_ context.Context, r conversation.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.startLocked(); err != nil {
		return err
	}
	s.replied, s.handoff = true, r.Handoff
	return s.eventLocked(EventReply, Response{ConversationID: s.convID, Token: s.token, Reply: s.a.replyBody(r)})
}

// startLocked writes the headers and the conversation event once. s.mu
// must be held.
func (s *stream) startLocked() error {
	if s.closed {
		return errClosed
	}
	if s.failed != nil {
		return s.failed
	}
	if s.started {
		return nil
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // keep reverse proxies from buffering the stream
	s.w.WriteHeader(http.StatusOK)
	return s.eventLocked(EventConversation, ConversationEvent{ConversationID: s.convID, Token: s.token})
}

// eventLocked writes one event and flushes it. A write error (the client
// went away) is remembered and returned, so the pipeline stops
// generating. s.mu must be held.
func (s *stream) eventLocked(name string, data any) error {
	if s.failed != nil {
		return s.failed
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", name, err)
	}
	// json.Marshal output has no raw newlines, so one data line suffices.
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		s.failed = fmt.Errorf("write %s event: %w: %w", name, conversation.ErrGone, err)
		return s.failed
	}
	if err := s.rc.Flush(); err != nil {
		s.failed = fmt.Errorf("flush %s event: %w: %w", name, conversation.ErrGone, err)
		return s.failed
	}
	return nil
}

package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// An sseWriter writes OpenAI's data-only server-sent events: "data:
// <json>\n\n" per chunk, flushed at once, and "data: [DONE]\n\n" at the
// end. The first write error (the client went away) is kept and returned
// by every later call, so that generation stops. It is not safe for
// concurrent use.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	err     error
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

// start writes the status and headers once.
func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // keep reverse proxies from buffering the stream
	s.w.WriteHeader(http.StatusOK)
}

// event writes v as one data event and flushes it.
func (s *sseWriter) event(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode chunk: %w", err)
	}
	return s.write("data: " + string(b) + "\n\n")
}

// done writes the [DONE] line that ends the stream.
func (s *sseWriter) done() error { return s.write("data: [DONE]\n\n") }

func (s *sseWriter) write(line string) error {
	if s.err != nil {
		return s.err
	}
	s.start()
	if _, err := s.w.Write([]byte(line)); err != nil {
		s.err = fmt.Errorf("write event: %w", err)
		return s.err
	}
	if err := s.rc.Flush(); err != nil {
		s.err = fmt.Errorf("flush event: %w", err)
	}
	return s.err
}

// generateStream runs c on the Generator and streams the answer in
// format f. The stream (status 200) starts with the first piece of text,
// so that an error before it, such as a prompt over the context length,
// is still a plain JSON error with its status; an error after it is an
// {"error": ...} event before [DONE].
func (a *API) generateStream(w http.ResponseWriter, r *http.Request, c call, f format) {
	s := newSSEWriter(w)
	res, err := a.opts.Generator.Generate(r.Context(), c.gen, func(piece string) error {
		if err := openStream(s, f); err != nil {
			return err
		}
		return s.event(f.piece(piece))
	})
	if err != nil {
		a.streamError(w, r, s, err)
		return
	}
	a.finishStream(s, f, c, res.FinishReason, newUsage(res.PromptTokens, res.GeneratedTokens), nil)
}

// openStream starts s with f's opening chunk, once.
func openStream(s *sseWriter, f format) error {
	if s.started {
		return s.err
	}
	s.start()
	if ch, ok := f.opening(); ok {
		return s.event(ch)
	}
	return nil
}

// finishStream writes the last chunk, the usage chunk when asked for,
// and [DONE].
func (a *API) finishStream(s *sseWriter, f format, c call, finish string, u *Usage, g *Grounding) {
	_ = openStream(s, f)
	_ = s.event(f.last(finish, g))
	if c.includeUsage {
		_ = s.event(f.usage(u))
	}
	if err := s.done(); err != nil {
		a.log.Debug("stream cut short", "err", err)
	}
}

// streamError reports err on a stream: as a JSON error when the stream has
// not started, as an error event otherwise, and not at all when the client
// has gone.
func (a *API) streamError(w http.ResponseWriter, r *http.Request, s *sseWriter, err error) {
	if s.err != nil { // the client stopped reading
		a.log.Debug("stream cut short", "path", r.URL.Path, "err", err)
		return
	}
	e := a.generateError(r, err)
	if e == nil {
		return
	}
	if !s.started {
		writeError(w, e)
		return
	}
	_ = s.event(errorBody{Error: e})
	_ = s.done()
}

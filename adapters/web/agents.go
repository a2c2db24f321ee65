package web

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// Agents is told what the agents who answer web visitors must see
// (the Slack or Discord agents' channel): with text empty, that the
// visitor of session was handed to a human; else what the visitor, who,
// wrote while a human has them.
type Agents interface {
	ToAgents(ctx context.Context, session, who, text string) error
}

// agentsTimeout bounds telling the agents about one message, retries of
// Options.HandoffURL included.
const agentsTimeout = time.Minute

// transcriptTimeout bounds reading a handoff's transcript, which the
// visitor's reply waits for.
const transcriptTimeout = 5 * time.Second

// An AgentEvent is what Options.HandoffURL is POSTed about a widget
// visitor: "handoff", with the conversation so far, when they are handed
// to a human, and "message", with its text, for each message they send
// while a human has them. Agents answer with POST
// /api/v1/sessions/{conversation_id}/messages.
type AgentEvent struct {
	Event          string              `json:"event"`
	ConversationID string              `json:"conversation_id"`
	Session        string              `json:"session"`
	User           User                `json:"user"`
	Text           string              `json:"text,omitempty"`
	Messages       []TranscriptMessage `json:"messages,omitempty"`
	Time           time.Time           `json:"time"`
}

// tellAgents passes a widget message on to Options.Agents and
// Options.HandoffURL: the handoff it led to, or the message itself when a
// human has the conversation (the pipeline kept it, unanswered). It runs
// in a goroutine the adapter owns, so that the visitor's answer never
// waits on Slack; one session's messages go in the order they came
// (a handoff's thread is open before the next message looks for it).
func (a *Adapter) tellAgents(msg conversation.Message, handoff bool, err error) {
	if a.opt.Agents == nil && a.opt.HandoffURL == "" {
		return
	}
	text := ""
	switch {
	case handoff:
	case errors.Is(err, conversation.ErrHumanHandling):
		text = conversation.Redact(conversation.Normalize(msg.Text)) // as the pipeline kept it
	default:
		return
	}
	session := msg.Address.SessionID()
	// The handoff's transcript is read now, not when the job runs: by
	// then the visitor's next message may be in the history too, and the
	// agents got it twice (in the transcript and as its own event).
	var transcript []TranscriptMessage
	if handoff && a.opt.HandoffURL != "" && a.opt.Sessions != nil {
		ctx, cancel := context.WithTimeout(a.bg, transcriptTimeout)
		if t, err := ReadTranscript(ctx, a.opt.Sessions, session, a.opt.CitationURL); err == nil {
			transcript = t.Messages
		} else {
			a.log.Warn("handoff transcript not read", "session", session, "err", err)
		}
		cancel()
	}
	started := a.inOrder(session, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, agentsTimeout)
		defer cancel()
		if a.opt.HandoffURL != "" {
			ev := AgentEvent{Event: "message", ConversationID: msg.Address.Thread, Session: session,
				User: User{ID: msg.Address.User, Name: msg.UserName}, Text: text, Time: msg.Time}
			if handoff {
				ev.Event, ev.Messages = "handoff", transcript
			}
			body, _ := json.Marshal(ev)
			if err := a.deliver(ctx, a.opt.HandoffURL, body); err != nil {
				a.log.Warn("handoff event not delivered", "session", session, "event", ev.Event, "err", err)
			}
		}
		if a.opt.Agents != nil {
			who := msg.UserName
			if who == "" {
				who = "Visitor"
			}
			if err := a.opt.Agents.ToAgents(ctx, session, who, text); err != nil {
				a.log.Warn("agents not told", "session", session, "handoff", handoff, "err", err)
			}
		}
	})
	if !started {
		a.log.Warn("agents not told: shutting down", "session", session, "handoff", handoff)
	}
}

// An orderedQueue runs one key's jobs one at a time, in the order they
// came.
type orderedQueue struct {
	jobs    []func(context.Context) // guarded by Adapter.mu
	running bool                    // guarded by Adapter.mu: a goroutine runs the jobs
}

// inOrder runs job in a goroutine the adapter owns, after the jobs given
// before it with the same key (a session: each has its own queue, so a
// slow delivery delays no other session), and reports whether it will
// run (not once the adapter drains).
func (a *Adapter) inOrder(key string, job func(ctx context.Context)) bool {
	a.mu.Lock()
	if a.draining {
		a.mu.Unlock()
		return false
	}
	if a.queues == nil {
		a.queues = make(map[string]*orderedQueue)
	}
	q := a.queues[key]
	if q == nil {
		q = &orderedQueue{}
		a.queues[key] = q
	}
	q.jobs = append(q.jobs, job)
	if q.running {
		a.mu.Unlock()
		return true
	}
	q.running = true
	a.bgWG.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.bgWG.Done()
		for {
			a.mu.Lock()
			if len(q.jobs) == 0 {
				delete(a.queues, key)
				a.mu.Unlock()
				return
			}
			next := q.jobs[0]
			q.jobs = q.jobs[1:]
			a.mu.Unlock()
			next(a.bg)
		}
	}()
	return true
}

// background runs f in a goroutine the adapter owns (Drain waits for
// it, then cancels its ctx) and reports whether it did: once the adapter
// drains, f is not run.
func (a *Adapter) background(f func(ctx context.Context)) bool {
	a.mu.Lock()
	if a.draining {
		a.mu.Unlock()
		return false
	}
	a.bgWG.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.bgWG.Done()
		f(a.bg)
	}()
	return true
}

// AgentReplied pushes a human agent's reply t in session to the
// callback_url of the webhook whose conversation it is (meta.ReplyTo),
// signed and retried like a callback: {"conversation_id", "token",
// "agent": {"role", "name", "text", "time"}}. A widget's replies are
// fetched instead (GET /api/v1/messages).
func (a *Adapter) AgentReplied(session string, meta conversation.Meta, t conversation.Turn) {
	// A web session id is "web::<channel>:<conversation id>" (see
	// conversation.Address.SessionID: no tenant).
	id, ok := strings.CutPrefix(session, Platform+"::"+ChannelWebhook+":")
	if !ok || meta.ReplyTo == "" {
		return
	}
	body, _ := json.Marshal(Response{ConversationID: id, Token: Token(a.opt.Secret, id),
		Agent: &TranscriptMessage{Role: t.Role, Name: t.Name, Text: t.Text, Time: t.Time}})
	started := a.inOrder(session, func(ctx context.Context) {
		if err := a.deliver(ctx, meta.ReplyTo, body); err != nil {
			a.log.Warn("agent reply not delivered to the webhook", "session", session, "err", err)
		}
	})
	if !started {
		a.log.Warn("agent reply not delivered to the webhook: shutting down", "session", session)
	}
}

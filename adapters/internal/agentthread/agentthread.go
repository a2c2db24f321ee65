// Package agentthread is what the chat adapters share about the threads
// their agents' channels hold for users of other channels (the web
// widget's visitors): how a session names its thread
// (conversation.Meta.AgentThread), and a bounded memory of which session
// a thread belongs to.
package agentthread

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/conversation"
)

// Name is how a session names its thread: "<platform>:<channel>:<thread>".
func Name(platform, channel, thread string) string {
	return platform + ":" + channel + ":" + thread
}

// In returns the thread that name (a Meta.AgentThread) holds in channel
// of platform, and whether it is one there.
func In(name, platform, channel string) (string, bool) {
	thread, ok := strings.CutPrefix(name, platform+":"+channel+":")
	return thread, ok && thread != ""
}

// maxCached bounds the threads a Cache remembers.
const maxCached = 1024

// A Cache remembers the session each thread belongs to, "" for a thread
// of no session, so that the platform is asked once. It forgets all
// once full. The zero value is ready; it is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	session map[string]string // guarded by mu: thread → session
}

// Get returns the session of thread and whether it is known.
func (c *Cache) Get(thread string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.session[thread]
	return s, ok
}

// Put remembers that thread belongs to session.
func (c *Cache) Put(thread, session string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil || len(c.session) >= maxCached {
		c.session = make(map[string]string)
	}
	c.session[thread] = session
}

// Texts posted in an agents' thread (italic in Slack's and Discord's
// markup alike).
const (
	AgainText   = "_The visitor was handed to a human again._"
	ExpiredText = "_Not delivered: this visitor's conversation has expired._"
	FailedText  = "_Not delivered: the conversation could not be saved. Send it again in a moment._"
)

// A Relay is one platform's agents' channel, as Tell needs it.
type Relay struct {
	Platform, Channel string
	Desk              conversation.AgentDesk
	// Open posts the notice of session's handoff and returns the thread
	// it starts.
	Open func(ctx context.Context, session, who string) (thread string, err error)
	// Post posts text in thread.
	Post func(ctx context.Context, thread, text string) error
	// Sign writes what who wrote in the platform's markup.
	Sign func(who, text string) string
}

// Tell tells the agents' channel about session's user, handed off on
// another channel: with text empty, that they were handed off (a notice
// opening their thread, or a line in it after an earlier handoff); else
// what they wrote, signed who.
func (r Relay) Tell(ctx context.Context, session, who, text string) error {
	meta, err := r.Desk.Meta(ctx, session)
	if err != nil {
		return fmt.Errorf("read session: %w", err)
	}
	thread, ok := In(meta.AgentThread, r.Platform, r.Channel)
	switch {
	case !ok:
		if thread, err = r.Open(ctx, session, who); err != nil {
			return err
		}
		if err := r.Desk.SetAgentThread(ctx, session, Name(r.Platform, r.Channel, thread)); err != nil {
			return fmt.Errorf("record the agents' thread: %w", err)
		}
	case text == "":
		text = AgainText
	}
	switch {
	case text == "":
		return nil
	case text != AgainText:
		text = r.Sign(who, text)
	}
	if err := r.Post(ctx, thread, text); err != nil {
		return fmt.Errorf("post to the agents' thread: %w", err)
	}
	return nil
}

// Reply saves an agent's message (the platform's id for it, the agent's
// name, its text) as their reply to session's user; say tells the agent,
// in the thread, when it could not be delivered. A redelivery is
// dropped. The error is for the log.
func Reply(ctx context.Context, desk conversation.AgentDesk, session, id, name, text string, say func(text string)) error {
	_, err := desk.AgentReply(ctx, session, id, name, text)
	switch {
	case err == nil, errors.Is(err, conversation.ErrDuplicate), errors.Is(err, conversation.ErrEmptyMessage):
		return nil
	case errors.Is(err, conversation.ErrNoSession):
		say(ExpiredText)
		return nil
	default:
		say(FailedText)
		return err
	}
}

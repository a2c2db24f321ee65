// Package agentthread is what the chat adapters share about the threads
// their agents' channels hold for users of other channels (the web
// widget's visitors): how a session names its thread
// (conversation.Meta.AgentThread), and a bounded memory of which session
// a thread belongs to.
package agentthread

import (
	"strings"
	"sync"
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

package slack

import (
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// maxCachedUsers bounds the user-name cache.
const maxCachedUsers = 10000

// A userCache resolves user ids to display names through users.info and
// keeps them for a TTL. Failures are not cached. Safe for concurrent use.
type userCache struct {
	a   *Adapter
	ttl time.Duration

	mu    sync.Mutex
	names map[string]cachedName // guarded by mu
}

type cachedName struct {
	name    string
	expires time.Time
}

func newUserCache(a *Adapter, ttl time.Duration) *userCache {
	return &userCache{a: a, ttl: ttl, names: make(map[string]cachedName)}
}

// name returns id's display name, or "" when Slack does not say.
func (c *userCache) name(ctx context.Context, id string) string {
	now := c.a.opts.Clock()
	c.mu.Lock()
	e, ok := c.names[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name
	}
	var u *slackapi.User
	err := c.a.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = c.a.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil || u == nil {
		return ""
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Name
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.names) >= maxCachedUsers {
		for k, v := range c.names {
			if !now.Before(v.expires) || len(c.names) >= maxCachedUsers {
				delete(c.names, k)
			}
		}
	}
	c.names[id] = cachedName{name: name, expires: now.Add(c.ttl)}
	return name
}

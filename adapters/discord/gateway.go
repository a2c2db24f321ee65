package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/switchboard/switchboard/conversation"
)

// openTimeout bounds the gateway handshake (dial, HELLO, READY/RESUMED).
const openTimeout = 30 * time.Second

// Gateway close codes after which reconnecting cannot help
// (authentication failed, invalid shard, sharding required, invalid API
// version, invalid or disallowed intents).
var fatalCloseCodes = map[int]bool{4004: true, 4010: true, 4011: true, 4012: true, 4013: true, 4014: true}

// Gateway close codes after which the session cannot be resumed and a
// new one must IDENTIFY (not authenticated, invalid seq, session timed
// out).
var freshCloseCodes = map[int]bool{4003: true, 4007: true, 4009: true}

// runGateway keeps a gateway connection open until ctx is done, re-opening
// it (RESUME) whenever it drops, and closes it before returning.
func (a *Adapter) runGateway(ctx context.Context) error {
	conns := &connSet{m: make(map[net.Conn]bool)}
	defer conns.closeAll()
	dropped := make(chan struct{}, 1)
	gw, err := a.newGatewaySession(ctx, conns, dropped)
	if err != nil {
		return err
	}
	resume := false
	for {
		if gw, err = a.open(ctx, gw, conns, dropped, resume); err != nil || ctx.Err() != nil {
			closeGateway(gw, conns)
			return err
		}
		if resume {
			a.opts.Metrics.reconnect()
		}
		select {
		case <-ctx.Done():
			closeGateway(gw, conns)
			return nil
		case <-dropped:
			a.log.Warn("discord gateway connection lost; resuming")
			resume = true
		}
	}
}

// closeGateway closes gw's connection; conns cuts it if the close
// handshake hangs.
func closeGateway(gw *discordgo.Session, conns *connSet) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gw.Close() // also emits a Disconnect, which nobody waits for now
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		conns.closeAll()
		<-done
	}
}

// newGatewaySession returns a session for the gateway with the adapter's
// event handlers; a Disconnect signals dropped. Its REST calls (GET
// /gateway, which Open makes without a context) end when ctx is done.
func (a *Adapter) newGatewaySession(ctx context.Context, conns *connSet, dropped chan<- struct{}) (*discordgo.Session, error) {
	gw, err := newSession(a.opts.BotToken, a.opts.APIURL, a.opts.HTTPClient)
	if err != nil {
		return nil, err
	}
	next := gw.Client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	gw.Client = &http.Client{Timeout: gw.Client.Timeout, Transport: ctxTransport{ctx: ctx, next: next}}
	d := *a.opts.Dialer
	d.NetDialContext = conns.dialer(a.opts.Dialer)
	gw.Dialer = &d
	gw.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.User != nil {
			a.setBotID(r.User.ID)
		}
		a.log.Info("discord gateway ready", "session_id", r.SessionID)
	})
	gw.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		a.log.Info("discord gateway resumed")
	})
	gw.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Message != nil {
			a.onMessage(m.Message)
		}
	})
	gw.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) {
		if i.Interaction != nil {
			a.onGatewayInteraction(i.Interaction)
		}
	})
	gw.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		select {
		case dropped <- struct{}{}:
		default:
		}
	})
	return gw, nil
}

// open connects gw, retrying with backoff until it works, ctx is done
// (nil error), or Discord refuses the bot for good. A session Discord will
// not resume is replaced by a new one, which the result returns.
func (a *Adapter) open(ctx context.Context, gw *discordgo.Session, conns *connSet, dropped chan struct{}, resume bool) (*discordgo.Session, error) {
	backoff := time.Second
	for {
		err := openCtx(ctx, gw, conns)
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			conns.clearDeadlines()
			return gw, nil
		}
		if ctx.Err() != nil {
			return gw, nil
		}
		var ce *websocket.CloseError
		var rest *discordgo.RESTError
		switch {
		case errors.As(err, &ce) && fatalCloseCodes[ce.Code],
			errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == 401:
			return gw, fmt.Errorf("open discord gateway: %w", err)
		case errors.As(err, &ce) && freshCloseCodes[ce.Code]:
			a.log.Warn("discord gateway session cannot be resumed; identifying anew", "code", ce.Code)
			fresh, nerr := a.newGatewaySession(ctx, conns, dropped)
			if nerr != nil {
				return gw, nerr
			}
			gw = fresh
			continue
		}
		a.log.Warn("discord gateway connect failed; retrying", "err", err, "resume", resume, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return gw, nil
		case <-t.C:
		}
		backoff = min(2*backoff, a.opts.MaxBackoff)
	}
}

// openCtx runs gw.Open, which takes no context, and cuts its connections
// when ctx is done first.
func openCtx(ctx context.Context, gw *discordgo.Session, conns *connSet) error {
	done := make(chan error, 1)
	go func() { done <- gw.Open() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		conns.closeAll()
		return <-done
	}
}

// ctxTransport ends its requests when ctx is done.
type ctxTransport struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	// The body is read after RoundTrip returns: cancel when it is closed.
	resp.Body = &cancelBody{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

// cancelBody calls done once when closed.
type cancelBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// A connSet tracks the gateway's TCP connections, so that a handshake
// has a deadline and Run can cut a connection that hangs.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]bool // guarded by mu
}

// dialer returns a NetDialContext for a websocket.Dialer that dials like
// base and tracks the connection, with openTimeout as its deadline until
// clearDeadlines.
func (s *connSet) dialer(base *websocket.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		switch {
		case base.NetDialContext != nil:
			c, err = base.NetDialContext(ctx, network, addr)
		default:
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(openTimeout))
		s.mu.Lock()
		defer s.mu.Unlock()
		s.m[c] = true
		return &trackedConn{Conn: c, set: s}, nil
	}
}

// clearDeadlines removes the handshake deadline of every connection: an
// open connection is watched by discordgo's heartbeat instead.
func (s *connSet) clearDeadlines() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		_ = c.SetDeadline(time.Time{})
	}
}

// closeAll closes every tracked connection.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		_ = c.Close()
		delete(s.m, c)
	}
}

// trackedConn leaves its set when closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.m, c.Conn)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// onMessage decides whether to answer m (called from the gateway's read
// loop, so it only filters and hands the work to a goroutine).
func (a *Adapter) onMessage(m *discordgo.Message) {
	if m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" {
		return // bots (ourselves included), webhooks and Discord itself
	}
	botID := a.botUserID()
	if m.Author.ID == botID {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return // joins, pins, boosts, thread-created notices…
	}
	if a.opts.Desk != nil && a.opts.AgentsChannel != "" && m.GuildID != "" && !mentions(m, botID) {
		// Perhaps an agent answering a visitor in their thread.
		if err := a.work.Go(func(ctx context.Context) { a.relayAgent(ctx, m) }); err != nil {
			a.log.Warn("discord message dropped", "message_id", m.ID, "err", err)
		}
		return
	}
	dm := m.GuildID == ""
	if !dm && !mentions(m, botID) {
		return
	}
	text := PlainText(m.Content, botID)
	if text == "" {
		return
	}
	if err := a.work.Go(func(ctx context.Context) { a.answer(ctx, m, text) }); err != nil {
		a.log.Warn("discord message dropped", "message_id", m.ID, "err", err)
	}
}

// mentions reports whether m mentions the user botID.
func mentions(m *discordgo.Message, botID string) bool {
	if botID == "" {
		return false
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			return true
		}
	}
	return strings.Contains(m.Content, "<@"+botID+">") || strings.Contains(m.Content, "<@!"+botID+">")
}

// answer produces and delivers the reply to m, whose text is text, with
// the typing indicator on until the reply is sent.
func (a *Adapter) answer(ctx context.Context, m *discordgo.Message, text string) {
	addr := conversation.Address{Platform: Platform, Tenant: m.GuildID, Channel: m.ChannelID, User: m.Author.ID}
	target, ref := m.ChannelID, m.SoftReference()
	if a.opts.UseThreads && m.GuildID != "" {
		target, ref, addr = a.thread(ctx, m, text, addr)
	}
	msg := conversation.Message{ID: m.ID, Address: addr, UserName: userName(m), Text: text, Time: m.Timestamp}
	if msg.Time.IsZero() {
		msg.Time = time.Now()
	}

	tctx, cancelTyping := context.WithCancel(ctx)
	first := make(chan struct{}) // closed once the first typing call is done
	var typing sync.WaitGroup
	typing.Add(1)
	go func() {
		defer typing.Done()
		a.typing(tctx, target, first)
	}()
	defer typing.Wait()
	defer cancelTyping()
	// The reply waits (briefly) for the first indicator, so that the
	// indicator never arrives after the reply and lingers.
	stopTyping := func() {
		select {
		case <-first:
		case <-time.After(typingGrace):
		}
		cancelTyping()
	}

	s := &sender{a: a, msg: msg, onSend: stopTyping, post: a.channelPoster(target, ref)}
	a.handle(ctx, msg, s)
}

// thread returns where the reply to m goes in thread mode: the thread m
// is in, or a new thread started from m; on failure, the channel.
func (a *Adapter) thread(ctx context.Context, m *discordgo.Message, text string, addr conversation.Address) (string, *discordgo.MessageReference, conversation.Address) {
	var ch *discordgo.Channel
	err := a.call(ctx, "channel.get", func(o ...discordgo.RequestOption) (err error) {
		ch, err = a.rest.Channel(m.ChannelID, o...)
		return err
	})
	if err == nil && ch != nil && ch.IsThread() {
		addr.Channel, addr.Thread = ch.ParentID, ch.ID
		if addr.Channel == "" {
			addr.Channel = ch.ID
		}
		return ch.ID, m.SoftReference(), addr
	}
	var th *discordgo.Channel
	err = a.call(ctx, "thread.start", func(o ...discordgo.RequestOption) (err error) {
		th, err = a.rest.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
			Name: threadName(text), AutoArchiveDuration: 1440,
		}, o...)
		return err
	})
	if err != nil || th == nil || th.ID == "" {
		a.log.Warn("discord thread not started; replying in the channel", "channel", m.ChannelID, "err", err)
		return m.ChannelID, m.SoftReference(), addr
	}
	addr.Thread = th.ID
	return th.ID, nil, addr
}

// threadName names a support thread after the question (Discord allows
// 100 characters).
func threadName(text string) string {
	name := strings.Join(strings.Fields(text), " ")
	if name == "" {
		return "Support"
	}
	return cut(name, 90)
}

// userName is the name m's author shows as.
func userName(m *discordgo.Message) string {
	if m.Member != nil && m.Member.Nick != "" {
		return m.Member.Nick
	}
	if m.Author.GlobalName != "" {
		return m.Author.GlobalName
	}
	return m.Author.Username
}

// typingGrace bounds how long a reply waits for the first typing call.
const typingGrace = time.Second

// typing shows the typing indicator in channel until ctx is done,
// refreshing it every TypingInterval (Discord shows it for 10 s). It
// closes first once the first call is done.
func (a *Adapter) typing(ctx context.Context, channel string, first chan<- struct{}) {
	t := time.NewTicker(a.opts.TypingInterval)
	defer t.Stop()
	for n := 0; ; n++ {
		// Failures are logged by call and otherwise harmless.
		_ = a.call(ctx, "channel.typing", func(o ...discordgo.RequestOption) error {
			return a.rest.ChannelTyping(channel, o...)
		})
		if n == 0 {
			close(first)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

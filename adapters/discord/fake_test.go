package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// A fakeDiscord is a recording Discord REST API and gateway. REST hooks
// may take over a route: a hook gets the request and returns false to fall
// through to the default answer.
type fakeDiscord struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	reqs       []fakeReq                                     // guarded by mu
	hooks      []func(w http.ResponseWriter, r fakeReq) bool // guarded by mu
	identifies []json.RawMessage                             // guarded by mu
	resumes    []json.RawMessage                             // guarded by mu
	conn       *websocket.Conn                               // guarded by mu: the open gateway connection
	write      func(string) error                            // guarded by mu: writes to conn, one at a time
	seq        int                                           // guarded by mu
	nextID     int                                           // guarded by mu
	channels   map[string]string                             // guarded by mu: GET /channels/{id} answers
	silent     bool                                          // guarded by mu: the gateway never says HELLO
	closeCode  int                                           // guarded by mu: close the gateway with this code after IDENTIFY
	dials      int                                           // guarded by mu: gateway connections accepted

	changed chan struct{} // signalled on every request and gateway step
	done    chan struct{} // closed by close: stops gateway loops
	wg      sync.WaitGroup
}

type fakeReq struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// json decodes the request body into v.
func (r fakeReq) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s %s body %q: %v", r.Method, r.Path, r.Body, err)
	}
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{t: t, channels: map[string]string{}, changed: make(chan struct{}, 1), done: make(chan struct{}), nextID: 9000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.close)
	return f
}

func (f *fakeDiscord) close() {
	select {
	case <-f.done:
		return
	default:
	}
	close(f.done)
	f.dropConn()
	f.wg.Wait()
	f.srv.Close()
}

func (f *fakeDiscord) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// hook adds fn in front of the default answers.
func (f *fakeDiscord) hook(fn func(w http.ResponseWriter, r fakeReq) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, fn)
}

// requests returns the REST requests so far whose "METHOD path" has the
// prefix p.
func (f *fakeDiscord) requests(p string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if strings.HasPrefix(r.Method+" "+r.Path, p) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until cond holds, failing the test after 10 s.
func (f *fakeDiscord) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-f.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			f.t.Fatalf("timed out waiting for %s; requests: %v", what, f.paths())
		}
	}
}

// waitRequests waits for n requests with prefix p and returns them.
func (f *fakeDiscord) waitRequests(p string, n int) []fakeReq {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("%d × %s", n, p), func() bool { return len(f.requests(p)) >= n })
	return f.requests(p)
}

func (f *fakeDiscord) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (f *fakeDiscord) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gw/" || r.URL.Path == "/gw" {
		f.gateway(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := fakeReq{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	hooks := append([]func(http.ResponseWriter, fakeReq) bool(nil), f.hooks...)
	f.nextID++
	id := fmt.Sprint(f.nextID)
	f.mu.Unlock()
	defer f.signal()
	for _, h := range hooks {
		if h(w, req) {
			return
		}
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v9/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v9/gateway":
		fmt.Fprintf(w, `{"url":"ws://%s/gw"}`, f.srv.Listener.Addr())
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "typing":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"], m["channel_id"] = id, parts[1]
		_ = json.NewEncoder(w).Encode(m)
	case r.Method == "POST" && len(parts) == 5 && parts[0] == "channels" && parts[4] == "threads":
		fmt.Fprintf(w, `{"id":%q,"type":11,"parent_id":%q,"guild_id":"G1"}`, parts[3], parts[1])
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "channels":
		f.mu.Lock()
		ch, ok := f.channels[parts[1]]
		f.mu.Unlock()
		if !ok {
			ch = fmt.Sprintf(`{"id":%q,"type":0,"guild_id":"G1"}`, parts[1])
		}
		io.WriteString(w, ch)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "webhooks":
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"] = id
		_ = json.NewEncoder(w).Encode(m)
	case r.Method == "POST" && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "PUT" && len(parts) >= 3 && parts[0] == "applications":
		var cmds []map[string]any
		_ = json.Unmarshal(body, &cmds)
		for i := range cmds {
			cmds[i]["id"] = fmt.Sprint(i + 1)
			cmds[i]["application_id"] = parts[1]
		}
		_ = json.NewEncoder(w).Encode(cmds)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Unknown route","code":0}`)
	}
}

// gateway serves one websocket connection: HELLO, IDENTIFY → READY or
// RESUME → RESUMED, heartbeat ACKs, and dispatches sent with dispatch.
func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.wg.Add(1)
	defer f.wg.Done()
	defer c.Close()
	f.mu.Lock()
	f.dials++
	silent, closeCode := f.silent, f.closeCode
	f.mu.Unlock()
	f.signal()
	if silent {
		// Hold the connection open without a word until the client or
		// the test gives up.
		go func() {
			<-f.done
			c.Close()
		}()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}
	var wmu sync.Mutex
	write := func(v string) error {
		wmu.Lock()
		defer wmu.Unlock()
		return c.WriteMessage(websocket.TextMessage, []byte(v))
	}
	if write(`{"op":10,"d":{"heartbeat_interval":45000}}`) != nil {
		return
	}
	var first struct {
		Op int             `json:"op"`
		D  json.RawMessage `json:"d"`
	}
	if err := c.ReadJSON(&first); err != nil {
		return
	}
	if closeCode != 0 {
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(closeCode, "refused"))
		return
	}
	f.mu.Lock()
	switch first.Op {
	case 2:
		f.identifies = append(f.identifies, first.D)
		f.seq++
		seq := f.seq
		f.mu.Unlock()
		_ = write(fmt.Sprintf(`{"op":0,"s":%d,"t":"READY","d":{"v":9,"session_id":"sess","resume_gateway_url":"ws://%s/gw","user":{"id":"BOT1","username":"helper","bot":true},"guilds":[],"private_channels":[]}}`, seq, f.srv.Listener.Addr()))
	case 6:
		f.resumes = append(f.resumes, first.D)
		f.seq++
		seq := f.seq
		f.mu.Unlock()
		_ = write(fmt.Sprintf(`{"op":0,"s":%d,"t":"RESUMED","d":{}}`, seq))
	default:
		f.mu.Unlock()
		return
	}
	f.mu.Lock()
	f.conn, f.write = c, write
	f.mu.Unlock()
	f.signal()
	for {
		var in struct {
			Op int `json:"op"`
		}
		if err := c.ReadJSON(&in); err != nil {
			f.mu.Lock()
			if f.conn == c {
				f.conn = nil
			}
			f.mu.Unlock()
			f.signal()
			return
		}
		if in.Op == 1 {
			_ = write(`{"op":11}`)
		}
	}
}

// connected reports whether a gateway connection is open.
func (f *fakeDiscord) connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn != nil
}

// dispatch sends the event t with data d on the open connection.
func (f *fakeDiscord) dispatch(t, d string) {
	f.t.Helper()
	f.waitFor("a gateway connection", f.connected)
	f.mu.Lock()
	f.seq++
	write, seq := f.write, f.seq
	f.mu.Unlock()
	if err := write(fmt.Sprintf(`{"op":0,"s":%d,"t":%q,"d":%s}`, seq, t, d)); err != nil {
		f.t.Fatalf("dispatch %s: %v", t, err)
	}
}

// dropConn cuts the gateway connection without a close frame, as a
// network failure would.
func (f *fakeDiscord) dropConn() {
	f.mu.Lock()
	c := f.conn
	f.conn = nil
	f.mu.Unlock()
	if c != nil {
		_ = c.UnderlyingConn().Close()
	}
}

// messageJSON is a MESSAGE_CREATE payload.
func messageJSON(id, guild, channel, authorID string, bot bool, content string, mentions ...string) string {
	var ms []string
	for _, m := range mentions {
		ms = append(ms, fmt.Sprintf(`{"id":%q,"username":"x"}`, m))
	}
	g := ""
	if guild != "" {
		g = fmt.Sprintf(`"guild_id":%q,`, guild)
	}
	return fmt.Sprintf(`{"id":%q,%s"channel_id":%q,"type":0,"content":%q,"author":{"id":%q,"username":"user-%s","bot":%t},"mentions":[%s],"timestamp":"2026-01-02T03:04:05Z"}`,
		id, g, channel, content, authorID, authorID, bot, strings.Join(ms, ","))
}

// A fakeHandler answers every message with reply(m), dropping duplicate
// ids like the Manager, and records what it got.
type fakeHandler struct {
	reply func(m conversation.Message) conversation.Reply
	gate  chan struct{} // when not nil, Handle waits for it (or ctx)

	mu       sync.Mutex
	got      []conversation.Message // guarded by mu
	seen     map[string]bool        // guarded by mu
	handoffs []conversation.Address // guarded by mu
}

func (h *fakeHandler) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	h.mu.Lock()
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if m.ID != "" && h.seen[m.ID] {
		h.mu.Unlock()
		return conversation.ErrDuplicate
	}
	h.seen[m.ID] = true
	h.got = append(h.got, m)
	h.mu.Unlock()
	if h.gate != nil {
		select {
		case <-h.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r := conversation.Reply{Address: m.Address, Text: "You can reset it from the login page.", Confidence: 0.9,
		Citations: []knowledge.Citation{{Title: "Passwords and login", Source: "passwords-and-login.md", URL: "https://help.example.com/passwords"}}}
	if h.reply != nil {
		r = h.reply(m)
	}
	return out.Send(ctx, r)
}

func (h *fakeHandler) messages() []conversation.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]conversation.Message(nil), h.got...)
}

// handoffHandler is a fakeHandler that is also a Handoffer.
type handoffHandler struct{ *fakeHandler }

func (h handoffHandler) Handoff(ctx context.Context, a conversation.Address, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handoffs = append(h.handoffs, a)
	return nil
}

// testLogger logs through t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// discardLogger drops everything.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// checkNoLeaks fails the test if goroutines started by this package (its
// inflight.Group included) or discordgo (other than the fake's) are still
// running shortly after.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	var leaked []string
	for range 100 {
		leaked = leaked[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "fakeDiscord") || strings.Contains(g, "testing.tRunner") || strings.Contains(g, "checkNoLeaks") {
				continue
			}
			if strings.Contains(g, "bwmarrin/discordgo") || strings.Contains(g, "adapters/discord.") || strings.Contains(g, "adapters/internal/inflight.") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
}

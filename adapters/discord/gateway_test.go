package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/switchboard/switchboard/conversation"
)

// startGateway runs an adapter for f with h until the test ends.
func startGateway(t *testing.T, f *fakeDiscord, h conversation.Handler, edit func(*Options)) *Adapter {
	t.Helper()
	o := Options{
		Handler: h, BotToken: "tok", APIURL: f.srv.URL, AgentsChannel: "AGENTS",
		Logger: testLogger(t), TypingInterval: 50 * time.Millisecond,
	}
	if edit != nil {
		edit(&o)
	}
	a, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
		f.close()
		checkNoLeaks(t)
	})
	f.waitFor("READY", func() bool { return a.botUserID() == "BOT1" && f.connected() })
	return a
}

// A sentMessage is a posted message as the fake received it.
type sentMessage struct {
	Content         string                            `json:"content"`
	Components      []json.RawMessage                 `json:"components"`
	Reference       *discordgo.MessageReference       `json:"message_reference"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           int                               `json:"flags"`
}

// posted decodes the messages posted to channel.
func posted(t *testing.T, f *fakeDiscord, channel string) []sentMessage {
	t.Helper()
	var out []sentMessage
	for _, r := range f.requests("POST /api/v9/channels/" + channel + "/messages") {
		if strings.Count(r.Path, "/") != 5 { // not …/messages/{id}/threads
			continue
		}
		var m sentMessage
		r.json(t, &m)
		out = append(out, m)
	}
	return out
}

func TestGatewayIdentifyIntents(t *testing.T) {
	f := newFakeDiscord(t)
	startGateway(t, f, &fakeHandler{}, nil)
	f.mu.Lock()
	ids := append([]json.RawMessage(nil), f.identifies...)
	f.mu.Unlock()
	if len(ids) != 1 {
		t.Fatalf("identifies = %d, want 1", len(ids))
	}
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	if err := json.Unmarshal(ids[0], &id); err != nil {
		t.Fatal(err)
	}
	if got, want := id.Intents, 37376; got != want { // GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT
		t.Errorf("identify intents = %d, want %d", got, want)
	}
	if got, want := id.Token, "Bot tok"; got != want {
		t.Errorf("identify token = %q, want %q", got, want)
	}
}

// A MESSAGE_CREATE mentioning the bot produces exactly one reply that
// references it, with citations; bots, the bot itself and messages that
// do not mention it produce none (issue 7).
func TestGatewayMentionReply(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{}
	startGateway(t, f, h, nil)

	f.dispatch("MESSAGE_CREATE", messageJSON("M0", "G1", "C1", "B9", true, "<@BOT1> I am a bot", "BOT1"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M00", "G1", "C1", "BOT1", false, "<@BOT1> talking to myself", "BOT1"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M000", "G1", "C1", "U2", false, "no mention here"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", "C1", "U1", false, "<@BOT1>  how do I reset my password?", "BOT1"))

	msgs := f.waitRequests("POST /api/v9/channels/C1/messages", 1)
	// Wait for typing to stop, then check nothing more arrives.
	time.Sleep(150 * time.Millisecond)
	if got := len(f.requests("POST /api/v9/channels/C1/messages")); got != 1 {
		t.Fatalf("messages posted = %d, want 1: %v", got, f.paths())
	}
	var m sentMessage
	msgs[0].json(t, &m)
	if m.Reference == nil || m.Reference.MessageID != "M1" {
		t.Errorf("message_reference = %+v, want message M1", m.Reference)
	}
	if want := "[Passwords and login](https://help.example.com/passwords)"; !strings.Contains(m.Content, want) {
		t.Errorf("content = %q, want it to contain %q", m.Content, want)
	}
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want no parsed mentions", m.AllowedMentions)
	}
	if len(m.Components) != 1 {
		t.Errorf("components = %d rows, want 1 (buttons)", len(m.Components))
	}
	if got := msgs[0].Header.Get("Authorization"); got != "Bot tok" {
		t.Errorf("authorization = %q, want %q", got, "Bot tok")
	}

	got := h.messages()
	if len(got) != 1 {
		t.Fatalf("handler got %d messages, want 1", len(got))
	}
	want := conversation.Message{ID: "M1", Address: conversation.Address{Platform: "discord", Tenant: "G1", Channel: "C1", User: "U1"},
		UserName: "user-U1", Text: "how do I reset my password?", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if got[0].ID != want.ID || got[0].Address != want.Address || got[0].Text != want.Text || got[0].UserName != want.UserName || !got[0].Time.Equal(want.Time) {
		t.Errorf("handler got %+v, want %+v", got[0], want)
	}
	if n := len(f.requests("POST /api/v9/channels/C1/typing")); n < 1 {
		t.Errorf("typing requests = %d, want at least 1", n)
	}
}

func TestGatewayDirectMessage(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{}
	startGateway(t, f, h, nil)
	f.dispatch("MESSAGE_CREATE", messageJSON("M5", "", "D1", "U1", false, "hello, where is my parcel?"))
	msgs := posted(t, f, "D1")
	if len(msgs) == 0 {
		msgs = nil
		f.waitRequests("POST /api/v9/channels/D1/messages", 1)
		msgs = posted(t, f, "D1")
	}
	if got := h.messages(); len(got) != 1 || got[0].Address.Tenant != "" || got[0].Address.Channel != "D1" || got[0].Text != "hello, where is my parcel?" {
		t.Errorf("handler got %+v, want one DM from D1", got)
	}
	if len(msgs) != 1 || msgs[0].Reference == nil || msgs[0].Reference.MessageID != "M5" {
		t.Errorf("DM replies = %+v, want one referencing M5", msgs)
	}
}

// The typing indicator is refreshed while a slow reply is produced.
func TestGatewayTypingRefreshed(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{gate: make(chan struct{})}
	startGateway(t, f, h, nil)
	f.dispatch("MESSAGE_CREATE", messageJSON("M6", "", "D1", "U1", false, "slow question"))
	f.waitRequests("POST /api/v9/channels/D1/typing", 3) // every 50 ms here
	close(h.gate)
	f.waitRequests("POST /api/v9/channels/D1/messages", 1)
}

// A long answer arrives in several messages, each within the limit; only
// the first references the question and only the last has buttons.
func TestGatewayLongAnswer(t *testing.T) {
	f := newFakeDiscord(t)
	var sentences []string
	for i := range 60 {
		sentences = append(sentences, "Sentence number "+strings.Repeat("x", i%7)+" explains one more detail of the delivery process in words.")
	}
	long := strings.Join(sentences, " ")
	h := &fakeHandler{reply: func(m conversation.Message) conversation.Reply {
		return conversation.Reply{Address: m.Address, Text: long}
	}}
	startGateway(t, f, h, nil)
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "G1", "C1", "U1", false, "<@BOT1> explain delivery", "BOT1"))
	f.waitRequests("POST /api/v9/channels/C1/messages", 3)
	time.Sleep(100 * time.Millisecond)
	msgs := posted(t, f, "C1")
	if len(msgs) < 3 {
		t.Fatalf("messages = %d, want at least 3", len(msgs))
	}
	var joined []string
	for i, m := range msgs {
		if n := chars(m.Content); n > MaxMessageChars {
			t.Errorf("message %d has %d chars, want <= %d", i, n, MaxMessageChars)
		}
		if !strings.HasSuffix(m.Content, ".") {
			t.Errorf("message %d ends %q, want a sentence end", i, m.Content[max(0, len(m.Content)-20):])
		}
		if (m.Reference != nil) != (i == 0) {
			t.Errorf("message %d reference = %+v, want one only on the first", i, m.Reference)
		}
		if (len(m.Components) > 0) != (i == len(msgs)-1) {
			t.Errorf("message %d components = %d, want buttons only on the last", i, len(m.Components))
		}
		joined = append(joined, m.Content)
	}
	if got := strings.Join(joined, " "); got != long {
		t.Errorf("joined messages differ from the answer:\n got %q\nwant %q", got, long)
	}
}

// A dropped gateway connection is re-opened with a RESUME carrying the
// session id and last sequence, and messages keep being answered.
func TestGatewayResume(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{}
	var reconnects atomic.Int32
	startGateway(t, f, h, func(o *Options) { o.Metrics.Reconnect = func() { reconnects.Add(1) } })
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "", "D1", "U1", false, "first"))
	f.waitRequests("POST /api/v9/channels/D1/messages", 1)

	f.mu.Lock()
	lastSeq := f.seq
	f.mu.Unlock()
	f.dropConn()
	f.waitFor("RESUME", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.resumes) == 1 && f.conn != nil
	})
	f.mu.Lock()
	var resume struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int    `json:"seq"`
	}
	err := json.Unmarshal(f.resumes[0], &resume)
	identifies := len(f.identifies)
	f.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if resume.SessionID != "sess" || resume.Seq != lastSeq || resume.Token != "Bot tok" {
		t.Errorf("resume = %+v, want session sess, seq %d, token Bot tok", resume, lastSeq)
	}
	if identifies != 1 {
		t.Errorf("identifies = %d, want 1 (resumed, not re-identified)", identifies)
	}
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "", "D1", "U1", false, "second"))
	f.waitRequests("POST /api/v9/channels/D1/messages", 2)
	// Discord replays missed events after a RESUME: the duplicate is dropped.
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "", "D1", "U1", false, "second"))
	f.dispatch("MESSAGE_CREATE", messageJSON("M3", "", "D1", "U1", false, "third"))
	f.waitRequests("POST /api/v9/channels/D1/messages", 3)
	time.Sleep(100 * time.Millisecond)
	if got := len(posted(t, f, "D1")); got != 3 {
		t.Errorf("replies = %d, want 3 (the replayed duplicate dropped)", got)
	}
	if n := reconnects.Load(); n != 1 {
		t.Errorf("Metrics.Reconnect called %d times, want 1", n)
	}
}

// With UseThreads a guild message gets a thread started from it, and the
// session is the thread.
func TestGatewayThreads(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{}
	startGateway(t, f, h, func(o *Options) { o.UseThreads = true })
	f.mu.Lock()
	f.channels["T7"] = `{"id":"T7","type":11,"parent_id":"C1","guild_id":"G1"}`
	f.mu.Unlock()

	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "G1", "C1", "U1", false, "<@BOT1> where is my parcel?", "BOT1"))
	f.waitRequests("POST /api/v9/channels/M1/messages", 1)
	var start discordgo.ThreadStart
	starts := f.requests("POST /api/v9/channels/C1/messages/M1/threads")
	if len(starts) != 1 {
		t.Fatalf("thread starts = %d, want 1", len(starts))
	}
	starts[0].json(t, &start)
	if start.Name != "where is my parcel?" {
		t.Errorf("thread name = %q, want the question", start.Name)
	}
	if msgs := posted(t, f, "M1"); len(msgs) != 1 || msgs[0].Reference != nil {
		t.Errorf("thread replies = %+v, want one without reference", msgs)
	}

	// A mention inside an existing thread is answered there.
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "G1", "T7", "U1", false, "<@BOT1> and when?", "BOT1"))
	f.waitRequests("POST /api/v9/channels/T7/messages", 1)
	got := h.messages()
	if len(got) != 2 {
		t.Fatalf("handler got %d messages, want 2", len(got))
	}
	wantAddrs := []conversation.Address{
		{Platform: "discord", Tenant: "G1", Channel: "C1", Thread: "M1", User: "U1"},
		{Platform: "discord", Tenant: "G1", Channel: "C1", Thread: "T7", User: "U1"},
	}
	for i, w := range wantAddrs {
		if got[i].Address != w {
			t.Errorf("message %d address = %+v, want %+v", i, got[i].Address, w)
		}
	}
	if len(f.requests("POST /api/v9/channels/T7/messages/")) != 0 {
		t.Errorf("a thread was started inside a thread")
	}
}

// A handoff reply posts a notice with a summary to the agents' channel.
func TestGatewayHandoffNotice(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{reply: func(m conversation.Message) conversation.Reply {
		return conversation.Reply{Address: m.Address, Text: conversation.HandoffText, Handoff: true}
	}}
	startGateway(t, f, h, nil)
	f.dispatch("MESSAGE_CREATE", messageJSON("111", "G1", "C1", "U1", false, "<@BOT1> I want a person", "BOT1"))
	f.waitRequests("POST /api/v9/channels/AGENTS/messages", 1)
	notice := posted(t, f, "AGENTS")[0]
	for _, want := range []string{"<@U1>", "<#C1>", "I want a person", "https://discord.com/channels/G1/C1/111"} {
		if !strings.Contains(notice.Content, want) {
			t.Errorf("notice %q lacks %q", notice.Content, want)
		}
	}
	if msgs := posted(t, f, "C1"); len(msgs) != 1 || len(msgs[0].Components) != 0 {
		t.Errorf("handoff reply = %+v, want one message without buttons", msgs)
	}
}

// A 429 is retried after its retry_after, counted, and the reply
// arrives; a long retry_after fails the call at once instead.
func TestRateLimited(t *testing.T) {
	f := newFakeDiscord(t)
	var limited int
	f.hook(func(w http.ResponseWriter, r fakeReq) bool {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/messages") {
			return false
		}
		f.mu.Lock()
		limited++
		n := limited
		f.mu.Unlock()
		if n > 1 && !strings.Contains(r.Path, "/D9/") {
			return false
		}
		retry := "0.05"
		if strings.Contains(r.Path, "/D9/") {
			retry = "60"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", retry)
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"message":"You are being rate limited.","retry_after":`+retry+`,"global":false}`)
		return true
	})
	var codes []string
	var cmu sync.Mutex
	startGateway(t, f, &fakeHandler{}, func(o *Options) {
		o.Metrics.APIError = func(op, code string) {
			cmu.Lock()
			defer cmu.Unlock()
			codes = append(codes, op+" "+code)
		}
	})
	f.dispatch("MESSAGE_CREATE", messageJSON("M1", "", "D1", "U1", false, "hi"))
	f.waitRequests("POST /api/v9/channels/D1/messages", 2)

	start := time.Now()
	f.dispatch("MESSAGE_CREATE", messageJSON("M2", "", "D9", "U1", false, "hi"))
	f.waitRequests("POST /api/v9/channels/D9/messages", 1)
	f.waitFor("the error notice attempt", func() bool { return len(f.requests("POST /api/v9/channels/D9/messages")) >= 2 })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 60 s retry_after held the reply %v", d)
	}
	cmu.Lock()
	defer cmu.Unlock()
	if len(codes) < 2 || codes[0] != "message.create ratelimited" {
		t.Errorf("API errors = %v, want message.create ratelimited first", codes)
	}
}

// A Discord that does not answer fails a reply within CallTimeout, and
// after a few failures calls fail fast without reaching Discord.
func TestOutageFailsFast(t *testing.T) {
	f := newFakeDiscord(t)
	release := make(chan struct{})
	f.hook(func(w http.ResponseWriter, r fakeReq) bool {
		if r.Method != "POST" || !strings.Contains(r.Path, "/channels/") {
			return false
		}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		w.WriteHeader(http.StatusBadGateway)
		return true
	})
	defer close(release)
	h := &fakeHandler{}
	a := startGateway(t, f, h, func(o *Options) { o.CallTimeout = 100 * time.Millisecond; o.TypingInterval = time.Hour })
	s := &sender{a: a, msg: conversation.Message{Address: conversation.Address{Platform: "discord", Channel: "D1"}}, post: a.channelPoster("D1", nil)}
	var errs []error
	start := time.Now()
	for range BreakerFailures + 1 {
		errs = append(errs, s.Send(context.Background(), conversation.Reply{Text: "hello"}))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d sends took %v, want each bounded by CallTimeout", len(errs), d)
	}
	for i, err := range errs[:BreakerFailures] {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("send %d = %v, want a deadline error", i, err)
		}
	}
	if err := errs[BreakerFailures]; !errors.Is(err, ErrDiscordDown) {
		t.Errorf("send after %d failures = %v, want ErrDiscordDown", BreakerFailures, err)
	}
}

// Discord refusing the bot for good (bad token, disallowed intents) ends
// Run with an error instead of reconnecting forever.
func TestGatewayFatalClose(t *testing.T) {
	for _, code := range []int{4004, 4014} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFakeDiscord(t)
			f.mu.Lock()
			f.closeCode = code
			f.mu.Unlock()
			a, err := New(Options{Handler: &fakeHandler{}, BotToken: "tok", APIURL: f.srv.URL, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = a.Run(ctx)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != code {
				t.Errorf("Run = %v, want a close error %d", err, code)
			}
			f.close()
			checkNoLeaks(t)
		})
	}
}

// A gateway that accepts the connection and says nothing does not hold
// Run after its ctx is done.
func TestGatewaySilentServer(t *testing.T) {
	f := newFakeDiscord(t)
	f.mu.Lock()
	f.silent = true
	f.mu.Unlock()
	a, err := New(Options{Handler: &fakeHandler{}, BotToken: "tok", APIURL: f.srv.URL, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	f.waitFor("a dial", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.dials > 0
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still blocked 5 s after cancel")
	}
	f.close()
	checkNoLeaks(t)
}

// An unreachable Discord is retried with backoff until ctx is done.
func TestGatewayUnreachable(t *testing.T) {
	f := newFakeDiscord(t)
	f.hook(func(w http.ResponseWriter, r fakeReq) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	a, err := New(Options{Handler: &fakeHandler{}, BotToken: "tok", APIURL: f.srv.URL, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := a.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil once ctx is done", err)
	}
	if n := len(f.requests("GET /api/v9/gateway")); n < 2 {
		t.Errorf("GET /gateway attempts = %d, want retries", n)
	}
	f.close()
	checkNoLeaks(t)
}

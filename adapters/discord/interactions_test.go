package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
)

// startInteractions serves an adapter's routes for f with h (no gateway)
// until the test ends.
func startInteractions(t *testing.T, f *fakeDiscord, h conversation.Handler, edit func(*Options)) (*Adapter, *httptest.Server) {
	t.Helper()
	o := Options{Handler: h, PublicKey: rfcPub, ApplicationID: "APP", APIURL: f.srv.URL, Logger: testLogger(t)}
	if edit != nil {
		edit(&o)
	}
	a, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Drain(ctx); err != nil {
			t.Errorf("Drain = %v", err)
		}
		f.close()
		checkNoLeaks(t)
	})
	return a, srv
}

// post sends body to the interactions route, signed with key unless sign
// is false.
func post(t *testing.T, srv *httptest.Server, body string, key ed25519.PrivateKey) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/discord/interactions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != nil {
		ts := fmt.Sprint(time.Now().Unix())
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, hex.EncodeToString(ed25519.Sign(key, []byte(ts+body))))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

func TestInteractionsHTTP(t *testing.T) {
	f := newFakeDiscord(t)
	_, srv := startInteractions(t, f, &fakeHandler{}, func(o *Options) { o.MaxBodyBytes = 4096 })
	key := rfcKey(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

	tests := []struct {
		name       string
		body       string
		key        ed25519.PrivateKey
		wantStatus int
		wantType   float64 // response type, when 200
	}{
		{"ping", `{"id":"1","type":1,"application_id":"APP","token":"t"}`, key, 200, 1},
		{"ping signed by another key", `{"type":1}`, other, 401, 0},
		{"no signature headers", `{"type":1}`, nil, 401, 0},
		{"malformed json", `{"type":`, key, 400, 0},
		{"unknown type", `{"id":"1","type":99,"token":"t"}`, key, 400, 0},
		{"command without token", `{"id":"1","type":2,"data":{"name":"ask"}}`, key, 400, 0},
		{"too large", `{"type":1,"pad":"` + strings.Repeat("x", 5000) + `"}`, key, 413, 0},
		{"unknown command", `{"id":"1","type":2,"token":"t","data":{"name":"nope"}}`, key, 200, 4},
		{"ask without question", `{"id":"1","type":2,"token":"t","guild_id":"G1","channel_id":"C1","member":{"user":{"id":"U1"}},"data":{"name":"ask","options":[]}}`, key, 200, 4},
		{"ask with a non-string question", `{"id":"1","type":2,"token":"t","user":{"id":"U1"},"data":{"name":"ask","options":[{"name":"question","type":3,"value":5}]}}`, key, 200, 4},
		{"foreign button", `{"id":"1","type":3,"token":"t","user":{"id":"U1"},"data":{"custom_id":"other:thing","component_type":2}}`, key, 200, 6},
		{"autocomplete", `{"id":"1","type":4,"token":"t","user":{"id":"U1"},"data":{"name":"ask"}}`, key, 200, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := post(t, srv, tt.body, tt.key)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%v)", resp.StatusCode, tt.wantStatus, out)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if tt.wantStatus != 200 {
				if e, ok := out["error"].(map[string]any); !ok || e["code"] == "" {
					t.Errorf("body = %v, want {\"error\":{\"code\",\"message\"}}", out)
				}
				return
			}
			if got := out["type"]; got != tt.wantType {
				t.Errorf("response type = %v, want %v (%v)", got, tt.wantType, out)
			}
		})
	}

	t.Run("tampered body", func(t *testing.T) {
		body := `{"id":"1","type":1,"token":"t"}`
		ts := "1700000000"
		sig := hex.EncodeToString(ed25519.Sign(key, []byte(ts+body)))
		req, _ := http.NewRequest("POST", srv.URL+"/discord/interactions", strings.NewReader(strings.Replace(body, `"1"`, `"2"`, 1)))
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("tampered body status = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("derived vector over HTTP", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/discord/interactions", strings.NewReader(derivedBody))
		req.Header.Set(HeaderTimestamp, derivedTimestamp)
		req.Header.Set(HeaderSignature, derivedSig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(raw)) != `{"type":1}` {
			t.Errorf("PING = %d %s, want 200 {\"type\":1}", resp.StatusCode, raw)
		}
	})
	if n := len(f.paths()); n != 0 {
		t.Errorf("Discord was called %d times for these interactions: %v", n, f.paths())
	}
}

func TestInteractionsWithoutPublicKey(t *testing.T) {
	f := newFakeDiscord(t)
	_, srv := startInteractions(t, f, &fakeHandler{}, func(o *Options) { o.PublicKey = ""; o.BotToken = "tok" })
	if resp, _ := post(t, srv, `{"type":1}`, rfcKey(t)); resp.StatusCode != 401 {
		t.Errorf("status = %d, want 401 when DISCORD_PUBLIC_KEY is unset", resp.StatusCode)
	}
}

// askBody is an /ask interaction in guild G1, channel C1, by U1.
func askBody(id, question string) string {
	return fmt.Sprintf(`{"id":%q,"type":2,"application_id":"APP","token":"tok-%s","guild_id":"G1","channel_id":"C1",`+
		`"member":{"nick":"Ann","user":{"id":"U1","username":"ann"}},"data":{"id":"CMD","name":"ask","type":1,`+
		`"options":[{"name":"question","type":3,"value":%q}]}}`, id, id, question)
}

// /ask is answered with a deferred response at once, even while the
// reply is being produced, and the reply follows as a webhook message.
func TestAskDeferredFollowup(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{gate: make(chan struct{})}
	_, srv := startInteractions(t, f, h, nil)

	start := time.Now()
	resp, out := post(t, srv, askBody("I1", "  How do I reset my password? "), rfcKey(t))
	if resp.StatusCode != 200 || out["type"] != float64(5) {
		t.Fatalf("response = %d %v, want 200 type 5", resp.StatusCode, out)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("deferred response took %v, want well under Discord's 3 s", d)
	}
	if n := len(f.requests("POST /api/v9/webhooks/")); n != 0 {
		t.Fatalf("follow-ups before the reply is ready: %d", n)
	}
	close(h.gate)
	reqs := f.waitRequests("POST /api/v9/webhooks/APP/tok-I1", 1)
	var m sentMessage
	reqs[0].json(t, &m)
	if !strings.Contains(m.Content, "[Passwords and login](https://help.example.com/passwords)") {
		t.Errorf("follow-up content = %q, want the answer with its citation", m.Content)
	}
	if len(m.Components) != 1 {
		t.Errorf("follow-up components = %d, want the buttons row", len(m.Components))
	}
	got := h.messages()
	want := conversation.Message{ID: "I1", Address: conversation.Address{Platform: "discord", Tenant: "G1", Channel: "C1", User: "U1"},
		UserName: "Ann", Text: "How do I reset my password?"}
	if len(got) != 1 || got[0].ID != want.ID || got[0].Address != want.Address || got[0].Text != want.Text || got[0].UserName != want.UserName {
		t.Errorf("handler got %+v, want %+v", got, want)
	}

	// A replayed interaction (same id) is acknowledged and dropped.
	resp, out = post(t, srv, askBody("I1", "How do I reset my password?"), rfcKey(t))
	if resp.StatusCode != 200 || out["type"] != float64(5) {
		t.Errorf("replay response = %d %v, want 200 type 5", resp.StatusCode, out)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(f.requests("POST /api/v9/webhooks/")); n != 1 {
		t.Errorf("follow-ups = %d after a replay, want 1", n)
	}
}

// A long /ask answer comes as several follow-ups under the limit.
func TestAskLongAnswer(t *testing.T) {
	f := newFakeDiscord(t)
	long := strings.Repeat("Parcels are delivered within three working days in most countries. ", 70)
	h := &fakeHandler{reply: func(m conversation.Message) conversation.Reply {
		return conversation.Reply{Address: m.Address, Text: long}
	}}
	_, srv := startInteractions(t, f, h, nil)
	post(t, srv, askBody("I2", "delivery?"), rfcKey(t))
	reqs := f.waitRequests("POST /api/v9/webhooks/APP/tok-I2", 3)
	time.Sleep(50 * time.Millisecond)
	reqs = f.requests("POST /api/v9/webhooks/APP/tok-I2")
	var parts []string
	for _, r := range reqs {
		var m sentMessage
		r.json(t, &m)
		if n := chars(m.Content); n > MaxMessageChars {
			t.Errorf("follow-up of %d chars, want <= %d", n, MaxMessageChars)
		}
		parts = append(parts, m.Content)
	}
	if got, want := strings.Join(parts, " "), strings.TrimSpace(long); got != want {
		t.Errorf("joined follow-ups differ from the answer (%d vs %d chars)", len(got), len(want))
	}
}

func TestAskHandlerErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"rate limited", conversation.ErrRateLimited, conversation.RateLimitedText},
		{"human handling", conversation.ErrHumanHandling, humanText},
		{"store down", conversation.ErrUnavailable, errorText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			h := handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error { return tt.err })
			_, srv := startInteractions(t, f, h, nil)
			post(t, srv, askBody("I3", "hi"), rfcKey(t))
			reqs := f.waitRequests("POST /api/v9/webhooks/APP/tok-I3", 1)
			var m sentMessage
			reqs[0].json(t, &m)
			if m.Content != tt.want {
				t.Errorf("follow-up = %q, want %q", m.Content, tt.want)
			}
		})
	}
}

type handlerFunc func(ctx context.Context, m conversation.Message, out conversation.Sender) error

func (f handlerFunc) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	return f(ctx, m, out)
}

// buttonBody is a click of the button customID on message MSG by U2.
func buttonBody(id, customID string) string {
	return fmt.Sprintf(`{"id":%q,"type":3,"application_id":"APP","token":"tok-%s","guild_id":"G1","channel_id":"C1",`+
		`"member":{"user":{"id":"U2","username":"bob"}},"message":{"id":"MSG","channel_id":"C1","content":"You can reset it from the login page."},`+
		`"data":{"custom_id":%q,"component_type":2}}`, id, id, customID)
}

func TestFeedbackButtons(t *testing.T) {
	f := newFakeDiscord(t)
	var mu sync.Mutex
	var got []bool
	_, srv := startInteractions(t, f, &fakeHandler{}, func(o *Options) {
		o.Metrics.Feedback = func(helpful bool) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, helpful)
		}
	})
	addr := conversation.Address{Platform: "discord", Tenant: "G1", Channel: "C1", User: "U1"}
	for _, id := range []string{customID(actionHelpful, addr), customID(actionUnhelpful, addr)} {
		resp, out := post(t, srv, buttonBody("B1", id), rfcKey(t))
		data, _ := out["data"].(map[string]any)
		if resp.StatusCode != 200 || out["type"] != float64(4) || data["flags"] != float64(64) || data["content"] != feedbackThanks {
			t.Errorf("feedback response = %d %v, want an ephemeral thanks", resp.StatusCode, out)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !got[0] || got[1] {
		t.Errorf("Metrics.Feedback calls = %v, want [true false]", got)
	}
}

// "Talk to a human" calls the Handler's Handoff when it has one, answers
// with the handoff text and notifies the agents' channel.
func TestHumanButtonHandoffer(t *testing.T) {
	f := newFakeDiscord(t)
	h := handoffHandler{&fakeHandler{}}
	var clicks atomic.Int32
	_, srv := startInteractions(t, f, h, func(o *Options) {
		o.BotToken = "tok"
		o.AgentsChannel = "AGENTS"
		o.Metrics.HandoffButton = func() { clicks.Add(1) }
	})
	addr := conversation.Address{Platform: "discord", Tenant: "G1", Channel: "C1", Thread: "T1", User: "U1"}
	resp, out := post(t, srv, buttonBody("B2", customID(actionHuman, addr)), rfcKey(t))
	if resp.StatusCode != 200 || out["type"] != float64(5) {
		t.Fatalf("response = %d %v, want 200 type 5", resp.StatusCode, out)
	}
	reqs := f.waitRequests("POST /api/v9/webhooks/APP/tok-B2", 1)
	var m sentMessage
	reqs[0].json(t, &m)
	if m.Content != conversation.HandoffText {
		t.Errorf("follow-up = %q, want the handoff text", m.Content)
	}
	notice := f.waitRequests("POST /api/v9/channels/AGENTS/messages", 1)
	var n sentMessage
	notice[0].json(t, &n)
	for _, want := range []string{"<@U1>", "<#T1>", "Talk to a human", "You can reset it from the login page."} {
		if !strings.Contains(n.Content, want) {
			t.Errorf("notice %q lacks %q", n.Content, want)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.handoffs) != 1 || h.handoffs[0] != addr {
		t.Errorf("Handoff calls = %+v, want one for %+v", h.handoffs, addr)
	}
	if len(h.got) != 0 {
		t.Errorf("Handle called %d times, want 0 with a Handoffer", len(h.got))
	}
	if n := clicks.Load(); n != 1 {
		t.Errorf("Metrics.HandoffButton calls = %d, want 1", n)
	}
}

// Without a Handoffer the button sends the session a request for a
// human, once per person and message.
func TestHumanButtonThroughPipeline(t *testing.T) {
	f := newFakeDiscord(t)
	h := &fakeHandler{reply: func(m conversation.Message) conversation.Reply {
		return conversation.Reply{Address: m.Address, Text: conversation.HandoffText, Handoff: true}
	}}
	_, srv := startInteractions(t, f, h, nil)
	addr := conversation.Address{Platform: "discord", Tenant: "G1", Channel: "C1", User: "U1"}
	post(t, srv, buttonBody("B3", customID(actionHuman, addr)), rfcKey(t))
	f.waitRequests("POST /api/v9/webhooks/APP/tok-B3", 1)
	post(t, srv, buttonBody("B4", customID(actionHuman, addr)), rfcKey(t))
	reqs := f.waitRequests("POST /api/v9/webhooks/APP/tok-B4", 1)
	var m sentMessage
	reqs[0].json(t, &m)
	if m.Content != alreadyHuman {
		t.Errorf("second click follow-up = %q, want %q", m.Content, alreadyHuman)
	}
	got := h.messages()
	if len(got) != 1 || got[0].Text != humanRequest || got[0].Address != addr || got[0].ID != "button:MSG:U2" {
		t.Errorf("handler got %+v, want one human request for %+v", got, addr)
	}
}

// Interactions delivered over the gateway are answered through the
// callback endpoint before the follow-up.
func TestGatewayInteraction(t *testing.T) {
	f := newFakeDiscord(t)
	startGateway(t, f, &fakeHandler{}, nil)
	f.dispatch("INTERACTION_CREATE", askBody("I9", "gateway question"))
	f.waitRequests("POST /api/v9/webhooks/APP/tok-I9", 1)
	paths := f.paths()
	cb, fu := -1, -1
	for i, p := range paths {
		switch p {
		case "POST /api/v9/interactions/I9/tok-I9/callback":
			cb = i
		case "POST /api/v9/webhooks/APP/tok-I9":
			fu = i
		}
	}
	if cb < 0 || fu < cb {
		t.Errorf("requests %v: want the callback before the follow-up", paths)
	}
	var resp struct {
		Type int `json:"type"`
	}
	f.requests("POST /api/v9/interactions/I9/tok-I9/callback")[0].json(t, &resp)
	if resp.Type != 5 {
		t.Errorf("callback type = %d, want 5", resp.Type)
	}
}

// After Shutdown, /ask is answered "busy" instead of being deferred.
func TestAskAfterShutdown(t *testing.T) {
	f := newFakeDiscord(t)
	a, srv := startInteractions(t, f, &fakeHandler{}, nil)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(context.Background()); err != ErrClosed {
		t.Errorf("second Shutdown = %v, want ErrClosed", err)
	}
	_, out := post(t, srv, askBody("I5", "hi"), rfcKey(t))
	data, _ := out["data"].(map[string]any)
	if out["type"] != float64(4) || data["content"] != busyText {
		t.Errorf("response after shutdown = %v, want the busy text", out)
	}
}

package bot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/slack"
	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/internal/redistest"
)

// call makes an HTTP request with an optional bearer token and JSON body
// and decodes the answer into out (when 2xx) or returns its error code.
func call(t *testing.T, method, u, bearer, body string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, u, err, raw)
		}
		return resp.StatusCode, ""
	}
	var eb web.ErrorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("%s %s: status %d with body %s: not the error shape", method, u, resp.StatusCode, raw)
	}
	return resp.StatusCode, eb.Error.Code
}

// TestAgentReplies: a widget visitor handed to a human is not left
// alone with a promise. What they write is kept for the agent, the
// operator API reads the conversation and saves the agent's reply, the
// widget's token reads it back, and a release hands the conversation to
// the bot again; with the in-process store and with Redis.
func TestAgentReplies(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testAgentReplies(t, testConfig()) })
	t.Run("redis", func(t *testing.T) {
		cfg := testConfig()
		cfg.Secrets.RedisURL = "redis://" + redistest.Start(t).Addr
		testAgentReplies(t, cfg)
	})
}

func testAgentReplies(t *testing.T, cfg Config) {
	r := start(t, cfg, Options{})
	first := send(t, r.URL, msg{"text": "I want to talk to a human please"})
	if first.Status != 200 || !first.Reply.Handoff {
		t.Fatalf("asking for a human: status %d reply %+v, want a handoff", first.Status, first.Reply)
	}
	conv, token := first.ConversationID, first.Token
	handedOff := time.Now().UTC()
	got := send(t, r.URL, msg{"text": "My parcel 88231 never came", "conversation_id": conv, "token": token})
	if got.Status != 409 || got.Error.Code != web.CodeHumanHandling {
		t.Fatalf("while handed off: status %d code %q, want 409 %s", got.Status, got.Error.Code, web.CodeHumanHandling)
	}

	// The operator reads what the visitor wrote to the agent.
	sessions := r.URL + "/api/v1/sessions/"
	var tr web.Transcript
	if code, ecode := call(t, "GET", sessions+conv+"/messages", "test-admin", "", &tr); code != 200 {
		t.Fatalf("operator transcript: %d %s", code, ecode)
	}
	if n := len(tr.Messages); tr.State != "human" || n != 3 || tr.Messages[n-1].Role != "user" || tr.Messages[n-1].Text != "My parcel 88231 never came" {
		t.Fatalf("operator transcript = %+v, want the visitor's last message, unanswered, in state human", tr)
	}

	var saved struct {
		Session string                `json:"session"`
		Message web.TranscriptMessage `json:"message"`
	}
	for _, tt := range []struct {
		name, id, bearer, body string
		status                 int
	}{
		{"no token", conv, "", `{"text":"hi"}`, 401},
		{"wrong token", conv, "nope", `{"text":"hi"}`, 401},
		{"not JSON", conv, "test-admin", `text=hi`, 400},
		{"empty text", conv, "test-admin", `{"text":"  ","name":"Sam"}`, 400},
		{"name too long", conv, "test-admin", `{"text":"hi","name":"` + strings.Repeat("x", 65) + `"}`, 400},
		{"a Slack session", url.PathEscape("slack:T1:C1:1700000000.1"), "test-admin", `{"text":"hi"}`, 400},
		{"too large", conv, "test-admin", `{"text":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
		{"name on two lines", conv, "test-admin", `{"text":"hi","name":"Bob\nEvil"}`, 400},
		{"invisible text", conv, "test-admin", `{"text":"\u200b\u200b\ufeff"}`, 400},
		{"unknown conversation", "nobody", "test-admin", `{"text":"hi"}`, 404},
		{"the agent's reply", conv, "test-admin", `{"text":"Hi, I'm Sam. I've sent a replacement for 88231.","name":"Sam"}`, 201},
	} {
		if code, ecode := call(t, "POST", sessions+tt.id+"/messages", tt.bearer, tt.body, &saved); code != tt.status {
			t.Errorf("POST messages, %s: status %d (%s), want %d", tt.name, code, ecode, tt.status)
		}
	}
	if saved.Message.Role != "agent" || saved.Message.Name != "Sam" || !strings.HasSuffix(saved.Session, conv) {
		t.Errorf("saved = %+v, want Sam's agent message in the widget session", saved)
	}
	// A long reply in Cyrillic (two bytes a letter) is kept whole.
	long := strings.Repeat("Привет ", 500) + "конец"
	if code, ecode := call(t, "POST", sessions+conv+"/messages", "test-admin", `{"text":"`+long+`"}`, &saved); code != 201 || saved.Message.Text != long {
		t.Errorf("long reply: %d %s, saved %d of %d characters", code, ecode, len([]rune(saved.Message.Text)), len([]rune(long)))
	}

	// The widget reads it with its own token.
	widget := func(conv, bearer, since string) (web.Transcript, int, string) {
		q := url.Values{"conversation_id": {conv}}
		if since != "" {
			q.Set("since", since)
		}
		var tr web.Transcript
		code, ecode := call(t, "GET", r.URL+"/api/v1/messages?"+q.Encode(), bearer, "", &tr)
		return tr, code, ecode
	}
	tr, code, ecode := widget(conv, token, handedOff.Format(time.RFC3339Nano))
	if code != 200 {
		t.Fatalf("widget GET: %d %s", code, ecode)
	}
	if tr.State != "human" || len(tr.Messages) != 3 || tr.Messages[1].Role != "agent" || tr.Messages[1].Name != "Sam" {
		t.Errorf("widget transcript since the handoff = %+v, want the visitor's message and Sam's two replies", tr)
	}
	last := tr.Messages[len(tr.Messages)-1].Time.Format(time.RFC3339Nano)
	if tr, _, _ := widget(conv, token, last); len(tr.Messages) != 0 {
		t.Errorf("widget transcript since the last message = %+v, want none", tr.Messages)
	}
	for _, tt := range []struct {
		name, conv, bearer, since string
		status                    int
	}{
		{"no token", conv, "", "", 401},
		{"another conversation's token", "someone-else", token, "", 401},
		{"no conversation", "", token, "", 400},
		{"bad since", conv, token, "yesterday", 400},
	} {
		if _, code, _ := widget(tt.conv, tt.bearer, tt.since); code != tt.status {
			t.Errorf("widget GET, %s: status %d, want %d", tt.name, code, tt.status)
		}
	}

	// Released, the widget sees the bot back and the bot answers.
	var rel map[string]string
	if code, ecode := call(t, "POST", sessions+conv+"/release", "test-admin", "", &rel); code != 200 {
		t.Fatalf("release: %d %s", code, ecode)
	}
	if tr, _, _ := widget(conv, token, last); tr.State != "bot" {
		t.Errorf("state after release = %q, want bot", tr.State)
	}
	if got := send(t, r.URL, msg{"text": "How much is the Plus plan per month?", "conversation_id": conv, "token": token}); got.Status != 200 || got.Reply.Handoff {
		t.Errorf("after release: status %d %+v, want an answer", got.Status, got.Error)
	}
}

// TestWidgetHandoffToSlack: with Slack and slack.agents_channel set, a
// widget visitor handed to a human gets a thread in the agents' channel
// that holds what they write next, and an agent's answer in that thread
// (a signed Events API message) reaches the widget.
func TestWidgetHandoffToSlack(t *testing.T) {
	cfg, fake := slackConfig(t)
	r := start(t, cfg, Options{})

	posted := func(n int) []url.Values {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			fake.mu.Lock()
			posts := append([]url.Values(nil), fake.posts...)
			fake.mu.Unlock()
			if len(posts) >= n || time.Now().After(deadline) {
				return posts
			}
		}
	}
	first := send(t, r.URL, msg{"text": "I want to talk to a human please", "user": map[string]string{"id": "v1", "name": "Ana"}})
	if !first.Reply.Handoff {
		t.Fatalf("reply %+v, want a handoff", first.Reply)
	}
	posts := posted(1)
	if len(posts) != 1 || posts[0].Get("channel") != "C0AGENTS" || !strings.Contains(posts[0].Get("text"), "Ana") ||
		!strings.Contains(posts[0].Get("metadata"), first.ConversationID) {
		t.Fatalf("agents' channel posts %v, want a notice naming Ana, its metadata the conversation", posts)
	}
	thread := "1700000000.000100" // every ts of the fake
	got := send(t, r.URL, msg{"text": "my card 4111 1111 1111 1111 was charged twice", "conversation_id": first.ConversationID, "token": first.Token, "user": map[string]string{"id": "v1", "name": "Ana"}})
	if got.Error.Code != web.CodeHumanHandling {
		t.Fatalf("while a human has it: %d %+v", got.Status, got.Error)
	}
	posts = posted(2)
	if len(posts) != 2 || posts[1].Get("thread_ts") != thread || !strings.Contains(posts[1].Get("text"), "charged twice") || strings.Contains(posts[1].Get("text"), "4111") {
		t.Fatalf("visitor's message in the thread: %v, want it there, redacted", posts[len(posts)-1])
	}

	body, _ := json.Marshal(map[string]any{
		"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "EvAgent1", "event_time": 1700000001,
		"event": map[string]any{"type": "message", "channel": "C0AGENTS", "channel_type": "channel", "user": "U1",
			"text": "Refunded the second charge, Ana.", "ts": "1700000000.000200", "thread_ts": thread},
		"authorizations": []map[string]any{{"team_id": "T1", "user_id": "UBOT", "is_bot": true}},
	})
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/slack/events", strings.NewReader(string(body)))
	ts := time.Now().Unix()
	req.Header.Set(slack.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(slack.HeaderSignature, slack.Sign("signing", ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /slack/events: %d", resp.StatusCode)
	}
	var tr web.Transcript
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		call(t, "GET", r.URL+"/api/v1/messages?conversation_id="+first.ConversationID, first.Token, "", &tr)
		if n := len(tr.Messages); n > 0 && tr.Messages[n-1].Role == "agent" {
			break
		}
	}
	if n := len(tr.Messages); n == 0 || tr.Messages[n-1].Role != "agent" || tr.Messages[n-1].Text != "Refunded the second charge, Ana." || tr.Messages[n-1].Name == "" {
		t.Errorf("widget transcript %+v, want the agent's answer from Slack, signed", tr.Messages)
	}
}

// TestHandoffURL: with web.handoff_url set, a widget visitor's handoff
// (with the conversation so far) and each message they send meanwhile
// (redacted, as kept) are POSTed there, signed like callbacks.
func TestHandoffURL(t *testing.T) {
	desk, posts := signedPosts(t)
	events := make(chan web.AgentEvent, 4)
	go func() {
		for body := range posts {
			var ev web.AgentEvent
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Errorf("handoff event %s: %v", body, err)
			}
			events <- ev
		}
	}()
	cfg := testConfig()
	cfg.Web.HandoffURL = desk.URL + "/switchboard"
	r := start(t, cfg, Options{})
	first := send(t, r.URL, msg{"text": "How long does a refund take to reach me?", "user": map[string]string{"id": "v1", "name": "Ana"}})
	conv := msg{"conversation_id": first.ConversationID, "token": first.Token, "user": map[string]string{"id": "v1", "name": "Ana"}}
	with := func(text string) msg {
		m := msg{"text": text}
		for k, v := range conv {
			m[k] = v
		}
		return m
	}
	if got := send(t, r.URL, with("I want to talk to a human please")); !got.Reply.Handoff {
		t.Fatalf("reply %+v, want a handoff", got.Reply)
	}
	send(t, r.URL, with("my card 4111 1111 1111 1111 was charged twice"))
	next := func() web.AgentEvent {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no handoff event")
			return web.AgentEvent{}
		}
	}
	ev := next()
	if ev.Event != "handoff" || ev.ConversationID != first.ConversationID || ev.User.Name != "Ana" || len(ev.Messages) != 4 ||
		ev.Messages[0].Text != "How long does a refund take to reach me?" {
		t.Errorf("first event %+v, want the handoff with the four messages so far", ev)
	}
	ev = next()
	if ev.Event != "message" || !strings.Contains(ev.Text, "charged twice") || strings.Contains(ev.Text, "4111") {
		t.Errorf("second event %+v, want the visitor's message, redacted", ev)
	}
}

func TestHandoffURLChecked(t *testing.T) {
	cfg := testConfig()
	cfg.Web.HandoffURL = "desk.example.com/hook"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "web.handoff_url") {
		t.Errorf("Validate() = %v, want web.handoff_url refused", err)
	}
}

// TestWebhookAgentReplies: a conversation of signed webhooks handed to a
// human works as the widget's does: an agent's reply through the
// operator API is read back with the conversation's token.
func TestWebhookAgentReplies(t *testing.T) {
	r := start(t, testConfig(), Options{})
	body := `{"text":"I want to talk to a human please","conversation_id":"crm-42","user":{"id":"u1"}}`
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.SignatureHeader, web.Sign([]byte("test-secret"), []byte(body), time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var first web.Response
	json.NewDecoder(resp.Body).Decode(&first)
	resp.Body.Close()
	if resp.StatusCode != 200 || first.Reply == nil || !first.Reply.Handoff {
		t.Fatalf("signed handoff request: %d %+v", resp.StatusCode, first.Reply)
	}
	// The same id on the widget, with the same token, is another session:
	// the one a human has is still the one the id names.
	if got := send(t, r.URL, msg{"text": "hello", "conversation_id": "crm-42", "token": first.Token}); got.Status != 200 {
		t.Fatalf("widget message with the webhook's id: %d %+v", got.Status, got.Error)
	}
	var saved map[string]any
	if code, ecode := call(t, "POST", r.URL+"/api/v1/sessions/crm-42/messages", "test-admin", `{"text":"Sam here.","name":"Sam"}`, &saved); code != 201 {
		t.Fatalf("agent reply: %d %s", code, ecode)
	}
	if saved["session"] != "web::webhook:crm-42" {
		t.Errorf("saved to %v, want the webhook conversation's session", saved["session"])
	}
	// The webhook's server signs its query; the widget's token reads the
	// widget's conversation of that id, not the webhook's.
	query := "conversation_id=crm-42"
	get, _ := http.NewRequest(http.MethodGet, r.URL+"/api/v1/messages?"+query, nil)
	get.Header.Set(web.SignatureHeader, web.Sign([]byte("test-secret"), []byte(query), time.Now()))
	resp, err = http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	var tr web.Transcript
	json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if n := len(tr.Messages); resp.StatusCode != 200 || tr.State != "human" || n == 0 || tr.Messages[n-1].Text != "Sam here." {
		t.Errorf("signed GET: %d %+v, want Sam's reply, in state human", resp.StatusCode, tr)
	}
	if code, ecode := call(t, "GET", r.URL+"/api/v1/messages?"+query, first.Token, "", &tr); code != 200 || tr.State != "bot" || len(tr.Messages) != 2 {
		t.Errorf("GET with the token: %d %s %+v, want the widget's own two messages, the bot's", code, ecode, tr)
	}
	get.Header.Set(web.SignatureHeader, web.Sign([]byte("test-secret"), []byte("conversation_id=other"), time.Now()))
	if resp, err := http.DefaultClient.Do(get); err != nil || resp.StatusCode != 401 {
		t.Errorf("GET signed for another query: %v %v, want 401", resp.StatusCode, err)
	}
}

// TestWebhookCallbackGetsAgentReplies: a webhook conversation whose
// messages name a callback_url gets a human agent's replies POSTed
// there, signed, as {"conversation_id","token","agent":{...}}.
func TestWebhookCallbackGetsAgentReplies(t *testing.T) {
	crm, posts := signedPosts(t)
	got := make(chan web.Response, 4)
	go func() {
		for body := range posts {
			var resp web.Response
			json.Unmarshal(body, &resp)
			got <- resp
		}
	}()
	r := start(t, testConfig(), Options{})
	body := `{"text":"I want to talk to a human please","conversation_id":"crm-7","callback_url":"` + crm.URL + `/hook"}`
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/messages", strings.NewReader(body))
	req.Header.Set(web.SignatureHeader, web.Sign([]byte("test-secret"), []byte(body), time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("callback request: status %d", resp.StatusCode)
	}
	next := func() web.Response {
		t.Helper()
		select {
		case r := <-got:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no callback")
			return web.Response{}
		}
	}
	if first := next(); first.Reply == nil || !first.Reply.Handoff {
		t.Fatalf("first callback %+v, want the handoff reply", first)
	}
	var saved map[string]any
	if code, ecode := call(t, "POST", r.URL+"/api/v1/sessions/crm-7/messages", "test-admin", `{"text":"Sam here, looking now.","name":"Sam"}`, &saved); code != 201 {
		t.Fatalf("agent reply: %d %s", code, ecode)
	}
	pushed := next()
	if pushed.ConversationID != "crm-7" || pushed.Token == "" || pushed.Agent == nil || pushed.Agent.Text != "Sam here, looking now." || pushed.Agent.Name != "Sam" {
		t.Errorf("pushed %+v (agent %+v), want Sam's reply for crm-7", pushed, pushed.Agent)
	}
}

// signedPosts is a server that receives POSTs signed with the test
// config's WIDGET_SECRET (callbacks, handoff events) and passes on their
// bodies; a bad signature fails the test.
func signedPosts(t *testing.T) (*httptest.Server, <-chan []byte) {
	bodies := make(chan []byte, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := web.VerifySignature([]byte("test-secret"), body, r.Header.Get(web.SignatureHeader), time.Now(), time.Minute); err != nil {
			t.Errorf("signature of %s: %v", body, err)
		}
		bodies <- body
	}))
	t.Cleanup(func() { srv.Close(); close(bodies) })
	return srv, bodies
}

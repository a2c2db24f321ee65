package bot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
	if tr.State != "human" || len(tr.Messages) != 2 || tr.Messages[1].Role != "agent" || tr.Messages[1].Name != "Sam" {
		t.Errorf("widget transcript since the handoff = %+v, want the visitor's message and Sam's reply", tr)
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

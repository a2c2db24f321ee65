package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/managertest"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

func TestEventsRejectUnsignedRequests(t *testing.T) {
	fake := newFakeSlack(t)
	var calls atomic.Int32
	_, mux := newTestAdapter(t, fake, Options{Handler: handlerFunc(func(context.Context, conversation.Message, conversation.Sender) error {
		calls.Add(1)
		return nil
	})})
	body := mentionBody("Ev1", "<@UBOT> hi", "1515449522.000016", "")
	now := time.Now()
	tests := []struct {
		name     string
		req      func() *http.Request
		wantCode int
		wantBody string
	}{
		{"missing headers", func() *http.Request {
			r := signed(t, "/slack/events", body, now)
			r.Header.Del(HeaderSignature)
			r.Header.Del(HeaderTimestamp)
			return r
		}, http.StatusUnauthorized, "missing"},
		{"tampered body", func() *http.Request {
			r := signed(t, "/slack/events", body, now)
			r.Body = http.NoBody
			return signedWith(r, strings.Replace(body, "hi", "ho", 1))
		}, http.StatusUnauthorized, "invalid request signature"},
		{"stale", func() *http.Request { return signed(t, "/slack/events", body, now.Add(-6*time.Minute)) }, http.StatusUnauthorized, "5-minute window"},
		{"future", func() *http.Request { return signed(t, "/slack/events", body, now.Add(6*time.Minute)) }, http.StatusUnauthorized, "5-minute window"},
		{"interactions unsigned", func() *http.Request {
			r := signed(t, "/slack/interactions", "payload=%7B%7D", now)
			r.Header.Set(HeaderSignature, "v0=00")
			return r
		}, http.StatusUnauthorized, "invalid request signature"},
		{"too large", func() *http.Request {
			return signed(t, "/slack/events", `{"type":"event_callback","x":"`+strings.Repeat("a", DefaultMaxBodyBytes)+`"}`, now)
		}, http.StatusRequestEntityTooLarge, "too large"},
		{"malformed json", func() *http.Request { return signed(t, "/slack/events", `{"type":`, now) }, http.StatusBadRequest, "decode slack event"},
		{"get", func() *http.Request {
			r := signed(t, "/slack/events", body, now)
			r.Method = http.MethodGet
			return r
		}, http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(mux, tt.req())
			if w.Code != tt.wantCode || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("status, body = %d, %q; want %d, containing %q", w.Code, w.Body.String(), tt.wantCode, tt.wantBody)
			}
			if tt.wantBody == "" {
				return
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("body %q is not {\"error\":{\"code\",\"message\"}}", w.Body.String())
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler called %d times for refused requests, want 0", n)
	}
}

// signedWith replaces r's body with body, keeping r's (now wrong) signature.
func signedWith(r *http.Request, body string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Body = http.NoBody
	r2 = r2.WithContext(r.Context())
	r2.Body = ioNopCloser(body)
	return r2
}

func TestURLVerification(t *testing.T) {
	fake := newFakeSlack(t)
	_, mux := newTestAdapter(t, fake, Options{Handler: replyWith("x")})
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	w := do(mux, signed(t, "/slack/events", body, time.Now()))
	var got struct{ Challenge string }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("url_verification = %d %q (%v), want 200 with JSON", w.Code, w.Body.String(), err)
	}
	if want := "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"; got.Challenge != want {
		t.Errorf("challenge = %q, want %q", got.Challenge, want)
	}
}

// A signed app_mention gets exactly one threaded reply with citations; the
// same event redelivered (X-Slack-Retry-Num: 1) gets none, through the
// real Manager's store-backed dedup.
func TestAppMentionRepliesOnceInThread(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	mg := managertest.New(t, "Refunds take **5 working days** to reach your card.")
	a, mux := newTestAdapter(t, fake, Options{Handler: mg})
	body := mentionBody("Ev123ABC456", "<@UBOT> how long do refunds take?", "1515449522.000016", "")

	start := time.Now()
	w := do(mux, signed(t, "/slack/events", body, time.Now()))
	if w.Code != http.StatusOK {
		t.Fatalf("first delivery: status %d %q, want 200", w.Code, w.Body.String())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("ack took %v, want well under 3s", d)
	}
	// Slack redelivers (http_timeout) while or after the first is answered.
	w = do(mux, signed(t, "/slack/events", body, time.Now(), HeaderRetryNum, "1", "X-Slack-Retry-Reason", "http_timeout"))
	if w.Code != http.StatusOK {
		t.Fatalf("retry: status %d, want 200", w.Code)
	}
	drain(t, a)

	posts := fake.of("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1: %+v", len(posts), posts)
	}
	if md := posts[0].Form.Get("metadata"); !strings.Contains(md, "Ev123ABC456") {
		t.Errorf("metadata = %q, want the event id", md)
	}
	// The answer streamed into that one message; its final state:
	p := fake.final(posts[0].TS)
	if got, want := p.Get("channel"), "C123"; got != want {
		t.Errorf("channel = %q, want %q", got, want)
	}
	if got, want := p.Get("thread_ts"), "1515449522.000016"; got != want {
		t.Errorf("thread_ts = %q, want %q", got, want)
	}
	if got, want := p.Get("token"), "xoxb-test"; got != want {
		t.Errorf("token = %q, want %q", got, want)
	}
	text := p.Get("text")
	if !strings.Contains(text, "*5 working days*") || strings.Contains(text, "**") {
		t.Errorf("text = %q, want the answer in mrkdwn (*5 working days*)", text)
	}
	if !strings.Contains(text, "Refunds") || !strings.Contains(text, "billing/refunds.md#how-long") {
		t.Errorf("text = %q, want the citation's title and source", text)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", p.Get("blocks"), err)
	}
	if got := blockTypes(blocks); got != "section,context,actions" {
		t.Errorf("block types = %s, want section,context,actions", got)
	}
	if !strings.Contains(p.Get("blocks"), actionHelpful) || !strings.Contains(p.Get("blocks"), actionHuman) {
		t.Errorf("blocks = %s, want feedback and human buttons", p.Get("blocks"))
	}
}

func blockTypes(blocks []map[string]any) string {
	var types []string
	for _, b := range blocks {
		types = append(types, fmt.Sprint(b["type"]))
	}
	return strings.Join(types, ",")
}

// Which events are answered and which ignored.
func TestEventFiltering(t *testing.T) {
	const ts = "1700000000.000100"
	msg := func(extra map[string]any) map[string]any {
		ev := map[string]any{"type": "message", "channel": "D024BE91L", "user": "U2147483697",
			"text": "Hello, can you hear me?", "ts": ts, "event_ts": ts, "channel_type": "im"}
		for k, v := range extra {
			ev[k] = v
		}
		return ev
	}
	tests := []struct {
		name     string
		event    map[string]any
		want     bool   // answered
		wantText string // the Message.Text when answered
		thread   string // the Message's thread when answered
	}{
		{"direct message", msg(nil), true, "Hello, can you hear me?", ts},
		{"direct message in a thread", msg(map[string]any{"thread_ts": "1699999999.000001"}), true, "Hello, can you hear me?", "1699999999.000001"},
		{"mention", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> where is my parcel?", "ts": ts}, true, "where is my parcel?", ts},
		{"mention in a thread", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "hey <@UBOT>, refunds?", "ts": ts, "thread_ts": "1699999999.000002"}, true, "hey , refunds?", "1699999999.000002"},
		{"message from a bot", msg(map[string]any{"bot_id": "B999"}), false, "", ""},
		{"bot_message subtype", msg(map[string]any{"subtype": "bot_message", "user": ""}), false, "", ""},
		{"mention by a bot", map[string]any{"type": "app_mention", "channel": "C1", "user": "U2", "bot_id": "B2", "text": "<@UBOT> hi", "ts": ts}, false, "", ""},
		{"own message", msg(map[string]any{"user": "UBOT"}), false, "", ""},
		{"edit", msg(map[string]any{"subtype": "message_changed"}), false, "", ""},
		{"edited mention", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hi", "ts": ts, "edited": map[string]any{"user": "U1", "ts": ts}}, false, "", ""},
		{"deletion", msg(map[string]any{"subtype": "message_deleted"}), false, "", ""},
		{"join", msg(map[string]any{"subtype": "channel_join"}), false, "", ""},
		{"channel message (answered only as app_mention)", msg(map[string]any{"channel_type": "channel"}), false, "", ""},
		{"bare mention", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT>", "ts": ts}, false, "", ""},
		{"reaction", map[string]any{"type": "reaction_added", "user": "U1", "reaction": "thumbsup"}, false, "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSlack(t)
			got := make(chan conversation.Message, 4)
			a, mux := newTestAdapter(t, fake, Options{Handler: handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
				got <- m
				return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "ok"})
			})})
			w := do(mux, signed(t, "/slack/events", envelopeBody(fmt.Sprintf("Ev%d", i), tt.event), time.Now()))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d %q, want 200", w.Code, w.Body.String())
			}
			drain(t, a)
			close(got)
			var msgs []conversation.Message
			for m := range got {
				msgs = append(msgs, m)
			}
			if answered := len(msgs) == 1; answered != tt.want || len(msgs) > 1 {
				t.Fatalf("handled %d messages, want answered=%v", len(msgs), tt.want)
			}
			if n := len(fake.of("chat.postMessage")); tt.want != (n == 1) || n > 1 {
				t.Errorf("chat.postMessage called %d times, want answered=%v", n, tt.want)
			}
			if !tt.want {
				return
			}
			m := msgs[0]
			if m.Text != tt.wantText {
				t.Errorf("Text = %q, want %q", m.Text, tt.wantText)
			}
			if m.Address.Thread != tt.thread || m.Address.Platform != Platform || m.Address.Tenant != "T123" {
				t.Errorf("Address = %+v, want platform slack, tenant T123, thread %s", m.Address, tt.thread)
			}
			if m.UserName != "Egon" {
				t.Errorf("UserName = %q, want Egon (users.info display name)", m.UserName)
			}
			if m.ID != fmt.Sprintf("Ev%d", i) {
				t.Errorf("ID = %q, want the event_id", m.ID)
			}
			if got := fake.of("chat.postMessage")[0].Form.Get("thread_ts"); got != tt.thread {
				t.Errorf("reply thread_ts = %q, want %q", got, tt.thread)
			}
		})
	}
}

// A 429 from chat.postMessage is retried once after its Retry-After.
func TestPostRetriedAfterRateLimit(t *testing.T) {
	fake := newFakeSlack(t)
	fake.hook("chat.postMessage", func(w http.ResponseWriter, c apiCall, n int) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	var codes []string
	a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("hello"),
		Metrics: Metrics{APIError: func(method, code string) { codes = append(codes, method+":"+code) }}})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
	drain(t, a)
	posts := fake.of("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("chat.postMessage called %d times, want 2 (429, then the retry)", len(posts))
	}
	if gap := posts[1].At.Sub(posts[0].At); gap < 950*time.Millisecond {
		t.Errorf("retry came %v after the 429, want at least Retry-After (1s)", gap)
	}
	if len(fake.posts) != 1 {
		t.Errorf("%d messages posted, want 1", len(fake.posts))
	}
	if len(codes) != 0 {
		t.Errorf("APIError calls = %v, want none (the retry succeeded)", codes)
	}
}

// A Retry-After above MaxRetryAfter fails the call with Slack's code.
func TestRateLimitBeyondMaxFails(t *testing.T) {
	fake := newFakeSlack(t)
	fake.hook("chat.postMessage", func(w http.ResponseWriter, c apiCall, n int) bool {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	codes := make(chan string, 8)
	a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("hello"),
		Metrics: Metrics{APIError: func(method, code string) { codes <- method + ":" + code }}})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
	drain(t, a)
	if n := len(fake.of("chat.postMessage")); n != 1 {
		// not retried, and no error notice into a rate-limited channel
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
	if got := <-codes; got != "chat.postMessage:ratelimited" {
		t.Errorf("APIError = %q, want chat.postMessage:ratelimited", got)
	}
}

// Slack error codes are reported as such.
func TestAPIErrorCode(t *testing.T) {
	fake := newFakeSlack(t)
	fake.hook("chat.postMessage", func(w http.ResponseWriter, c apiCall, n int) bool {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
		return true
	})
	codes := make(chan string, 8)
	a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("hello"),
		Metrics: Metrics{APIError: func(method, code string) { codes <- method + ":" + code }}})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
	drain(t, a)
	if got := <-codes; got != "chat.postMessage:channel_not_found" {
		t.Errorf("APIError = %q, want chat.postMessage:channel_not_found", got)
	}
	if n := len(fake.of("conversations.replies")); n != 0 {
		t.Errorf("conversations.replies called %d times, want 0 (a Slack error is not ambiguous)", n)
	}
}

// A post that timed out but landed is found in the thread and not posted
// again; one that did not land is posted once more.
func TestAmbiguousPostNotDoubled(t *testing.T) {
	for _, landed := range []bool{true, false} {
		t.Run(fmt.Sprintf("landed=%v", landed), func(t *testing.T) {
			fake := newFakeSlack(t)
			fake.hook("chat.postMessage", func(w http.ResponseWriter, c apiCall, n int) bool {
				if n > 1 {
					return false
				}
				if landed {
					fake.record(c)
				}
				time.Sleep(400 * time.Millisecond) // past CallTimeout
				return true
			})
			a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("hello"), CallTimeout: 200 * time.Millisecond})
			do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
			drain(t, a)
			if n := len(fake.of("conversations.replies")); n != 1 {
				t.Errorf("conversations.replies called %d times, want 1", n)
			}
			wantCalls := 2
			if landed {
				wantCalls = 1
			}
			if n := len(fake.of("chat.postMessage")); n != wantCalls {
				t.Errorf("chat.postMessage called %d times, want %d", n, wantCalls)
			}
			if n := len(fake.posts); n != 1 {
				t.Errorf("%d messages in the thread, want exactly 1", n)
			}
		})
	}
}

// Streaming: a preview is posted at the first delta, updated at most once
// per UpdateInterval, and replaced by the final answer.
func TestStreamingUpdatesThrottled(t *testing.T) {
	fake := newFakeSlack(t)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	words := strings.Fields("Parcels are kept at the pickup point for seven days before they go back.")
	h := handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		st := out.(conversation.Streamer)
		for _, w := range words {
			if err := st.Delta(ctx, m.Address, w+" "); err != nil {
				return err
			}
			now.Add(int64(300 * time.Millisecond)) // 4 deltas per second
		}
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: strings.Join(words, " ")})
	})
	a, mux := newTestAdapter(t, fake, Options{Handler: h, Clock: clock})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> how long?", "1.000001", ""), clock()))
	drain(t, a)
	if n := len(fake.of("chat.postMessage")); n != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1 (the preview)", n)
	}
	updates := fake.of("chat.update")
	// 14 deltas over 4.2s of clock: the preview, then an update every
	// 4th delta (1.2s ≥ 1s) = 3, plus the final answer.
	if got, want := len(updates), 4; got != want {
		t.Errorf("chat.update called %d times, want %d", got, want)
	}
	if len(updates) > 0 {
		last := updates[len(updates)-1].Form
		if !strings.Contains(last.Get("text"), "go back.") || strings.HasSuffix(last.Get("text"), "…") {
			t.Errorf("final text = %q, want the whole answer", last.Get("text"))
		}
		if !strings.Contains(last.Get("blocks"), actionHelpful) {
			t.Errorf("final blocks = %s, want the buttons", last.Get("blocks"))
		}
		if got, want := last.Get("ts"), fake.posts[0].TS; got != want {
			t.Errorf("final update ts = %q, want the preview's %q", got, want)
		}
	}
}

// A slow reply first shows "Thinking…", which the answer then replaces;
// a rate-limited message is told so; a failing handler gets an apology.
func TestThinkingAndNotices(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		slow        bool
		wantPosts   int
		wantUpdates int
		wantDeletes int
		wantText    string
	}{
		{"slow answer", nil, true, 1, 1, 0, "the answer"},
		{"fast answer, no thinking", nil, false, 1, 0, 0, "the answer"},
		{"rate limited", conversation.ErrRateLimited, false, 1, 0, 0, conversation.RateLimitedText},
		{"human agent in charge, slow", conversation.ErrHumanHandling, true, 1, 0, 1, ""},
		{"store down", fmt.Errorf("lock session: %w", conversation.ErrUnavailable), false, 1, 0, 0, errorText},
		{"store down, slow", fmt.Errorf("lock session: %w", conversation.ErrUnavailable), true, 1, 1, 0, errorText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSlack(t)
			h := handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
				if tt.slow {
					time.Sleep(300 * time.Millisecond)
				}
				if tt.err != nil {
					return tt.err
				}
				return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "the answer"})
			})
			a, mux := newTestAdapter(t, fake, Options{Handler: h, ThinkingDelay: 50 * time.Millisecond})
			do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> q", "1.000001", ""), time.Now()))
			drain(t, a)
			posts, updates, deletes := fake.of("chat.postMessage"), fake.of("chat.update"), fake.of("chat.delete")
			if len(posts) != tt.wantPosts || len(updates) != tt.wantUpdates || len(deletes) != tt.wantDeletes {
				t.Fatalf("posts, updates, deletes = %d, %d, %d; want %d, %d, %d",
					len(posts), len(updates), len(deletes), tt.wantPosts, tt.wantUpdates, tt.wantDeletes)
			}
			if tt.slow && posts[0].Form.Get("text") != thinkingText {
				t.Errorf("first post = %q, want %q", posts[0].Form.Get("text"), thinkingText)
			}
			final := posts[len(posts)-1]
			if len(updates) > 0 {
				final = updates[len(updates)-1]
			}
			if tt.wantText != "" && !strings.Contains(final.Form.Get("text"), escape(tt.wantText)) {
				t.Errorf("final text = %q, want %q", final.Form.Get("text"), tt.wantText)
			}
		})
	}
}

// A long answer is split into several messages in the thread, each block
// under Slack's limits, the buttons on the last.
func TestLongAnswerSplit(t *testing.T) {
	fake := newFakeSlack(t)
	var b strings.Builder
	for i := 0; b.Len() < 50000; i++ {
		fmt.Fprintf(&b, "Paragraph %d explains one more detail of the returns policy in plain words. ", i)
		if i%5 == 4 {
			b.WriteString("\n\n")
		}
	}
	a, mux := newTestAdapter(t, fake, Options{Handler: replyWith(b.String(), knowledge.Citation{Title: "Returns", Source: "returns.md", URL: "https://help.example.com/returns"})})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> returns?", "1.000001", ""), time.Now()))
	drain(t, a)
	posts := fake.of("chat.postMessage")
	if len(posts) < 2 {
		t.Fatalf("chat.postMessage called %d times, want several", len(posts))
	}
	var total int
	for i, p := range posts {
		if n := len([]rune(p.Form.Get("text"))); n > 40000 {
			t.Errorf("message %d text has %d characters, want ≤ 40000", i, n)
		}
		var blocks []slackapi.Block
		var raw []map[string]any
		_ = json.Unmarshal([]byte(p.Form.Get("blocks")), &raw)
		if len(raw) > 50 {
			t.Errorf("message %d has %d blocks, want ≤ 50", i, len(raw))
		}
		for _, bl := range raw {
			if bl["type"] != "section" {
				continue
			}
			txt := bl["text"].(map[string]any)["text"].(string)
			if n := len([]rune(txt)); n > 3000 {
				t.Errorf("message %d has a section of %d characters, want ≤ 3000", i, n)
			}
			total += len(strings.Fields(txt))
		}
		_ = blocks
		hasButtons := strings.Contains(p.Form.Get("blocks"), actionHelpful)
		if last := i == len(posts)-1; hasButtons != last {
			t.Errorf("message %d has buttons = %v, want only on the last", i, hasButtons)
		}
		if p.Form.Get("thread_ts") != "1.000001" {
			t.Errorf("message %d thread_ts = %q, want 1.000001", i, p.Form.Get("thread_ts"))
		}
	}
	if want := len(strings.Fields(b.String())); total != want {
		t.Errorf("sections hold %d words, want all %d", total, want)
	}
	if !strings.Contains(posts[len(posts)-1].Form.Get("text"), "<https://help.example.com/returns|Returns>") {
		t.Errorf("last message lacks the citation link")
	}
}

// Shutdown refuses new events (503, so Slack redelivers), and a second
// Shutdown says ErrClosed.
func TestShutdown(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	a, mux := newTestAdapter(t, fake, Options{Handler: replyWith("x")})
	drain(t, a)
	if err := a.Shutdown(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("second Shutdown() = %v, want ErrClosed", err)
	}
	w := do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("event after Shutdown: status %d, want 503", w.Code)
	}
}

// Run without an app token waits for ctx, then cancels replies that
// outlive DrainTimeout and returns only when they have stopped.
func TestRunStopsInFlightReplies(t *testing.T) {
	checkNoLeaks(t)
	fake := newFakeSlack(t)
	started := make(chan struct{})
	h := handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	a, mux := newTestAdapter(t, fake, Options{Handler: h, DrainTimeout: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> hi", "1.000001", ""), time.Now()))
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	// The cancelled reply tells the user something went wrong.
	if posts := fake.of("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("text") != errorText {
		t.Errorf("posts after cancel = %+v, want one error notice", posts)
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want bool
	}{
		{"nothing", Options{}, false},
		{"bot token only", Options{BotToken: "xoxb"}, false},
		{"events api", Options{BotToken: "xoxb", SigningSecret: "s"}, true},
		{"socket mode", Options{BotToken: "xoxb", AppToken: "xapp"}, true},
		{"secret without bot token", Options{SigningSecret: "s", AppToken: "xapp"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Enabled(tt.o)
			if got != tt.want || (got == (why != "")) {
				t.Errorf("Enabled() = %v, %q; want %v with a reason iff false", got, why, tt.want)
			}
			tt.o.Handler = replyWith("x")
			if _, err := New(tt.o); (err == nil) != tt.want {
				t.Errorf("New() error = %v, want error %v", err, !tt.want)
			}
		})
	}
	if _, err := New(Options{BotToken: "x", SigningSecret: "s"}); err == nil {
		t.Error("New() without a Handler: no error")
	}
}

// User names are cached for UserCacheTTL; failures are not cached.
func TestUserCache(t *testing.T) {
	fake := newFakeSlack(t)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	a, _ := newTestAdapter(t, fake, Options{Handler: replyWith("x"), UserCacheTTL: time.Hour,
		Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	fake.hook("users.info", func(w http.ResponseWriter, c apiCall, n int) bool {
		if c.Form.Get("user") != "UFAIL" {
			return false
		}
		fmt.Fprint(w, `{"ok":false,"error":"user_not_found"}`)
		return true
	})
	ctx := context.Background()
	steps := []struct {
		user      string
		advance   time.Duration
		wantName  string
		wantCalls int
	}{
		{"U1", 0, "Egon", 1},
		{"U1", 59 * time.Minute, "Egon", 1},
		{"U2", 0, "Egon", 2},
		{"U1", 2 * time.Minute, "Egon", 3}, // expired
		{"UFAIL", 0, "", 4},
		{"UFAIL", 0, "", 5}, // not cached
	}
	for i, s := range steps {
		now.Add(int64(s.advance))
		if got := a.users.name(ctx, s.user); got != s.wantName {
			t.Errorf("step %d: name(%s) = %q, want %q", i, s.user, got, s.wantName)
		}
		if got := len(fake.of("users.info")); got != s.wantCalls {
			t.Errorf("step %d: users.info calls = %d, want %d", i, got, s.wantCalls)
		}
	}
}

// A reply that streams fast (the extractive answerer) is one message: no
// preview, no edit.
func TestFastStreamIsOneMessage(t *testing.T) {
	fake := newFakeSlack(t)
	mg := managertest.New(t, "Lockers keep parcels for 72 hours.")
	a, mux := newTestAdapter(t, fake, Options{Handler: mg, ThinkingDelay: 2 * time.Second})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> locker?", "1.000001", ""), time.Now()))
	drain(t, a)
	posts, updates := fake.of("chat.postMessage"), fake.of("chat.update")
	if len(posts) != 1 || len(updates) != 0 {
		t.Fatalf("posts, updates = %d, %d; want 1, 0", len(posts), len(updates))
	}
	if got := posts[0].Form.Get("text"); !strings.Contains(got, "Lockers keep parcels for 72 hours.") {
		t.Errorf("text = %q, want the whole answer", got)
	}
}

// A reply that streams slowly shows what it has so far once
// ThinkingDelay has passed.
func TestSlowStreamShowsPreview(t *testing.T) {
	fake := newFakeSlack(t)
	h := handlerFunc(func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		_ = out.(conversation.Streamer).Delta(ctx, m.Address, "Lockers keep ")
		time.Sleep(200 * time.Millisecond)
		_ = out.(conversation.Streamer).Delta(ctx, m.Address, "parcels ")
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "Lockers keep parcels for 72 hours."})
	})
	a, mux := newTestAdapter(t, fake, Options{Handler: h, ThinkingDelay: 50 * time.Millisecond})
	do(mux, signed(t, "/slack/events", mentionBody("Ev1", "<@UBOT> locker?", "1.000001", ""), time.Now()))
	drain(t, a)
	posts, updates := fake.of("chat.postMessage"), fake.of("chat.update")
	if len(posts) != 1 || len(updates) == 0 {
		t.Fatalf("posts, updates = %d, %d; want 1 and at least 1", len(posts), len(updates))
	}
	if got, want := posts[0].Form.Get("text"), "Lockers keep …"; got != want {
		t.Errorf("preview = %q, want %q", got, want)
	}
	if got := updates[len(updates)-1].Form.Get("text"); !strings.Contains(got, "72 hours.") {
		t.Errorf("final = %q, want the answer", got)
	}
}

package web

import (
	"context"
	"encoding/json"
	"errors"
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

func TestSignVector(t *testing.T) {
	// DERIVED Stripe-layout vector of reference/protocols.md §3.4.
	got := Sign([]byte("whsec_test_secret"), []byte(`{"id":"evt_1","type":"message.created"}`), time.Unix(1700000000, 0))
	if want := "t=1700000000,v1=af78cd8dc0709d405bd9bc60f8c63d9981daa5b92d12e2fe5c4ff26f993e45e7"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"text":"hi"}`)
	good := Sign(testSecret, body, now)
	other := Sign([]byte("other"), body, now)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"valid", good, nil},
		{"valid, rotated secrets", other + "," + strings.Split(good, ",")[1], nil},
		{"unknown scheme ignored", good + ",v0=abc", nil},
		{"missing", "", ErrNoSignature},
		{"wrong secret", other, ErrSignatureMatch},
		{"body changed", Sign(testSecret, []byte(`{"text":"hi!"}`), now), ErrSignatureMatch},
		{"stale", Sign(testSecret, body, now.Add(-5*time.Minute-time.Second)), ErrSignatureExpired},
		{"future", Sign(testSecret, body, now.Add(6*time.Minute)), ErrSignatureExpired},
		{"edge of tolerance", Sign(testSecret, body, now.Add(-5*time.Minute)), nil},
		{"no timestamp", "v1=" + strings.Split(good, "v1=")[1], ErrBadSignature},
		{"no v1", "t=1700000000", ErrBadSignature},
		{"bad hex", "t=1700000000,v1=zz", ErrBadSignature},
		{"short mac", "t=1700000000,v1=abcd", ErrBadSignature},
		{"bad timestamp", "t=soon,v1=" + strings.Split(good, "v1=")[1], ErrBadSignature},
		{"no equals", "garbage", ErrBadSignature},
		{"too long", good + strings.Repeat(",v0=x", 300), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(testSecret, body, tt.header, now, DefaultTolerance)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("VerifySignature(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Add(Sign(testSecret, []byte("x"), now), []byte("x"))
	f.Add("t=1,v1=00", []byte(""))
	f.Add("t=,v1=,v1=", []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := VerifySignature(testSecret, body, header, now, DefaultTolerance)
		if err == nil && header != Sign(testSecret, body, now) && !strings.Contains(header, strings.Split(Sign(testSecret, body, now), ",")[1]) {
			// A header accepted without the right MAC in it is a forgery.
			p, perr := parseSignature(header)
			if perr != nil || len(p.v1) == 0 {
				t.Fatalf("accepted unparsable header %q", header)
			}
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"text":"hi","conversation_id":"abc","token":"00","user":{"id":"u","name":"n"}}`))
	f.Add([]byte(`{"text":"x","callback_url":"http://a/b"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body)
		if err != nil {
			return
		}
		if strings.TrimSpace(req.Text) == "" {
			t.Fatalf("accepted empty text from %q", body)
		}
		if req.ConversationID != "" && !validConversationID(req.ConversationID) {
			t.Fatalf("accepted conversation id %q", req.ConversationID)
		}
	})
}

func TestWebhookSigned(t *testing.T) {
	now := time.Unix(1700000000, 0)
	var got conversation.Message
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		got = m
		return echo(ctx, m, out)
	}, func(o *Options) { o.Now = func() time.Time { return now } })
	body := `{"text":"hello","conversation_id":"order-42","user":{"id":"crm-7"}}`
	tests := []struct {
		name   string
		sig    string
		status int
	}{
		{"signed", Sign(testSecret, []byte(body), now), 200},
		{"stale", Sign(testSecret, []byte(body), now.Add(-10*time.Minute)), 401},
		{"wrong", Sign([]byte("nope"), []byte(body), now), 401},
		{"malformed", "t=abc", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(t, a, body, map[string]string{SignatureHeader: tt.sig})
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if tt.status == 401 {
				if e := decodeError(t, w); e.Code != CodeBadSignature {
					t.Fatalf("code = %q, want %q", e.Code, CodeBadSignature)
				}
				return
			}
			var resp Response
			_ = json.Unmarshal(w.Body.Bytes(), &resp)
			if resp.ConversationID != "order-42" || resp.Token != Token(testSecret, "order-42") {
				t.Fatalf("answer %s: want the caller's conversation id and its token", w.Body)
			}
			if got.Address.Channel != ChannelWebhook || got.Address.User != "crm-7" {
				t.Fatalf("message address %+v, want webhook channel, user crm-7", got.Address)
			}
		})
	}
}

func TestWebhookCallbackRetries(t *testing.T) {
	var calls atomic.Int32
	delivered := make(chan Response, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := VerifySignature(testSecret, body, r.Header.Get(SignatureHeader), time.Now(), DefaultTolerance); err != nil {
			t.Errorf("callback signature: %v", err)
		}
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var resp Response
		_ = json.Unmarshal(body, &resp)
		delivered <- resp
	}))
	defer cb.Close()
	a := newTestAdapter(t, echo, func(o *Options) {
		o.Callback = CallbackOptions{InitialBackoff: time.Millisecond, Attempts: 4}
	})
	body := `{"text":"refund please","callback_url":"` + cb.URL + `/hook"}`
	w := post(t, a, body, map[string]string{SignatureHeader: Sign(testSecret, []byte(body), time.Now())})
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202 (%s)", w.Code, w.Body)
	}
	var accepted Response
	_ = json.Unmarshal(w.Body.Bytes(), &accepted)
	select {
	case resp := <-delivered:
		if resp.ConversationID != accepted.ConversationID || resp.Reply == nil || resp.Reply.Text != "refund please" {
			t.Fatalf("delivered %+v, want the reply of conversation %s", resp, accepted.ConversationID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("callback not delivered")
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("callback calls = %d, want 3 (two failures, one success)", got)
	}
}

func TestWebhookCallbackGivesUp(t *testing.T) {
	var calls atomic.Int32
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer cb.Close()
	a := newTestAdapter(t, echo, func(o *Options) {
		o.Callback = CallbackOptions{InitialBackoff: time.Millisecond, Attempts: 3}
	})
	body := `{"text":"x","callback_url":"` + cb.URL + `"}`
	post(t, a, body, map[string]string{SignatureHeader: Sign(testSecret, []byte(body), time.Now())})
	if err := a.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("attempts = %d, want 3", got)
	}
	// After Drain, callbacks are refused.
	w := post(t, a, body, map[string]string{SignatureHeader: Sign(testSecret, []byte(body), time.Now())})
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Drain: status %d, want 503", w.Code)
	}
}

// TestDrainCancelsRetries: Drain with a short deadline stops a delivery
// that is waiting to retry, and waits for its goroutine.
func TestDrainCancelsRetries(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer cb.Close()
	a := newTestAdapter(t, echo, func(o *Options) {
		o.Callback = CallbackOptions{InitialBackoff: time.Hour, Attempts: 10}
	})
	body := `{"text":"x","callback_url":"` + cb.URL + `"}`
	post(t, a, body, map[string]string{SignatureHeader: Sign(testSecret, []byte(body), time.Now())})
	time.Sleep(100 * time.Millisecond) // let the first attempt fail
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := a.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Drain took %v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("calls = %d, want 1", calls)
	}
}

func TestStaticFiles(t *testing.T) {
	a := newTestAdapter(t, echo, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	for _, tt := range []struct{ path, ctype, contains string }{
		{"/widget.js", "text/javascript", "attachShadow"},
		{"/", "text/html", `src="/widget.js"`},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.ctype) || !strings.Contains(w.Body.String(), tt.contains) {
			t.Errorf("GET %s: status %d type %q, want 200 %s containing %q", tt.path, w.Code, w.Header().Get("Content-Type"), tt.ctype, tt.contains)
		}
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if w.Code != 404 {
		t.Errorf("GET /nope: status %d, want 404", w.Code)
	}
}

// TestCallbackReplyTimeout: a reply for a callback that takes too long is
// cancelled and the callback gets the error.
func TestCallbackReplyTimeout(t *testing.T) {
	delivered := make(chan Response, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var resp Response
		_ = json.NewDecoder(r.Body).Decode(&resp)
		delivered <- resp
	}))
	defer cb.Close()
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		<-ctx.Done()
		return ctx.Err()
	}, func(o *Options) { o.ReplyTimeout = 50 * time.Millisecond })
	body := `{"text":"slow","callback_url":"` + cb.URL + `"}`
	post(t, a, body, map[string]string{SignatureHeader: Sign(testSecret, []byte(body), time.Now())})
	select {
	case resp := <-delivered:
		if resp.Error == nil || resp.Reply != nil {
			t.Fatalf("delivered %+v, want an error and no reply", resp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing delivered")
	}
}

package bot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestForwardedFor(t *testing.T) {
	cfg := testConfig()
	trusted, err := cfg.Server.Proxies() // the default: loopback and private networks
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		peer, xff, want string // want "" means the peer stays the client
	}{
		{"10.0.0.2:80", "203.0.113.9", "203.0.113.9"},
		{"10.0.0.2:80", "198.51.100.1, 203.0.113.9", "203.0.113.9"},   // the client forged the left entry
		{"10.0.0.2:80", "203.0.113.9, 10.0.0.7", "203.0.113.9"},       // two proxies
		{"[::1]:80", "2001:db8::5", "2001:db8::5"},                    // IPv6
		{"10.0.0.2:80", "192.168.1.5, 10.0.0.7", "192.168.1.5"},       // a client inside the network
		{"203.0.113.50:80", "198.51.100.1", ""},                       // an untrusted peer forges it
		{"10.0.0.2:80", "", ""},                                       // no header
		{"10.0.0.2:80", "203.0.113.9, not-an-ip", ""},                 // garbled
		{"[::ffff:10.0.0.2]:80", "::ffff:203.0.113.9", "203.0.113.9"}, // IPv4 in IPv6
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		got, ok := forwardedFor(r, trusted)
		if want, _ := netip.ParseAddr(tt.want); ok != (tt.want != "") || ok && got != want {
			t.Errorf("peer %s X-Forwarded-For %q: %v %v, want %q", tt.peer, tt.xff, got, ok, tt.want)
		}
	}
}

// TestClientRateLimit: a visitor who names a new user and conversation
// with every message is still limited by address; behind a trusted proxy
// the address is the one it forwards for, and with no proxy trusted a
// forged X-Forwarded-For changes nothing.
func TestClientRateLimit(t *testing.T) {
	for _, tt := range []struct {
		name     string
		proxies  *stringList
		spoofing bool // a new X-Forwarded-For escapes the limit
	}{
		{"default proxies", nil, true},
		{"none trusted", &stringList{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Conversation.ClientRateLimit = 3
			cfg.Server.TrustedProxies = tt.proxies
			r := start(t, cfg, Options{})
			post := func(i int, xff string) int {
				body := fmt.Sprintf(`{"text":"hello","user":{"id":"visitor-%d"}}`, i)
				req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/messages", strings.NewReader(body))
				if xff != "" {
					req.Header.Set("X-Forwarded-For", xff)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			for i := range 3 {
				if got := post(i, "203.0.113.9"); got != http.StatusOK {
					t.Fatalf("message %d: status %d, want 200", i, got)
				}
			}
			if got := post(3, "203.0.113.9"); got != http.StatusTooManyRequests {
				t.Errorf("4th message from one address under new user ids: status %d, want 429", got)
			}
			want := http.StatusTooManyRequests
			if tt.spoofing {
				want = http.StatusOK
			}
			if got := post(4, "198.51.100.1"); got != want {
				t.Errorf("from another forwarded address: status %d, want %d", got, want)
			}
		})
	}
}

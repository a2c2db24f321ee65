package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/adapters/discord"
	"github.com/switchboard/switchboard/adapters/slack"
)

func TestParseConfigPlatformSections(t *testing.T) {
	for _, tt := range []struct {
		name        string
		yaml        string
		wantSlack   SlackConfig
		wantDiscord DiscordConfig
		wantErr     bool
	}{
		{name: "absent"},
		{name: "set", yaml: "slack:\n  agents_channel: C0AGENTS\ndiscord:\n  agents_channel: \"123456789\"\n  use_threads: true\n",
			wantSlack: SlackConfig{AgentsChannel: "C0AGENTS"}, wantDiscord: DiscordConfig{AgentsChannel: "123456789", UseThreads: true}},
		{name: "unknown field", yaml: "slack:\n  channel: C1\n", wantErr: true},
		{name: "threads not a bool", yaml: "discord:\n  use_threads: sometimes\n", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.yaml))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseConfig: err %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.wantSlack, cfg.Slack); diff != "" {
				t.Errorf("slack (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDiscord, cfg.Discord); diff != "" {
				t.Errorf("discord (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAbsoluteBase(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/articles/", ""},
		{"", ""},
		{"help.example.com/articles/", ""},
		{"https://help.example.com/articles/", "https://help.example.com/articles/"},
		{"http://localhost:8080/articles/", "http://localhost:8080/articles/"},
	} {
		var cfg Config
		cfg.Server.CitationBaseURL = tt.in
		if got := absoluteBase(cfg); got != tt.want {
			t.Errorf("absoluteBase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fakeSlackAPI answers every Web API call; chat.postEphemeral fails with
// channel_not_found. It records the calls as "method channel".
type fakeSlackAPI struct {
	mu    sync.Mutex
	calls []string
	posts []url.Values // the forms of chat.postMessage
}

func (f *fakeSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	method := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	f.calls = append(f.calls, method+" "+r.Form.Get("channel"))
	if method == "chat.postMessage" {
		f.posts = append(f.posts, r.Form)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if method == "chat.postEphemeral" {
		io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	}
	io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100","permalink":"https://slack.example/p1","user_id":"UBOT","user":{"id":"U1","name":"ann"}}`)
}

// slackConfig is testConfig with Slack on (signing secret "signing",
// agents' channel C0AGENTS) against a fake Slack Web API.
func slackConfig(t *testing.T) (Config, *fakeSlackAPI) {
	fake := &fakeSlackAPI{}
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	cfg := testConfig()
	cfg.Secrets.SlackBotToken = "xoxb-test"
	cfg.Secrets.SlackSigningSecret = "signing"
	cfg.Secrets.SlackAPIURL = api.URL + "/"
	cfg.Slack.AgentsChannel = "C0AGENTS"
	return cfg, fake
}

func (f *fakeSlackAPI) called(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == call {
			return true
		}
	}
	return false
}

// clickSlack posts a signed block_actions interaction: U1 pressed action
// under a bot answer in C1.
func clickSlack(t *testing.T, base, secret, action, messageTS string) {
	t.Helper()
	value, _ := json.Marshal(map[string]string{"t": "T1", "c": "C1", "th": "1700000000.000001", "u": "U1"})
	payload, _ := json.Marshal(map[string]any{
		"type":      "block_actions",
		"team":      map[string]any{"id": "T1"},
		"user":      map[string]any{"id": "U1"},
		"container": map[string]any{"type": "message", "message_ts": messageTS, "channel_id": "C1", "thread_ts": "1700000000.000001"},
		"message":   map[string]any{"type": "message", "ts": messageTS, "text": "Refunds take 5 working days."},
		"actions":   []map[string]any{{"action_id": action, "block_id": "feedback", "value": string(value), "type": "button"}},
	})
	body := "payload=" + url.QueryEscape(string(payload))
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/interactions", strings.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(slack.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(slack.HeaderSignature, slack.Sign(secret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /slack/interactions %s: status %d", action, resp.StatusCode)
	}
}

// waitMetrics polls /metrics until it has every line of want, for up to 5s.
func waitMetrics(t *testing.T, base string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var missing []string
		for _, w := range want {
			if !strings.Contains(string(body), w+"\n") {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSlackWiring: the Slack adapter gets its metrics and its agents
// channel from the server: button clicks and failed API calls are counted
// on /metrics, and a handoff notice goes to slack.agents_channel.
func TestSlackWiring(t *testing.T) {
	cfg, fake := slackConfig(t)
	r := start(t, cfg, Options{})

	clickSlack(t, r.URL, "signing", "sb_helpful", "1700000000.000002")
	clickSlack(t, r.URL, "signing", "sb_unhelpful", "1700000000.000003")
	clickSlack(t, r.URL, "signing", "sb_helpful", "1700000000.000004")
	waitMetrics(t, r.URL,
		`switchboard_feedback_total{helpful="true",platform="slack"} 2`,
		`switchboard_feedback_total{helpful="false",platform="slack"} 1`,
		`switchboard_platform_api_errors_total{code="channel_not_found",method="chat.postEphemeral",platform="slack"} 3`,
	)

	clickSlack(t, r.URL, "signing", "sb_human", "1700000000.000005")
	waitMetrics(t, r.URL, `switchboard_handoff_buttons_total{platform="slack"} 1`)
	deadline := time.Now().Add(5 * time.Second)
	for !fake.called("chat.postMessage C0AGENTS") {
		if time.Now().After(deadline) {
			fake.mu.Lock()
			t.Fatalf("no handoff notice posted to the agents channel; calls: %q", fake.calls)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clickDiscord posts a signed button interaction: U1 pressed the button
// whose custom id is customID under a bot answer in channel C1.
func clickDiscord(t *testing.T, base string, key ed25519.PrivateKey, customID string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"id": "9001" + customID[3:5], "application_id": "42", "type": 3, "token": "tok", "version": 1,
		"guild_id": "7", "channel_id": "8",
		"member":  map[string]any{"user": map[string]any{"id": "5", "username": "ann"}},
		"message": map[string]any{"id": "77", "channel_id": "8", "content": "Refunds take 5 working days."},
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
	})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/discord/interactions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(discord.HeaderTimestamp, ts)
	req.Header.Set(discord.HeaderSignature, hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), body...))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /discord/interactions %s: status %d", customID, resp.StatusCode)
	}
}

// TestDiscordWiring: the Discord adapter's button clicks and failed REST
// calls are counted on /metrics.
func TestDiscordWiring(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Unknown Webhook","code":10015}`, http.StatusNotFound)
	}))
	t.Cleanup(api.Close)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Secrets.DiscordPublicKey = hex.EncodeToString(pub)
	cfg.Secrets.DiscordApplicationID = "42"
	cfg.Secrets.DiscordAPIURL = api.URL + "/"
	r := start(t, cfg, Options{})

	clickDiscord(t, r.URL, priv, "sb:up:7:8::5")
	clickDiscord(t, r.URL, priv, "sb:dn:7:8::5")
	clickDiscord(t, r.URL, priv, "sb:hu:7:8::5")
	waitMetrics(t, r.URL,
		`switchboard_feedback_total{helpful="true",platform="discord"} 1`,
		`switchboard_feedback_total{helpful="false",platform="discord"} 1`,
		`switchboard_handoff_buttons_total{platform="discord"} 1`,
	)
	// The handoff's follow-up fails at the fake API: one error counted.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(r.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "switchboard_platform_api_errors_total{") && strings.Contains(line, `code="http_404"`) && strings.Contains(line, `platform="discord"`) {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics has no discord http_404 API error:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

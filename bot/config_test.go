package bot

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestEmbeddedConfigMatchesRepo keeps bot/default.yaml, the copy embedded
// in the binary, identical to configs/switchboard.yaml.
func TestEmbeddedConfigMatchesRepo(t *testing.T) {
	repo, err := os.ReadFile(filepath.Join("..", DefaultConfigPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(repo, defaultYAML) {
		t.Fatalf("bot/default.yaml differs from %s: copy it over (cp %s bot/default.yaml)", DefaultConfigPath, DefaultConfigPath)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	empty, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := ParseConfig(defaultYAML)
	if err != nil {
		t.Fatal(err)
	}
	// The documented file states the defaults: parsing it or nothing gives
	// the same configuration.
	if d := cmp.Diff(empty, embedded, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("empty config vs default.yaml (-empty +file):\n%s", d)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"server.addr", empty.Server.Addr, ":8080"},
		{"knowledge.dir", empty.Knowledge.Dir, "configs/knowledge"},
		{"answer.mode", empty.Answer.Mode, ModeExtractive},
		{"conversation.session_ttl", empty.Conversation.SessionTTL, 30 * time.Minute},
		{"redis.prefix", empty.Redis.Prefix, "sb"},
		{"web.signature_tolerance", empty.Web.SignatureTolerance, 5 * time.Minute},
		{"server.max_body_bytes", empty.Server.MaxBodyBytes, int64(64 << 10)},
		{"engine.kv_cache", empty.Engine.KVCache, "auto"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "server:\n  adress: ':1'\n", "adress"},
		{"bad mode", "answer:\n  mode: psychic\n", "answer.mode"},
		{"bad threshold", "answer:\n  threshold: 2\n", "answer.threshold"},
		{"bad min answerability", "answer:\n  min_answerability: 1.5\n", "answer.min_answerability"},
		{"bad duration", "conversation:\n  session_ttl: soon\n", "time.Duration"},
		{"negative", "conversation:\n  workers: -3\n", "conversation.workers"},
		{"bad level", "log:\n  level: loud\n", "log.level"},
		{"bad kv cache", "engine:\n  kv_cache: f8\n", "engine.kv_cache"},
		{"not yaml", "server: [", "parse config"},
		{"duration without unit", "server:\n  shutdown_timeout: 20\n", "a duration needs a unit"},
		{"bad address", "server:\n  addr: not an address\n", "server.addr"},
		{"bad port", "server:\n  addr: 127.0.0.1:99999\n", "server.addr"},
		{"bad proxy", "server:\n  trusted_proxies: [10.0.0.0/33]\n", "server.trusted_proxies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConfig = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfigEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sb.yaml")
	if err := os.WriteFile(path, []byte("server:\n  addr: ':9999'\nredis:\n  prefix: test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"REDIS_URL":               "redis://localhost:6379/0",
		"WIDGET_SECRET":           "w",
		"SWITCHBOARD_ADMIN_TOKEN": "admin",
		"SWITCHBOARD_ADDR":        "127.0.0.1:7000",
		"SLACK_BOT_TOKEN":         "xoxb",
		"DISCORD_PUBLIC_KEY":      "pk",
	}
	cfg, got, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got != path {
		t.Errorf("LoadConfig read %q, want %q", got, path)
	}
	want := Secrets{RedisURL: env["REDIS_URL"], WidgetSecret: "w", AdminToken: "admin", SlackBotToken: "xoxb", DiscordPublicKey: "pk"}
	if d := cmp.Diff(want, cfg.Secrets); d != "" {
		t.Errorf("secrets (-want +got):\n%s", d)
	}
	if cfg.Server.Addr != "127.0.0.1:7000" {
		t.Errorf("addr = %q, want SWITCHBOARD_ADDR's 127.0.0.1:7000", cfg.Server.Addr)
	}
	if cfg.Redis.Prefix != "test" || cfg.Conversation.HistoryTurns != 20 {
		t.Errorf("prefix %q, history %d: want the file's value and the default", cfg.Redis.Prefix, cfg.Conversation.HistoryTurns)
	}
	// Secrets in the file are not fields: the decoder refuses them.
	if err := os.WriteFile(path, []byte("secrets:\n  widgetsecret: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadConfig(path, func(string) string { return "" }); err == nil {
		t.Error("a secrets section in the file was accepted")
	}
	// An empty file (a truncated deploy) is refused, not read as the
	// defaults; so is a bad address from the environment.
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadConfig(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("LoadConfig(empty file) = %v, want an error saying it is empty", err)
	}
	if err := os.WriteFile(path, []byte("server:\n  allowed_origins: \"*\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err = LoadConfig(path, func(string) string { return "" })
	if err != nil || len(cfg.Server.AllowedOrigins) != 1 || cfg.Server.AllowedOrigins[0] != "*" {
		t.Errorf("allowed_origins: \"*\" read as %q, %v; want [*]", cfg.Server.AllowedOrigins, err)
	}
	if _, _, err := LoadConfig(path, func(k string) string { return map[string]string{"SWITCHBOARD_ADDR": "bogus"}[k] }); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_ADDR") {
		t.Errorf("LoadConfig with SWITCHBOARD_ADDR=bogus = %v, want an error naming it", err)
	}
	// No path outside the repository: the embedded default.
	t.Chdir(t.TempDir())
	cfg, got, err = LoadConfig("", func(string) string { return "" })
	if err != nil || got != "" || cfg.Server.Addr != ":8080" {
		t.Fatalf("LoadConfig outside the repo = %q, %v (addr %q), want the embedded default", got, err, cfg.Server.Addr)
	}
}

func TestPlatformsOffReasons(t *testing.T) {
	for _, p := range platforms {
		if why := offReason(p, Secrets{}); !strings.Contains(why, "unset") {
			t.Errorf("%s without credentials: offReason = %q, want it to name the unset variables", p.Name, why)
		}
	}
}

func TestPlatformsOnWithCredentials(t *testing.T) {
	cfg := testConfig()
	cfg.Secrets.SlackBotToken = "xoxb-test"
	cfg.Secrets.SlackSigningSecret = "signing"
	cfg.Secrets.DiscordPublicKey = strings.Repeat("ab", 32) // interactions only: no gateway to dial
	r := start(t, cfg, Options{})
	var names []string
	for _, a := range r.adapters {
		names = append(names, a.Name())
	}
	if got, want := strings.Join(names, ","), "web,openai,slack,discord"; got != want {
		t.Fatalf("adapters = %s, want %s", got, want)
	}
	// Their routes are registered and refuse unsigned requests.
	for _, path := range []string{"/slack/events", "/discord/interactions"} {
		resp, err := http.Post(r.URL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned POST %s: status %d, want 401", path, resp.StatusCode)
		}
	}
}

// TestDemoKnowledgeMatchesRepo keeps bot/demo/knowledge, the demo help
// centre embedded in the binary, identical to configs/knowledge.
func TestDemoKnowledgeMatchesRepo(t *testing.T) {
	repo := os.DirFS(filepath.Join("..", DefaultKnowledgeDir))
	embedded, _ := fs.Sub(demoKnowledge, "demo/knowledge")
	list := func(fsys fs.FS) map[string]string {
		m := map[string]string{}
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(fsys, p)
				m[p] = string(b)
			}
			return nil
		})
		return m
	}
	if d := cmp.Diff(list(repo), list(embedded)); d != "" {
		t.Fatalf("bot/demo/knowledge differs from %s (rm -r bot/demo/knowledge && cp -r %s bot/demo/) (-repo +embedded):\n%.2000s", DefaultKnowledgeDir, DefaultKnowledgeDir, d)
	}
}

// TestServeOutsideRepo: with no configuration file and no knowledge
// folder, the server runs on the embedded defaults and demo help centre.
func TestServeOutsideRepo(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, path, err := LoadConfig("", func(string) string { return "" })
	if err != nil || path != "" {
		t.Fatalf("LoadConfig = %q, %v", path, err)
	}
	r := start(t, cfg, Options{})
	got := send(t, r.URL, msg{"text": "How long does a refund take to arrive?"})
	if got.Status != 200 || len(got.Reply.Citations) == 0 {
		t.Fatalf("status %d reply %+v: want a cited answer from the demo help centre", got.Status, got.Reply)
	}
	link, _, _ := strings.Cut(got.Reply.Citations[0].URL, "#")
	resp, err := http.Get(r.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", link, resp.StatusCode)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add(defaultYAML)
	f.Add([]byte("server:\n  addr: ':1'\nanswer:\n  mode: generative\n"))
	f.Add([]byte("conversation: {session_ttl: 1h, workers: 3}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// Whatever it accepts is valid and has every default applied.
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted an invalid config: %v", err)
		}
		if c.Server.Addr == "" || c.Knowledge.Dir == "" || c.Conversation.Workers <= 0 || c.Redis.Prefix == "" {
			t.Fatalf("defaults missing: %+v", c)
		}
	})
}

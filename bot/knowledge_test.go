package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/knowledge"
)

// knowledgeCopy copies the test knowledge into a folder the test may edit.
func knowledgeCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(testKnowledge)); err != nil {
		t.Fatal(err)
	}
	return dir
}

const (
	warrantyQuestion = "How do I register my zorblax device for the warranty?"
	warrantyV1       = "# Zorblax warranty\n\nTo register your zorblax device for the warranty, open the Zorblax app and tap Register within 30 days of purchase.\n"
	warrantyV2       = "# Zorblax warranty\n\nTo register your zorblax device for the warranty, sign in to the Quasarline portal and enter the serial number printed under the battery cover.\n"
)

// cites reports whether a reply is a cited answer from source.
func cites(r reply, source string) bool {
	if r.Status != 200 || r.Reply == nil || r.Reply.Fallback {
		return false
	}
	for _, c := range r.Reply.Citations {
		if strings.HasPrefix(c.Source, source) {
			return true
		}
	}
	return false
}

// eventually asks question until ok accepts the reply, for up to 10s.
func eventually(t *testing.T, url, question, what string, ok func(reply) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := send(t, url, msg{"text": question})
		if ok(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s: last reply status %d %+v", what, got.Status, got.Reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKnowledgeFollowsFolder adds, edits and deletes an article under a
// running server while other requests keep arriving: answers follow the
// folder and no request fails during the swaps.
func TestKnowledgeFollowsFolder(t *testing.T) {
	dir := knowledgeCopy(t)
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	cfg.Knowledge.PollInterval = 20 * time.Millisecond
	r := start(t, cfg, Options{})

	if got := send(t, r.URL, msg{"text": warrantyQuestion}); cites(got, "zorblax.md") {
		t.Fatalf("before the article exists: reply %+v cites it", got.Reply)
	}

	// Background load: a question the folder's edits do not touch must be
	// answered from refunds.md throughout.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	served := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := trySend(r.URL, msg{"text": "How long does a refund take to reach me?"})
				mu.Lock()
				served++
				if err != nil {
					failures = append(failures, err.Error())
				} else if !cites(got, "refunds.md") {
					failures = append(failures, "status "+http.StatusText(got.Status)+": no refunds.md answer")
				}
				mu.Unlock()
			}
		}()
	}

	article := filepath.Join(dir, "zorblax.md")
	if err := os.WriteFile(article, []byte(warrantyV1), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, r.URL, warrantyQuestion, "added article answers", func(got reply) bool { return cites(got, "zorblax.md") })

	if err := os.WriteFile(article, []byte(warrantyV2), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, r.URL, warrantyQuestion, "edited article answers", func(got reply) bool {
		return cites(got, "zorblax.md") && strings.Contains(got.Reply.Text, "Quasarline")
	})

	if err := os.Remove(article); err != nil {
		t.Fatal(err)
	}
	eventually(t, r.URL, warrantyQuestion, "deleted article no longer answers", func(got reply) bool {
		return got.Status == 200 && !cites(got, "zorblax.md")
	})

	close(stop)
	wg.Wait()
	if served == 0 {
		t.Fatal("no background request was served")
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during the swaps, first: %s", len(failures), served, failures[0])
	}
}

// reload posts to the reload route with auth (none when empty).
func reload(t *testing.T, url, auth string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/knowledge/reload", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func TestKnowledgeReloadRoute(t *testing.T) {
	dir := knowledgeCopy(t)
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	cfg.Knowledge.PollInterval = time.Hour // only the route reloads
	r := start(t, cfg, Options{})

	for _, tt := range []struct {
		name, auth string
	}{
		{"no token", ""},
		{"wrong token", "Bearer nope"},
		{"not bearer", "test-admin"},
	} {
		status, body := reload(t, r.URL, tt.auth)
		var eb web.ErrorBody
		if status != 401 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != web.CodeUnauthorized {
			t.Errorf("reload, %s: status %d body %s, want 401 %s", tt.name, status, body, web.CodeUnauthorized)
		}
	}

	before := r.pipeline.Current().Len()
	if err := os.WriteFile(filepath.Join(dir, "zorblax.md"), []byte(warrantyV1), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := send(t, r.URL, msg{"text": warrantyQuestion}); cites(got, "zorblax.md") {
		t.Fatalf("before the reload: reply %+v already cites the new article", got.Reply)
	}
	status, body := reload(t, r.URL, "Bearer test-admin")
	var res reloadResult
	if status != 200 || json.Unmarshal(body, &res) != nil {
		t.Fatalf("reload: status %d body %s, want 200 with a result", status, body)
	}
	if now := r.pipeline.Current().Len(); res.Chunks != now || now <= before {
		t.Errorf("reload: chunks %d, index has %d (had %d before the article was added)", res.Chunks, now, before)
	}
	if got := send(t, r.URL, msg{"text": warrantyQuestion}); !cites(got, "zorblax.md") {
		t.Fatalf("after the reload: reply %+v, want the new article cited", got.Reply)
	}

	// A folder that cannot be read: an error, and the index stays.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	status, body = reload(t, r.URL, "Bearer test-admin")
	var eb web.ErrorBody
	if status != 500 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != web.CodeInternal {
		t.Errorf("reload of a missing folder: status %d body %s, want 500 %s", status, body, web.CodeInternal)
	}
	if got := send(t, r.URL, msg{"text": warrantyQuestion}); !cites(got, "zorblax.md") {
		t.Errorf("after a failed reload: reply %+v, want the previous index to answer", got.Reply)
	}
}

// TestKnowledgeReloadWithoutFolder: a server given its index has nothing
// to reload.
func TestKnowledgeReloadWithoutFolder(t *testing.T) {
	ix, err := knowledge.Open(context.Background(), testKnowledge, knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, testConfig(), Options{Knowledge: ix})
	status, body := reload(t, r.URL, "Bearer test-admin")
	var eb web.ErrorBody
	if status != 404 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != web.CodeNotFound {
		t.Errorf("reload: status %d body %s, want 404 %s", status, body, web.CodeNotFound)
	}
}

func TestParseConfigPollInterval(t *testing.T) {
	for _, tt := range []struct {
		yaml    string
		want    time.Duration
		wantErr bool
	}{
		{"", knowledge.DefaultPollInterval, false},
		{"knowledge:\n  poll_interval: 250ms\n", 250 * time.Millisecond, false},
		{"knowledge:\n  poll_interval: -1s\n", 0, true},
		{"knowledge:\n  poll_interval: often\n", 0, true},
	} {
		cfg, err := ParseConfig([]byte(tt.yaml))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseConfig(%q): err %v, want error %v", tt.yaml, err, tt.wantErr)
			continue
		}
		if err == nil && cfg.Knowledge.PollInterval != tt.want {
			t.Errorf("ParseConfig(%q): poll_interval %v, want %v", tt.yaml, cfg.Knowledge.PollInterval, tt.want)
		}
	}
}

// knowledge.max_file_bytes bounds the files read: a larger one fails the
// start, naming it, and a raised limit reads it.
func TestKnowledgeMaxFileBytes(t *testing.T) {
	dir := knowledgeCopy(t)
	big := "# Big article\n\n" + strings.Repeat("Zorblax batteries last for years. ", 40)
	if err := os.WriteFile(filepath.Join(dir, "big.md"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	cfg.Knowledge.MaxFileBytes = 1024
	_, err := New(context.Background(), cfg, Options{})
	if !errors.Is(err, knowledge.ErrFileTooLarge) || !strings.Contains(err.Error(), "big.md") {
		t.Fatalf("New with a file over max_file_bytes = %v, want ErrFileTooLarge naming big.md", err)
	}
	cfg.Knowledge.MaxFileBytes = 4096
	r := start(t, cfg, Options{})
	if got := send(t, r.URL, msg{"text": "how long do zorblax batteries last"}); !cites(got, "big.md") {
		t.Errorf("reply %+v, want an answer citing big.md", got.Reply)
	}
}

package bot

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/redistest"
)

var (
	loadSessions = flag.Int("loadtest.sessions", 0, "run TestLoad with this many concurrent widget sessions (0 skips it)")
	loadMessages = flag.Int("loadtest.messages", 5, "messages each TestLoad session sends, one after the other")
)

// loadQuestions are questions about the demo help centre.
var loadQuestions = []string{
	"How long does a refund take to arrive?",
	"how much is the plus plan per month",
	"can I pay with paypal?",
	"I forgot my password, what do I do",
	"what are your support opening hours",
	"how long does a parcel stay in the locker",
	"is there a student discount",
	"how do I delete my account",
	"my parcel arrived damaged",
	"can I pause my plan?",
}

// TestLoad measures reply latency for many concurrent widget sessions on
// a real Redis, through the HTTP API with SSE as the widget uses it. It
// runs only when asked:
//
//	go test ./bot -run '^TestLoad$' -v -loadtest.sessions 200
func TestLoad(t *testing.T) {
	if *loadSessions <= 0 {
		t.Skip("set -loadtest.sessions to run the load test")
	}
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.Knowledge.Dir = "../configs/knowledge"
	cfg.Secrets.RedisURL = "redis://" + srv.Addr
	cfg.Log.Level = "error"
	r := start(t, cfg, Options{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *loadSessions, MaxConnsPerHost: 0}}

	var (
		mu           sync.Mutex
		total, first []time.Duration
		failures     []string
	)
	begin := time.Now()
	var wg sync.WaitGroup
	for s := range *loadSessions {
		wg.Go(func() {
			conv := ""
			for m := range *loadMessages {
				q := loadQuestions[(s+m)%len(loadQuestions)]
				body := fmt.Sprintf(`{"text":%q,"user":{"id":"load-%d"}%s}`, q, s, conv)
				tot, ttfd, next, err := streamOnce(client, r.URL, body)
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					total = append(total, tot)
					if ttfd > 0 {
						first = append(first, ttfd)
					}
				}
				mu.Unlock()
				if err != nil {
					return
				}
				conv = next
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed; first: %s", len(failures), *loadSessions**loadMessages, failures[0])
	}
	t.Logf("%d sessions x %d messages on Redis, %d replies in %v (%.0f replies/s)",
		*loadSessions, *loadMessages, len(total), elapsed.Round(time.Millisecond), float64(len(total))/elapsed.Seconds())
	t.Logf("reply latency (request to done):  p50 %v  p99 %v  max %v", pct(total, 50), pct(total, 99), pct(total, 100))
	t.Logf("first streamed piece:             p50 %v  p99 %v", pct(first, 50), pct(first, 99))
}

// streamOnce sends one message with Accept: text/event-stream and returns
// the time to the done event, the time to the first delta, and the
// conversation fields for the next message.
func streamOnce(c *http.Client, url, body string) (total, firstDelta time.Duration, conv string, err error) {
	start := time.Now()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, 0, "", fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
			if event == "delta" && firstDelta == 0 {
				firstDelta = time.Since(start)
			}
			if event == "done" {
				return time.Since(start), firstDelta, conv, nil
			}
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok && event == "conversation" {
			// {"conversation_id":"…","token":"…"} becomes the tail of the next body.
			conv = "," + strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
		}
		if event == "error" {
			return 0, 0, "", fmt.Errorf("error event: %s", line)
		}
	}
	return 0, 0, "", fmt.Errorf("stream ended without done: %v", sc.Err())
}

// pct returns the p-th percentile of ds (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))].Round(100 * time.Microsecond)
}

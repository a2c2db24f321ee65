package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// seedRecordings adds the recorded SDK request bodies to f.
func seedRecordings(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sdk", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var rec struct{ Body json.RawMessage }
		if err := json.Unmarshal(b, &rec); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(rec.Body))
	}
}

func FuzzParseChat(f *testing.F) {
	seedRecordings(f)
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stop":["x","y"],"n":1,"switchboard":{"knowledge":true}}`))
	f.Add([]byte(`{"messages":[{"role":"tool","content":"1"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, e := parseChat(body, Options{})
		if e != nil {
			if e.Status != 400 || e.Message == "" || !utf8.ValidString(e.Message) {
				t.Fatalf("parseChat error %+v: want a 400 with a message", e)
			}
			return
		}
		if len(c.gen.Messages) == 0 || len(c.gen.Messages) > MaxMessages {
			t.Fatalf("accepted %d messages", len(c.gen.Messages))
		}
		for _, m := range c.gen.Messages {
			if m.Role != "system" && m.Role != "user" && m.Role != "assistant" {
				t.Fatalf("accepted role %q", m.Role)
			}
		}
		checkCall(t, c)
	})
}

func FuzzParseCompletion(f *testing.F) {
	seedRecordings(f)
	f.Add([]byte(`{"prompt":[[1,2]],"max_tokens":3,"stop":"\n","stream":true,"stream_options":{"include_usage":true}}`))
	f.Add([]byte(`{"prompt":["a","b"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, e := parseCompletion(body, Options{})
		if e != nil {
			if e.Status != 400 || e.Message == "" {
				t.Fatalf("parseCompletion error %+v: want a 400 with a message", e)
			}
			return
		}
		checkCall(t, c)
	})
}

// checkCall checks the invariants of an accepted request.
func checkCall(t *testing.T, c call) {
	t.Helper()
	if c.gen.MaxTokens < 0 {
		t.Fatalf("MaxTokens = %d", c.gen.MaxTokens)
	}
	if len(c.gen.Stop) > MaxStops {
		t.Fatalf("%d stop strings", len(c.gen.Stop))
	}
	for _, s := range c.gen.Stop {
		if s == "" {
			t.Fatal("an empty stop string was kept")
		}
	}
	s := c.gen.Sampling
	if s.Temperature < 0 || s.Temperature > 2 || s.TopP < 0 || s.TopP > 1 || s.MinP < 0 || s.MinP > 1 || s.TopK < 0 || s.RepetitionPenalty < 0 {
		t.Fatalf("sampling out of range: %+v", s)
	}
}

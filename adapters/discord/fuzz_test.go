package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

func FuzzSplit(f *testing.F) {
	f.Add("Hello. World! How are you? Fine.", 32)
	f.Add("```go\nfunc main() {}\n```\nand [a link](https://x.test) here", 40)
	f.Add(strings.Repeat("😀 ", 50), 33)
	f.Add("\n\n\n", 100)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 5000 || len(s) > 20000 {
			return
		}
		got := Split(s, n)
		limit := max(n, 32)
		for i, p := range got {
			if chars(p) > limit {
				t.Fatalf("piece %d has %d chars, want <= %d", i, chars(p), limit)
			}
			if strings.TrimSpace(p) == "" {
				t.Fatalf("piece %d is blank", i)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("piece %d is not valid UTF-8", i)
			}
		}
		if strings.Contains(s, "`") {
			return // fences may be closed and reopened
		}
		squash := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if a, b := squash(strings.Join(got, "")), squash(strings.ToValidUTF8(s, "\uFFFD")); a != b {
			t.Fatalf("pieces lose text:\n got %q\nwant %q", a, b)
		}
	})
}

func FuzzParseInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":1}`,
		askBody("I1", "How do I reset my password?"),
		buttonBody("B1", "sb:hu:G1:C1::U1"),
		`{"id":"1","type":2,"token":"t","data":{"name":"ask","options":[{"name":"question","type":3,"value":{"x":1}}]}}`,
		`{"id":"1","type":3,"token":"t","data":null}`,
		`{"id":"1","type":5,"token":"t","data":{"custom_id":"m","components":[]}}`,
	} {
		f.Add([]byte(s))
	}
	h := &fakeHandler{}
	a, err := New(Options{Handler: h, PublicKey: rfcPub, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		i, err := ParseInteraction(body)
		if err != nil {
			return
		}
		resp, _ := a.interact(i) // the work is not run: it would call Discord
		if resp == nil {
			t.Fatalf("interact(%s) = nil response", body)
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Fatalf("response does not marshal: %v", err)
		}
	})
}

// Gateway payloads: decoding and filtering never panic, and nothing is
// answered by a closed adapter.
func FuzzMessageCreate(f *testing.F) {
	f.Add([]byte(messageJSON("M1", "G1", "C1", "U1", false, "<@BOT1> hi", "BOT1")))
	f.Add([]byte(`{"id":"1","author":null,"content":"x"}`))
	f.Add([]byte(`{"id":"1","type":19,"author":{"id":"U"},"content":"<@!BOT1>   "}`))
	h := &fakeHandler{}
	a, err := New(Options{Handler: h, BotToken: "t", Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	a.setBotID("BOT1")
	if err := a.Shutdown(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m discordgo.Message
		if json.Unmarshal(body, &m) != nil {
			return
		}
		a.onMessage(&m)
		_ = PlainText(m.Content, "BOT1")
	})
}

func FuzzParseCustomID(f *testing.F) {
	f.Add("sb:up:G1:C1::U1")
	f.Add("sb:hu:1:2:3:4")
	f.Add("sb:dn::::")
	f.Fuzz(func(t *testing.T, id string) {
		act, addr, ok := parseCustomID(id)
		if !ok {
			return
		}
		if got := customID(act, addr); got != id {
			t.Fatalf("customID(parseCustomID(%q)) = %q", id, got)
		}
	})
}

func FuzzMarkdown(f *testing.F) {
	f.Add("#### Title\n**bold** [x](https://y.test)\n```\n# code\n```")
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if strings.Contains(out, "\x00") {
			t.Fatalf("Markdown(%q) kept a NUL", s)
		}
		if strings.Count(out, "```") != strings.Count(strings.ReplaceAll(s, "\x00", ""), "```") {
			t.Fatalf("Markdown(%q) changed the fences: %q", s, out)
		}
	})
}

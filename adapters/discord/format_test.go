package discord

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

func TestMarkdown(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello **there**.", "Hello **there**."},
		{"h2 kept", "## Delivery ##\ntext", "## Delivery\ntext"},
		{"h4 becomes bold", "#### Small print\ntext", "**Small print**\ntext"},
		{"heading inside code kept", "```\n#### not a heading\n```", "```\n#### not a heading\n```"},
		{"nul removed", "a\x00b", "ab"},
		{"crlf", "a\r\nb", "a\nb"},
		{"trimmed", "\n\n  hi  \n", "hi"},
		{"link kept", "See [Returns](https://x.test/r).", "See [Returns](https://x.test/r)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Markdown(tt.in); got != tt.want {
				t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCitations(t *testing.T) {
	tests := []struct {
		name string
		in   []knowledge.Citation
		want string
	}{
		{"none", nil, ""},
		{"url", []knowledge.Citation{{Title: "Returns", Source: "returns.md", URL: "https://help.example.com/returns"}},
			"**Sources:** [Returns](https://help.example.com/returns)"},
		{"source only", []knowledge.Citation{{Title: "Returns", Source: "returns.md#refunds"}},
			"**Sources:** Returns — `returns.md#refunds`"},
		{"source is a url", []knowledge.Citation{{Title: "Status", Source: "https://status.example.com"}},
			"**Sources:** [Status](https://status.example.com)"},
		{"brackets and parens escaped", []knowledge.Citation{{Title: "Fees [2026]", URL: "https://x.test/a (b)"}},
			"**Sources:** [Fees (2026)](https://x.test/a%20%28b%29)"},
		{"duplicates dropped", []knowledge.Citation{{Title: "A", Source: "a.md"}, {Title: "A", Source: "a.md"}, {Title: "B", Source: "B"}},
			"**Sources:** A — `a.md` · B"},
		{"empty skipped", []knowledge.Citation{{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Citations(tt.in); got != tt.want {
				t.Errorf("Citations(%+v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	sentence := "This sentence is exactly fifty characters long ok. " // 51 with the space
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"empty", "", 100, nil},
		{"blank", " \n\n ", 100, nil},
		{"fits", "short", 100, []string{"short"}},
		{"paragraphs", "first paragraph here.\n\nsecond paragraph.", 32, []string{"first paragraph here.", "second paragraph."}},
		{"sentences", strings.Repeat(sentence, 3), 110, []string{strings.TrimSpace(strings.Repeat(sentence, 2)), strings.TrimSpace(sentence)}},
		{"question and exclamation", "Is it late? Yes it is! Go home now.", 32, []string{"Is it late? Yes it is!", "Go home now."}},
		{"words", "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii", 32, []string{"aaaa bbbb cccc dddd eeee ffff", "gggg hhhh iiii"}},
		{"no spaces", strings.Repeat("x", 70), 32, []string{strings.Repeat("x", 32), strings.Repeat("x", 32), strings.Repeat("x", 6)}},
		{"link kept whole", "Read the guide at [Returns and refunds](https://x.test/r) today", 50,
			[]string{"Read the guide at", "[Returns and refunds](https://x.test/r) today"}},
		{"code fence reopened", "```go\n" + strings.Repeat("line of code\n", 6) + "```", 60,
			[]string{"```go\nline of code\nline of code\nline of code\n```", "```go\nline of code\nline of code\nline of code\n```"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.in, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%q, %d) (-want +got):\n%s", tt.in, tt.max, diff)
			}
			for i, p := range got {
				if chars(p) > tt.max {
					t.Errorf("piece %d has %d chars, want <= %d", i, chars(p), tt.max)
				}
			}
		})
	}
}

// Discord counts UTF-16 units: an emoji is two.
func TestSplitCountsUTF16(t *testing.T) {
	in := strings.Repeat("😀", 40)
	got := Split(in, 32)
	for i, p := range got {
		if n := chars(p); n > 32 {
			t.Errorf("piece %d has %d UTF-16 units, want <= 32", i, n)
		}
	}
	if strings.Join(got, "") != in {
		t.Errorf("pieces do not join back to the input")
	}
	if chars("😀a") != 3 {
		t.Errorf("chars(😀a) = %d, want 3", chars("😀a"))
	}
}

func TestRender(t *testing.T) {
	r := conversation.Reply{Text: "#### Answer\nYes.", Citations: []knowledge.Citation{{Title: "FAQ", Source: "faq.md"}}}
	got := Render(r, "https://help.example.com/")
	want := []string{"**Answer**\nYes.\n\n**Sources:** [FAQ](https://help.example.com/faq.md)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, bot, want string }{
		{"mention stripped", "<@123> hi there", "123", "hi there"},
		{"nick mention stripped", "hey <@!123>, help", "123", "hey , help"},
		{"other mention kept", "<@456> says hi <@123>", "123", "<@456> says hi"},
		{"role with same id kept", "<@&123> hi", "123", "<@&123> hi"},
		{"whitespace collapsed", "  a   b \n  c  ", "1", "a b\nc"},
		{"only a mention", "<@123>", "123", ""},
		{"unknown bot id", "<@123> hi", "", "<@123> hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in, tt.bot); got != tt.want {
				t.Errorf("PlainText(%q, %q) = %q, want %q", tt.in, tt.bot, got, tt.want)
			}
		})
	}
}

func TestCustomID(t *testing.T) {
	addrs := []conversation.Address{
		{Platform: "discord", Tenant: "12345678901234567890", Channel: "12345678901234567891", Thread: "12345678901234567892", User: "12345678901234567893"},
		{Platform: "discord", Channel: "1", User: "2"},
	}
	for _, a := range addrs {
		for _, act := range []string{actionHelpful, actionUnhelpful, actionHuman} {
			id := customID(act, a)
			if len(id) > 100 {
				t.Errorf("customID(%s, %+v) is %d chars, want <= 100", act, a, len(id))
			}
			gotAct, gotAddr, ok := parseCustomID(id)
			if !ok || gotAct != act || gotAddr != a {
				t.Errorf("parseCustomID(%q) = %q, %+v, %t; want %q, %+v, true", id, gotAct, gotAddr, ok, act, a)
			}
		}
	}
	for _, bad := range []string{"", "sb:up", "sb:xx:1:2:3:4", "zz:up:1:2:3:4", "sb:up:1::3:4", "sb:up:1:2:3:4:5", "sb:up:1:2:3:4\n", "sb:up:1:" + strings.Repeat("9", 21) + ":3:4"} {
		if _, _, ok := parseCustomID(bad); ok {
			t.Errorf("parseCustomID(%q) ok, want refused", bad)
		}
	}
}

func TestRewritePath(t *testing.T) {
	tests := []struct{ base, want string }{
		{"", "/api/v9/channels/1/messages"},
		{"/", "/api/v9/channels/1/messages"},
		{"/api", "/api/v9/channels/1/messages"},
		{"/api/v10/", "/api/v10/channels/1/messages"},
		{"/proxy/discord", "/proxy/discord/api/v9/channels/1/messages"},
	}
	for _, tt := range tests {
		if got := rewritePath(tt.base, "/api/v9/channels/1/messages"); got != tt.want {
			t.Errorf("rewritePath(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
	for _, bad := range []string{"discord.test", "ftp://x", "http://", "://"} {
		if _, err := ParseAPIURL(bad); err == nil {
			t.Errorf("ParseAPIURL(%q) = nil error, want one", bad)
		}
	}
}

func TestEnabledAndNew(t *testing.T) {
	h := &fakeHandler{}
	tests := []struct {
		name    string
		o       Options
		wantErr bool
	}{
		{"gateway only", Options{Handler: h, BotToken: "t"}, false},
		{"interactions only", Options{Handler: h, PublicKey: rfcPub}, false},
		{"nothing", Options{Handler: h}, true},
		{"no handler", Options{BotToken: "t"}, true},
		{"bad key", Options{Handler: h, PublicKey: "abc"}, true},
		{"bad api url", Options{Handler: h, BotToken: "t", APIURL: "nope"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.o)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("New() = %v, want error %t", err, tt.wantErr)
			}
			if a != nil && a.Name() != "discord" {
				t.Errorf("Name() = %q, want discord", a.Name())
			}
		})
	}
}

// TestRenderLinks: the words a reply quotes from a link become a masked
// link, a link to another article resolved against the citation base.
func TestRenderLinks(t *testing.T) {
	r := conversation.Reply{Text: "Check the status page, then see Rate limits, or email us.",
		Links: []knowledge.Link{{Text: "status page", URL: "https://status.example.com/?q=a>b"}, {Text: "Rate limits", Source: "rate-limits.md"},
			{Text: "email us", URL: "mailto:help@example.com"}}}
	got := Render(r, "https://help.example.com/")
	want := []string{"Check the [status page](<https://status.example.com/?q=a%3Eb>), then see [Rate limits](<https://help.example.com/rate-limits.md>), or email us."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}
}

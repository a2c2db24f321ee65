package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

func TestMrkdwn(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bold", "Refunds take **5 days**.", "Refunds take *5 days*."},
		{"underscore bold", "It is __free__.", "It is *free*."},
		{"italic", "This is *important* now", "This is _important_ now"},
		{"bold and italic", "**a** and *b*", "*a* and _b_"},
		{"strike", "~~old~~ new", "~old~ new"},
		{"link", "See [the refund policy](https://help.example.com/refunds?a=1&b=2).", "See <https://help.example.com/refunds?a=1&b=2|the refund policy>."},
		{"link label with a pipe", "[a|b](https://x.example)", "<https://x.example|a/b>"},
		{"not a web link", "[click](javascript:alert(1))", "[click](javascript:alert(1))"},
		{"escapes", "1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2"},
		{"no injected mentions", "<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;"},
		{"heading", "## Returns\nText", "*Returns*\nText"},
		{"bullets", "* one\n- two\n  * three", "• one\n• two\n  • three"},
		{"code span untouched", "Run `a **b** c` now", "Run `a **b** c` now"},
		{"code block untouched", "```\n**x** <y>\n```\n**z**", "```\n**x** &lt;y&gt;\n```\n*z*"},
		{"unclosed fence", "```\n**x**", "```\n**x**"},
		{"lone backtick", "it`s **ok**", "it`s *ok*"},
		{"multiplication is not italic", "2 * 3 * 4", "2 * 3 * 4"},
		{"NUL removed", "a\x00b", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mrkdwn(tt.in); got != tt.want {
				t.Errorf("Mrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
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
		{"url", []knowledge.Citation{{Title: "Refunds", Source: "refunds.md", URL: "https://help.example.com/refunds"}},
			"*Sources:* <https://help.example.com/refunds|Refunds>"},
		{"source is a url", []knowledge.Citation{{Title: "Refunds", Source: "https://help.example.com/r"}},
			"*Sources:* <https://help.example.com/r|Refunds>"},
		{"title and source", []knowledge.Citation{{Title: "Refunds & returns", Source: "billing/refunds.md#how-long"}},
			"*Sources:* Refunds &amp; returns (`billing/refunds.md#how-long`)"},
		{"duplicates dropped", []knowledge.Citation{{Title: "A", Source: "a.md"}, {Title: "A", Source: "a.md"}, {Title: "B", Source: "b.md"}},
			"*Sources:* A (`a.md`) · B (`b.md`)"},
		{"relative url is not a link", []knowledge.Citation{{Title: "A", Source: "a.md", URL: "/articles/a.md"}},
			"*Sources:* A (`a.md`)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Citations(tt.in); got != tt.want {
				t.Errorf("Citations() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, in, bot, want string
	}{
		{"mention stripped", "<@UBOT> is it everything a river should be?", "UBOT", "is it everything a river should be?"},
		{"mention in the middle", "hey <@UBOT> refunds?", "UBOT", "hey refunds?"},
		{"leading mention, bot unknown", "<@U0LAN0Z89> hello", "", "hello"},
		{"other user", "<@UBOT> ask <@U2|anna>", "UBOT", "ask @anna"},
		{"channel", "<@UBOT> see <#C1|general>", "UBOT", "see #general"},
		{"link with label", "<@UBOT> <https://x.example|this page>", "UBOT", "this page"},
		{"bare link", "<https://x.example/a?b=1&amp;c=2>", "UBOT", "https://x.example/a?b=1&c=2"},
		{"special mention", "<!here> help", "UBOT", "@here help"},
		{"entities", "a &lt;b&gt; &amp; c", "UBOT", "a <b> & c"},
		{"lines kept", "<@UBOT> one\n\ntwo  three", "UBOT", "one\n\ntwo three"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in, tt.bot); got != tt.want {
				t.Errorf("PlainText(%q, %q) = %q, want %q", tt.in, tt.bot, got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	words := strings.Repeat("word ", 2000)
	tests := []struct {
		name string
		in   string
		max  int
		want []string // nil: only check the invariants
	}{
		{"short", "hello", 100, []string{"hello"}},
		{"paragraphs", "aaaa aaaa\n\nbbbb bbbb", 12, []string{"aaaa aaaa", "bbbb bbbb"}},
		{"link kept whole", "see the page at <https://example.com/a/very/long/path|the page> now", 60, nil},
		{"long text", words, 300, nil},
		{"fence reopened", "```\n" + strings.Repeat("code line\n", 100) + "```", 200, nil},
		{"no spaces", strings.Repeat("x", 1000), 100, nil},
		{"multibyte", strings.Repeat("é", 1000), 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.in, tt.max)
			if tt.want != nil && strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Split() = %q, want %q", got, tt.want)
			}
			checkSplit(t, tt.in, tt.max, got)
		})
	}
}

// checkSplit checks Split's invariants: pieces within max, valid UTF-8,
// every link whole, fences balanced, and no text lost.
func checkSplit(t *testing.T, in string, max int, got []string) {
	t.Helper()
	var joined strings.Builder
	for i, p := range got {
		if n := utf8.RuneCountInString(p); n > max {
			t.Errorf("piece %d has %d characters, want ≤ %d", i, n, max)
		}
		if !utf8.ValidString(p) {
			t.Errorf("piece %d is not valid UTF-8", i)
		}
		if strings.Count(p, "<") != strings.Count(p, ">") {
			t.Errorf("piece %d cuts a link: %q", i, p)
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("piece %d has unbalanced fences: %q", i, p)
		}
		joined.WriteString(strings.ReplaceAll(p, "```", ""))
	}
	strip := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "```", "")), "") }
	if strip(joined.String()) != strip(in) {
		t.Errorf("Split lost or changed text")
	}
}

// TestRenderLinks: the words a reply quotes from a link become a Slack
// link, escaped as mrkdwn; one to another article needs the citation base.
func TestRenderLinks(t *testing.T) {
	a, _ := newTestAdapter(t, newFakeSlack(t), Options{Handler: replyWith("x"), CitationBaseURL: "https://help.example.com/articles/"})
	r := conversation.Reply{Text: "Check the status <page> for incidents; see Rate limits, or email us.", Handoff: true,
		Links: []knowledge.Link{{Text: "status <page>", URL: "https://status.example.com"}, {Text: "Rate limits", Source: "rate-limits.md"},
			{Text: "email us", URL: "mailto:help@example.com"}}}
	got := a.render(r, "Ev1")[0].text
	want := "Check the <https://status.example.com|status &lt;page&gt;> for incidents; see <https://help.example.com/articles/rate-limits.md|Rate limits>, or <mailto:help@example.com|email us>."
	if got != want {
		t.Errorf("render = %q\nwant     %q", got, want)
	}
}

package slack

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/adapters/internal/citelink"
	"github.com/switchboard/switchboard/knowledge"
)

// Slack's limits on what one message may carry.
const (
	// MaxSectionChars keeps a section block's text under Slack's 3,000
	// characters, with room for a closing code fence.
	MaxSectionChars = 2900
	// MaxSectionsPerMessage bounds the answer's sections in one message, so
	// the notification text (all of them) stays under Slack's 40,000
	// characters and the blocks well under 50.
	MaxSectionsPerMessage = 12
	// maxContextChars is a context block element's limit.
	maxContextChars = 2900
	// maxPreviewChars bounds the streamed preview of a "thinking" message.
	maxPreviewChars = MaxSectionChars
)

var (
	mdLink      = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^\s)]+)\)`)
	mdBold      = regexp.MustCompile(`\*\*([^*\n]+?)\*\*|__([^_\n]+?)__`)
	mdItalic    = regexp.MustCompile(`(^|[^*\w])\*([^*\s][^*\n]*?)\*($|[^*\w])`)
	mdStrike    = regexp.MustCompile(`~~([^~\n]+?)~~`)
	mdHeading   = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
	mdBullet    = regexp.MustCompile(`(?m)^([ \t]*)[*-][ \t]+`)
	placeholder = regexp.MustCompile("\x00([0-9]+)\x00")
)

// Mrkdwn converts Markdown as a model writes it into Slack mrkdwn:
// **bold** and __bold__ become *bold*, *italic* becomes _italic_,
// ~~strike~~ ~strike~, headings bold lines, "* " and "- " bullets "• ",
// [title](url) <url|title>; &, < and > are escaped. Code spans and fenced
// blocks are left as they are (only escaped).
func Mrkdwn(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	var b strings.Builder
	for i, seg := range splitCode(s) {
		if i%2 == 1 { // code: Slack renders ` and ``` itself
			b.WriteString(escape(seg))
			continue
		}
		b.WriteString(convertProse(seg))
	}
	return b.String()
}

// splitCode splits s into prose and code, alternating, prose first: code
// is a ``` fenced block or a `span` (with its backticks). An unclosed
// fence runs to the end.
func splitCode(s string) []string {
	var out []string
	for s != "" {
		fence, span := strings.Index(s, "```"), strings.IndexByte(s, '`')
		if span < 0 {
			break
		}
		var end int
		if fence == span {
			if e := strings.Index(s[fence+3:], "```"); e >= 0 {
				end = fence + 3 + e + 3
			} else {
				end = len(s)
			}
		} else if e := strings.IndexByte(s[span+1:], '`'); e >= 0 && !strings.Contains(s[span+1:span+1+e], "\n") {
			end = span + 1 + e + 1
		} else {
			// A lone backtick: prose up to and including it.
			out = appendProse(out, s[:span+1])
			s = s[span+1:]
			continue
		}
		out = appendProse(out, s[:span])
		out = append(out, s[span:end])
		s = s[end:]
	}
	return appendProse(out, s)
}

// appendProse appends prose to out, joining it with a preceding prose
// element so that prose and code keep alternating.
func appendProse(out []string, prose string) []string {
	if len(out)%2 == 1 {
		out[len(out)-1] += prose
		return out
	}
	return append(out, prose)
}

func convertProse(s string) string {
	var links []string
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		links = append(links, Link(sub[2], sub[1]))
		return "\x00" + strconv.Itoa(len(links)-1) + "\x00"
	})
	s = escape(s)
	s = mdHeading.ReplaceAllString(s, "\x01$1\x01")
	s = mdBold.ReplaceAllString(s, "\x01$1$2\x01")
	s = mdBullet.ReplaceAllString(s, "$1• ")
	s = mdItalic.ReplaceAllString(s, "${1}_${2}_$3")
	s = mdStrike.ReplaceAllString(s, "~$1~")
	s = strings.ReplaceAll(s, "\x01", "*")
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.Atoi(strings.Trim(m, "\x00"))
		if err != nil || n >= len(links) {
			return ""
		}
		return links[n]
	})
}

// escape escapes the three characters Slack reserves for its markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Link is a Slack link to href labelled title (<href|title>), or the
// escaped title alone when href is not an http(s) or mailto URL.
func Link(href, title string) string {
	title = strings.TrimSpace(strings.NewReplacer("|", "/", "\n", " ").Replace(title))
	if !strings.HasPrefix(href, "https://") && !strings.HasPrefix(href, "http://") && !strings.HasPrefix(href, "mailto:") {
		return escape(title)
	}
	href = strings.NewReplacer("<", "%3C", ">", "%3E", "|", "%7C", " ", "%20", "\n", "").Replace(href)
	if title == "" {
		return "<" + href + ">"
	}
	return "<" + href + "|" + escape(title) + ">"
}

// Citations renders citations as one mrkdwn line: each a link when its
// URL (or its source) is an http(s) URL, else its title and source;
// duplicates are dropped. It is empty for no citations.
func Citations(cs []knowledge.Citation) string {
	var items []string
	for _, r := range citelink.Refs(cs) {
		switch {
		case r.Link != "":
			items = append(items, Link(r.Link, r.Label))
		case r.Source != "" && r.Source != r.Label:
			items = append(items, escape(r.Label)+" (`"+strings.ReplaceAll(escape(r.Source), "`", "'")+"`)")
		default:
			items = append(items, escape(r.Label))
		}
	}
	if len(items) == 0 {
		return ""
	}
	return cutRunes("*Sources:* "+strings.Join(items, " · "), maxContextChars)
}

// Split cuts s into pieces of at most max characters, preferring to cut
// between paragraphs, then lines, then words, and never inside a <link>.
// A ``` block cut in two is closed and reopened, so each piece renders.
func Split(s string, max int) []string {
	if max < 16 {
		max = 16
	}
	var out []string
	inFence := false
	for {
		s = strings.TrimLeft(s, "\n")
		if s == "" {
			return out
		}
		prefix := ""
		if inFence {
			prefix = "```\n"
		}
		budget := max - len([]rune(prefix)) - 4 // room for a closing fence
		if utf8.RuneCountInString(s) <= budget {
			piece := prefix + s
			out = append(out, piece)
			return out
		}
		cut := cutPoint(s, budget)
		piece := prefix + strings.TrimRight(s[:cut], " \n")
		s = s[cut:]
		if strings.Count(piece, "```")%2 == 1 {
			piece += "\n```"
			inFence = true
		} else {
			inFence = false
		}
		out = append(out, piece)
	}
}

// cutPoint returns a byte offset in s, after at most n runes, where s is
// best cut.
func cutPoint(s string, n int) int {
	limit := 0
	for i := range s {
		if n == 0 {
			limit = i
			break
		}
		n--
	}
	head := s[:limit]
	// Never inside a <…> link or entity.
	if lt := strings.LastIndexByte(head, '<'); lt > strings.LastIndexByte(head, '>') && lt > 0 {
		head = head[:lt]
	}
	if amp := strings.LastIndexByte(head, '&'); amp >= 0 && amp > len(head)-6 && !strings.Contains(head[amp:], ";") && amp > 0 {
		head = head[:amp]
	}
	for _, sep := range []string{"\n\n", "\n", ". ", " "} {
		if i := strings.LastIndex(head, sep); i > len(head)/2 {
			return i + len(sep)
		}
	}
	if head == "" {
		return limit
	}
	return len(head)
}

// cutRunes returns s cut to at most n runes, with "…" when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// mentionRE matches Slack's inbound markup: <@U123>, <@U123|name>,
// <#C123|name>, <!here>, <url|label> and <url>.
var mentionRE = regexp.MustCompile(`<([@#!]?)([^<>|\s]*)(?:\|([^<>]*))?>`)

// PlainText turns the text of a Slack message into what the user meant:
// mentions of botUser are removed (and, when botUser is empty, a leading
// mention), other user and channel mentions become @name / #name, links
// their label or URL, and &amp; &lt; &gt; are unescaped.
func PlainText(s, botUser string) string {
	s = strings.TrimSpace(s)
	if botUser == "" {
		if m := mentionRE.FindStringSubmatchIndex(s); m != nil && m[0] == 0 && s[m[2]:m[3]] == "@" {
			s = s[m[1]:]
		}
	}
	s = mentionRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		kind, id, label := sub[1], sub[2], sub[3]
		switch kind {
		case "@":
			if id == botUser {
				return ""
			}
			if label != "" {
				return "@" + label
			}
			return "@" + id
		case "#":
			if label != "" {
				return "#" + label
			}
			return "#" + id
		case "!":
			if label != "" {
				return label
			}
			return "@" + strings.SplitN(id, "^", 2)[0]
		}
		if label != "" {
			return label
		}
		return id
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

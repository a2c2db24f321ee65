package discord

import (
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard/switchboard/adapters/internal/citelink"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// MaxMessageChars is Discord's limit on a message's content. Discord
// counts UTF-16 code units, so that is what Split counts too.
const MaxMessageChars = 2000

var (
	mdDeepHeading = regexp.MustCompile(`(?m)^#{4,6}[ \t]+(.+?)[ \t#]*$`)
	mdHeading     = regexp.MustCompile(`(?m)^(#{1,3})[ \t]+(.+?)[ \t#]*$`)
	mentionMarkup = regexp.MustCompile(`<@[!&]?[0-9A-Za-z]+>`)
)

// Markdown turns Markdown as a model writes it into Discord markdown,
// which already understands **bold**, *italic*, ~~strike~~, lists, code,
// [masked](https://links) and headings up to ###: deeper headings become
// bold lines, trailing #s of headings are dropped, NULs are removed and
// surrounding blank space is trimmed. Mentions in the text stay text, as
// replies are sent with no allowed mentions.
func Markdown(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for i, seg := range splitFences(s) {
		if i%2 == 1 {
			b.WriteString(seg)
			continue
		}
		seg = mdDeepHeading.ReplaceAllString(seg, "**$1**")
		seg = mdHeading.ReplaceAllString(seg, "$1 $2")
		b.WriteString(seg)
	}
	return strings.TrimSpace(b.String())
}

// splitFences splits s into prose and ``` fenced code, alternating, prose
// first. An unclosed fence runs to the end.
func splitFences(s string) []string {
	var out []string
	for {
		start := strings.Index(s, "```")
		if start < 0 {
			return append(out, s)
		}
		end := len(s)
		if e := strings.Index(s[start+3:], "```"); e >= 0 {
			end = start + 3 + e + 3
		}
		out = append(out, s[:start], s[start:end])
		s = s[end:]
	}
}

// Citations renders citations as one markdown line: a masked link
// ([title](url)) when the citation's URL or source is an http(s) URL,
// else "title — source"; duplicates are dropped. It is empty for none.
func Citations(cs []knowledge.Citation) string {
	var items []string
	for _, r := range citelink.Refs(cs) {
		title := linkText(r.Label)
		switch {
		case r.Link != "":
			link := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "\n", "", ">", "%3E").Replace(r.Link)
			items = append(items, "["+title+"]("+link+")")
		case r.Source != "" && r.Source != r.Title:
			items = append(items, title+" — `"+strings.NewReplacer("`", "'", "\n", " ").Replace(r.Source)+"`")
		default:
			items = append(items, title)
		}
	}
	if len(items) == 0 {
		return ""
	}
	return "**Sources:** " + strings.Join(items, " · ")
}

// linkText makes s safe as the text of a masked link: one line, no
// brackets.
func linkText(s string) string {
	s = strings.NewReplacer("[", "(", "]", ")", "\n", " ", "\x00", "").Replace(s)
	return strings.TrimSpace(s)
}

// Render returns the messages that carry r: its text as Discord markdown
// and its citations, split under MaxMessageChars.
func Render(r conversation.Reply, citationBase string) []string {
	text := citelink.LinkWords(Markdown(r.Text), citelink.ResolveLinks(r.Links, citationBase), func(l knowledge.Link) (string, string) {
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			return "", "" // a masked link is a web page's
		}
		return l.Text, "[" + linkText(l.Text) + "](<" + strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(l.URL) + ">)"
	})
	if cites := Citations(citelink.Resolve(r.Citations, citationBase)); cites != "" {
		text += "\n\n" + cites
	}
	return Split(text, MaxMessageChars)
}

// chars is the length of s as Discord counts it (UTF-16 code units).
func chars(s string) int {
	n := 0
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD: one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// Split cuts s into pieces of at most max characters (UTF-16 code units,
// as Discord counts), cutting between paragraphs, else lines, else
// sentences, else words, never inside a [masked](link), and only where
// nothing else fits inside a word. A ``` block cut in two is closed and
// reopened, so every piece renders. Pieces have no surrounding blank
// lines; an empty s gives no pieces. Invalid UTF-8 becomes U+FFFD.
func Split(s string, max int) []string {
	if max < 32 {
		max = 32
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var out []string
	fence := "" // the open fence line carried into the next piece
	for {
		s = strings.Trim(s, "\n")
		if strings.TrimSpace(s) == "" {
			return out
		}
		prefix := ""
		if fence != "" {
			prefix = fence + "\n"
		}
		budget := max - chars(prefix)
		if chars(s) <= budget {
			return append(out, prefix+strings.TrimRight(s, " \t\n"))
		}
		cut := cutPoint(s, budget)
		piece := prefix + strings.TrimRight(s[:cut], " \t\n")
		open := openFence(piece)
		if open != "" && chars(piece)+4 > max {
			// Make room for the closing "\n```".
			cut = cutPoint(s, budget-4)
			piece = prefix + strings.TrimRight(s[:cut], " \t\n")
			open = openFence(piece)
		}
		s = s[cut:]
		if open != "" {
			piece += "\n```"
		}
		fence = open
		if strings.TrimSpace(piece) == "" {
			continue // only blank space before the cut
		}
		out = append(out, piece)
	}
}

// openFence returns the opening line of the last ``` fence that piece
// leaves open ("```go"), or "" when every fence is closed.
func openFence(piece string) string {
	open := ""
	for _, line := range strings.Split(piece, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "```") {
			continue
		}
		if open == "" {
			open = "```" + fenceLang(t[3:])
		} else {
			open = ""
		}
	}
	return open
}

// fenceLang returns the language tag of a fence line's rest, if it is a
// short one.
func fenceLang(rest string) string {
	f := strings.Fields(rest)
	if len(f) == 0 || len(f[0]) > 16 {
		return ""
	}
	return f[0]
}

// sentenceEnd matches the space after the end of a sentence.
var sentenceEnd = regexp.MustCompile(`[.!?…]["')\]]*[ \t]+`)

// cutPoint returns a byte offset in s, after at most n characters, where
// s is best cut. It is always greater than zero.
func cutPoint(s string, n int) int {
	limit, used := len(s), 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if used+w > n {
			limit = i
			break
		}
		used += w
	}
	if limit == 0 { // n too small for the first rune: take it anyway
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	head := s[:limit]
	// Never inside a masked link: back up to its "[".
	if lb := strings.LastIndexByte(head, '['); lb > len(head)/4 && lb > strings.LastIndexByte(head, ')') {
		head = head[:lb]
	}
	min := len(head) / 3
	for _, sep := range []string{"\n\n", "\n"} {
		if i := strings.LastIndex(head, sep); i > min {
			return i + len(sep)
		}
	}
	if locs := sentenceEnd.FindAllStringIndex(head, -1); len(locs) > 0 {
		if end := locs[len(locs)-1][1]; end > min {
			return end
		}
	}
	if i := strings.LastIndexAny(head, " \t"); i > min {
		return i + 1
	}
	return len(head)
}

// Button custom ids: "sb:<action>:<guild>:<channel>:<thread>:<user>", the
// address of the session the reply belongs to (at most 5+4*20+4 = 89 of
// Discord's 100 characters).
const (
	actionHelpful   = "up"
	actionUnhelpful = "dn"
	actionHuman     = "hu"
	actionRelease   = "rel" // a web visitor's notice in the agents' channel: "sb:rel:<session>"
	customIDPrefix  = "sb"
)

// maxIDLen bounds a snowflake in a custom id (they have at most 20 digits).
const maxIDLen = 20

// customID encodes action and the session address a into a button's
// custom id.
func customID(action string, a conversation.Address) string {
	return strings.Join([]string{customIDPrefix, action, a.Tenant, a.Channel, a.Thread, a.User}, ":")
}

// parseCustomID decodes a custom id made by customID. ok is false for
// anything else.
func parseCustomID(id string) (action string, a conversation.Address, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 6 || parts[0] != customIDPrefix {
		return "", a, false
	}
	switch parts[1] {
	case actionHelpful, actionUnhelpful, actionHuman:
	default:
		return "", a, false
	}
	for _, p := range parts[2:] {
		if !snowflake(p) {
			return "", a, false
		}
	}
	if parts[3] == "" {
		return "", a, false
	}
	return parts[1], conversation.Address{Platform: Platform, Tenant: parts[2], Channel: parts[3], Thread: parts[4], User: parts[5]}, true
}

// snowflake reports whether s is empty or could be a Discord id: at
// most maxIDLen ASCII letters and digits (real ids are digits).
func snowflake(s string) bool {
	if len(s) > maxIDLen {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// buttons returns the reply buttons for the session at a: feedback and
// "Talk to a human". (A handoff reply gets none.)
func buttons(a conversation.Address) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Helpful", Style: discordgo.SecondaryButton, CustomID: customID(actionHelpful, a), Emoji: &discordgo.ComponentEmoji{Name: "👍"}},
		discordgo.Button{Label: "Not helpful", Style: discordgo.SecondaryButton, CustomID: customID(actionUnhelpful, a), Emoji: &discordgo.ComponentEmoji{Name: "👎"}},
		discordgo.Button{Label: "Talk to a human", Style: discordgo.PrimaryButton, CustomID: customID(actionHuman, a)},
	}}}
}

// PlainText turns the content of a Discord message into what the user
// meant: mentions of botID (<@id>, <@!id>) are removed, whitespace within
// lines collapsed, and the result trimmed.
func PlainText(content, botID string) string {
	content = mentionMarkup.ReplaceAllStringFunc(content, func(m string) string {
		id := strings.TrimLeft(m[2:len(m)-1], "!&")
		if botID != "" && id == botID && !strings.HasPrefix(m, "<@&") {
			return ""
		}
		return m
	})
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// noMentions allows no pings at all in a reply.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// cut returns s cut to at most n characters, with "…" when cut.
func cut(s string, n int) string {
	if chars(s) <= n {
		return s
	}
	return strings.TrimSpace(s[:cutPoint(s, n-1)]) + "…"
}

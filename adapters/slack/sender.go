package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/citelink"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// Texts the adapter writes itself.
const (
	thinkingText = "_Thinking…_"
	errorText    = "Sorry, something went wrong on my side and I couldn't answer. Please try again in a moment."
)

// Action ids of the reply buttons.
const (
	actionHelpful   = "sb_helpful"
	actionUnhelpful = "sb_unhelpful"
	actionHuman     = "sb_human"
)

// A sender delivers the reply to one Slack message. It implements
// conversation.Sender and conversation.Streamer. Its mutex serialises the
// operations on that one reply's messages (the thinking message must
// exist before it is edited); it is never shared between messages.
type sender struct {
	a            *Adapter
	ctx          context.Context // the reply's context, for the thinking timer
	msg          conversation.Message
	note         string      // summary for the agents when the Handler keeps no history
	stopThinking func() bool // cancels the thinking timer; nil when none is planned
	start        time.Time   // when the reply began

	mu       sync.Mutex
	ts       string          // guarded by mu: the thinking or streaming message, "" until posted
	streamed strings.Builder // guarded by mu: the deltas so far
	lastEdit time.Time       // guarded by mu: when ts was last posted or updated
	broken   bool            // guarded by mu: the preview failed; stop showing it
	done     bool            // guarded by mu: the reply (or an error notice) was sent
}

var (
	_ conversation.Sender   = (*sender)(nil)
	_ conversation.Streamer = (*sender)(nil)
)

// newSender returns the sender for m. When early, a thinking message is
// posted if no reply has come after ThinkingDelay; the adapter's Shutdown
// waits for the timer until it fires or stopTimer cancels it.
func (a *Adapter) newSender(ctx context.Context, m conversation.Message, early bool) *sender {
	s := &sender{a: a, ctx: ctx, msg: m, start: a.opts.Clock()}
	if early && a.opts.ThinkingDelay > 0 {
		s.stopThinking = a.work.AfterFunc(a.opts.ThinkingDelay, s.thinking)
	}
	return s
}

// stopTimer cancels the thinking timer if it has not fired.
func (s *sender) stopTimer() {
	if s.stopThinking != nil {
		s.stopThinking()
	}
}

// thinking posts the thinking message (with what has streamed so far)
// unless the reply came first.
func (s *sender) thinking() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.broken || s.ts != "" {
		return
	}
	s.showLocked(s.ctx, s.previewLocked())
}

// previewLocked is the preview of the reply so far: the streamed text
// with a trailing ellipsis, or the thinking text. s.mu must be held.
func (s *sender) previewLocked() string {
	// The first piece of a split never cuts a link, entity or code block.
	if p := Split(Mrkdwn(s.streamed.String()), maxPreviewChars); len(p) > 0 {
		return strings.TrimRight(p[0], " \n") + " …"
	}
	return thinkingText
}

// showLocked posts or updates the preview message with text; a failure
// stops the preview for this reply. s.mu must be held.
func (s *sender) showLocked(ctx context.Context, text string) {
	a := s.msg.Address
	var err error
	if s.ts == "" {
		// The preview becomes the reply's first part: it carries its metadata.
		s.ts, err = s.a.post(ctx, a.Channel, a.Thread, s.msg.ID, 0, part{text: text})
	} else {
		err = s.a.update(ctx, a.Channel, s.ts, part{text: text})
	}
	if err != nil {
		s.broken = true
		return
	}
	s.lastEdit = s.a.opts.Clock()
}

// Delta shows the reply so far: once the reply has taken ThinkingDelay
// (at once when that is negative) the preview message is posted, then
// updated at most once per UpdateInterval. A fast reply is thus one
// message, never a preview and an edit. A failing preview never fails the
// reply: Delta always returns nil.
func (s *sender) Delta(ctx context.Context, _ conversation.Address, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.broken {
		return nil
	}
	s.streamed.WriteString(text)
	now := s.a.opts.Clock()
	if s.ts == "" && s.a.opts.ThinkingDelay > 0 && now.Sub(s.start) < s.a.opts.ThinkingDelay {
		return nil
	}
	if s.ts != "" && now.Sub(s.lastEdit) < s.a.opts.UpdateInterval {
		return nil
	}
	if strings.TrimSpace(s.streamed.String()) == "" {
		return nil
	}
	s.showLocked(ctx, s.previewLocked())
	return nil
}

// Send delivers r: the first part replaces the preview message when there
// is one, the others are posted in the thread. A handoff also notifies
// the agents' channel.
func (s *sender) Send(ctx context.Context, r conversation.Reply) error {
	s.stopTimer()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	addr := s.msg.Address
	parts := s.a.render(r, s.msg.ID)
	for i, p := range parts {
		if i == 0 && s.ts != "" {
			err := s.a.update(ctx, addr.Channel, s.ts, p)
			if err == nil {
				continue
			}
			if ambiguous(err) {
				return fmt.Errorf("show reply: %w", err)
			}
			// The preview is gone or cannot be edited: post instead.
		}
		if _, err := s.a.post(ctx, addr.Channel, addr.Thread, s.msg.ID, i, p); err != nil {
			return fmt.Errorf("post reply part %d of %d: %w", i+1, len(parts), err)
		}
	}
	if r.Handoff {
		reason := "asked for a human"
		if r.Fallback {
			reason = "the bot could not answer"
		}
		if s.note != "" {
			reason = "pressed “Talk to a human”"
		}
		s.a.notifyAgents(ctx, addr, reason, s.summary())
	}
	return nil
}

// summary is what the agents' notice quotes when the Handler keeps no
// history: the note, else the user's message.
func (s *sender) summary() string {
	if s.note != "" {
		return s.note
	}
	return "> *Customer:* " + quote(s.msg.Text)
}

// finish runs after the Handler returned err. When nothing was sent it
// tells the user why (rate limit, failure) or removes the thinking
// message (duplicate, human agent in charge, nothing to say).
func (s *sender) finish(ctx context.Context, err error) {
	s.stopTimer()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	// The reply's ctx may be done (timeout, shutdown): the notice gets a
	// short time of its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(s.a.opts.CallTimeout, 3*time.Second))
	defer cancel()
	addr := s.msg.Address
	text := ""
	switch {
	case err == nil, errors.Is(err, conversation.ErrDuplicate), errors.Is(err, conversation.ErrHumanHandling):
		if s.ts != "" {
			_ = s.a.remove(ctx, addr.Channel, s.ts)
		}
		return
	case errors.Is(err, conversation.ErrRateLimited):
		text = conversation.SaidFor(err, conversation.RateLimitedText)
	default:
		text = errorText
	}
	if s.ts != "" {
		_ = s.a.update(ctx, addr.Channel, s.ts, part{text: text})
		return
	}
	_, _ = s.a.post(ctx, addr.Channel, addr.Thread, "", 0, part{text: text})
}

// A buttonValue is what the reply buttons carry: the session's address
// and the message answered. Slack signs the payload that returns it.
type buttonValue struct {
	Team    string `json:"t,omitempty"`
	Channel string `json:"c"`
	Thread  string `json:"th,omitempty"`
	User    string `json:"u,omitempty"`
	Message string `json:"m,omitempty"`
}

func (v buttonValue) address() conversation.Address {
	return conversation.Address{Platform: Platform, Tenant: v.Team, Channel: v.Channel, Thread: v.Thread, User: v.User}
}

// render turns r into the Slack messages that carry it.
func (a *Adapter) render(r conversation.Reply, messageID string) []part {
	text := citelink.LinkWords(Mrkdwn(r.Text), citelink.ResolveLinks(r.Links, a.opts.CitationBaseURL), func(l knowledge.Link) (string, string) {
		return escape(l.Text), Link(l.URL, l.Text)
	})
	sections := Split(text, MaxSectionChars)
	if len(sections) == 0 {
		sections = []string{"…"}
	}
	var parts []part
	for len(sections) > 0 {
		n := min(len(sections), MaxSectionsPerMessage)
		var p part
		for _, sec := range sections[:n] {
			p.blocks = append(p.blocks, slackapi.NewSectionBlock(
				slackapi.NewTextBlockObject(slackapi.MarkdownType, sec, false, false), nil, nil))
		}
		p.text = strings.Join(sections[:n], "\n")
		sections = sections[n:]
		parts = append(parts, p)
	}
	last := &parts[len(parts)-1]
	if c := Citations(citelink.Resolve(r.Citations, a.opts.CitationBaseURL)); c != "" {
		last.blocks = append(last.blocks, slackapi.NewContextBlock("citations",
			slackapi.NewTextBlockObject(slackapi.MarkdownType, c, false, false)))
		last.text += "\n" + c
	}
	if !r.Handoff {
		v, _ := json.Marshal(buttonValue{Team: r.Address.Tenant, Channel: r.Address.Channel,
			Thread: r.Address.Thread, User: r.Address.User, Message: messageID})
		value := string(v)
		if len(value) > 2000 { // Slack's limit on a button value
			value = ""
		}
		button := func(id, label, style string) *slackapi.ButtonBlockElement {
			b := slackapi.NewButtonBlockElement(id, value, slackapi.NewTextBlockObject(slackapi.PlainTextType, label, true, false))
			b.Style = slackapi.Style(style)
			return b
		}
		last.blocks = append(last.blocks, slackapi.NewActionBlock("feedback",
			button(actionHelpful, "👍 Helpful", ""),
			button(actionUnhelpful, "👎 Not helpful", ""),
			button(actionHuman, "Talk to a human", "primary")))
	}
	return parts
}

// quote renders text as a one-line quotation of at most 300 characters.
func quote(text string) string {
	return escape(cutRunes(strings.Join(strings.Fields(text), " "), 300))
}

// notifyAgents posts a handoff notice to the agents' channel: who, where,
// why, a summary of the conversation and a link to the thread.
func (a *Adapter) notifyAgents(ctx context.Context, addr conversation.Address, reason, fallback string) {
	if a.opts.AgentsChannel == "" {
		a.log.Info("handoff without an agents channel", "session", addr.SessionID())
		return
	}
	summary := fallback
	if h, ok := a.opts.Handler.(Historian); ok {
		if turns, err := h.History(ctx, addr.SessionID()); err == nil && len(turns) > 0 {
			summary = summarize(turns, 6)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, ":raising_hand: *A customer needs a human agent* (%s)\n", escape(reason))
	if addr.User != "" {
		fmt.Fprintf(&b, "*Who:* <@%s>  ", addr.User)
	}
	fmt.Fprintf(&b, "*Where:* <#%s>\n%s", addr.Channel, summary)
	if link := a.permalink(ctx, addr.Channel, addr.Thread); link != "" {
		b.WriteString("\n" + Link(link, "Open the conversation"))
	}
	text := cutRunes(b.String(), MaxSectionChars)
	if _, err := a.post(ctx, a.opts.AgentsChannel, "", "", 0, part{text: text}); err != nil {
		a.log.Warn("handoff notice not posted", "session", addr.SessionID(), "err", err)
	}
}

// summarize quotes the newest n turns, oldest first.
func summarize(turns []conversation.Turn, n int) string {
	turns = turns[max(0, len(turns)-n):]
	lines := make([]string, 0, len(turns))
	for _, t := range turns {
		who := "Customer"
		if t.Role == "assistant" {
			who = "Bot"
		}
		lines = append(lines, "> *"+who+":* "+quote(t.Text))
	}
	return strings.Join(lines, "\n")
}

package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard/switchboard/conversation"
)

// Texts the bot says outside the pipeline's replies.
const (
	errorText    = "Sorry, something went wrong on my side and I couldn't answer. Please try again in a moment."
	busyText     = "I'm busy right now. Please try again in a minute."
	humanText    = "A human agent is looking after this conversation and will reply here."
	alreadyHuman = "A human agent has already been asked to join this conversation."
	// humanRequest is the message the "Talk to a human" button sends the
	// Handler when it is no Handoffer.
	humanRequest = "I'd like to talk to a human agent, please."
)

// A postFunc posts one message of a reply: first says whether it is the
// reply's first message, comps are its components (buttons) or nil.
type postFunc func(ctx context.Context, content string, first bool, comps []discordgo.MessageComponent) error

// A sender delivers the replies to one message (conversation.Sender).
type sender struct {
	a      *Adapter
	msg    conversation.Message // the message being answered
	post   postFunc
	onSend func() // called before the first message is posted, may be nil
	reason string // why a handoff happened, for the agents' notice
	note   string // the bot's answer a handoff was requested on, if any
	// deferred is set for an interaction whose deferred response must
	// be followed up whatever happens.
	deferred bool

	mu   sync.Mutex
	sent bool // guarded by mu: a reply has been posted
}

var _ conversation.Sender = (*sender)(nil)

// Send posts r as Discord messages: the first references the user's
// message, the last carries the buttons. A handoff also notifies the
// agents' channel.
func (s *sender) Send(ctx context.Context, r conversation.Reply) error {
	if s.onSend != nil {
		s.onSend()
	}
	parts := Render(r, s.a.opts.CitationBaseURL)
	addr := s.msg.Address
	for i, p := range parts {
		var comps []discordgo.MessageComponent
		if i == len(parts)-1 && !r.Handoff {
			comps = buttons(addr)
		}
		if err := s.post(ctx, p, i == 0, comps); err != nil {
			return fmt.Errorf("send discord reply: %w", err)
		}
		s.mu.Lock()
		s.sent = true
		s.mu.Unlock()
	}
	if r.Handoff {
		reason := s.reason
		if reason == "" {
			reason = "the conversation was handed off"
		}
		s.a.notifyAgents(ctx, addr, s.msg, reason, s.note)
	}
	return nil
}

// hasSent reports whether any reply was posted.
func (s *sender) hasSent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// handle runs the Handler for m and tells the user when it fails without
// a reply: over the rate limit, a human in charge (only for a slash
// command, whose deferred response needs an answer), or an error.
func (a *Adapter) handle(ctx context.Context, m conversation.Message, s *sender) {
	err := a.opts.Handler.Handle(ctx, m, s)
	var text string
	switch {
	case err == nil, errors.Is(err, conversation.ErrDuplicate):
		return
	case errors.Is(err, conversation.ErrRateLimited):
		text = conversation.SaidFor(err, conversation.RateLimitedText)
	case errors.Is(err, conversation.ErrHumanHandling):
		if s.quietWhenHuman() {
			return // a human answers in this channel; the bot stays silent
		}
		text = humanText
	default:
		a.log.Warn("discord reply failed", "message_id", m.ID, "session", m.Address.SessionID(), "err", err)
		if s.hasSent() || ctx.Err() != nil {
			return
		}
		text = errorText
	}
	if s.onSend != nil {
		s.onSend()
	}
	if perr := s.post(ctx, text, true, nil); perr != nil {
		a.log.Warn("discord notice not sent", "message_id", m.ID, "err", perr)
	}
}

// quietWhenHuman reports whether the bot says nothing while a human owns
// the session: in chat, yes; a slash command has a pending response that
// must be answered.
func (s *sender) quietWhenHuman() bool { return !s.deferred }

// channelPoster posts into channel (a channel, thread or DM), the first
// message as a reply to ref when ref is not nil.
func (a *Adapter) channelPoster(channel string, ref *discordgo.MessageReference) postFunc {
	return func(ctx context.Context, content string, first bool, comps []discordgo.MessageComponent) error {
		ms := &discordgo.MessageSend{
			Content:         content,
			Components:      comps,
			AllowedMentions: noMentions(),
			Flags:           discordgo.MessageFlagsSuppressEmbeds,
		}
		if first && ref != nil {
			ms.Reference = ref
			ms.AllowedMentions.RepliedUser = true // the asker is notified
		}
		return a.call(ctx, "message.create", func(o ...discordgo.RequestOption) error {
			_, err := a.rest.ChannelMessageSendComplex(channel, ms, o...)
			return err
		})
	}
}

// followupPoster posts follow-up messages of interaction i
// (POST /webhooks/{application_id}/{token}).
func (a *Adapter) followupPoster(i *discordgo.Interaction) postFunc {
	return func(ctx context.Context, content string, first bool, comps []discordgo.MessageComponent) error {
		p := &discordgo.WebhookParams{
			Content:         content,
			Components:      comps,
			AllowedMentions: noMentions(),
			Flags:           discordgo.MessageFlagsSuppressEmbeds,
		}
		return a.call(ctx, "followup.create", func(o ...discordgo.RequestOption) error {
			_, err := a.rest.FollowupMessageCreate(i, true, p, o...)
			return err
		})
	}
}

// maxSummaryTurns bounds the turns quoted in the agents' notice.
const maxSummaryTurns = 6

// notifyAgents posts a handoff notice for the session at addr to
// Options.AgentsChannel: who, where, why, and a summary of the
// conversation (its saved turns when the Handler is a Historian, else the
// message m) and the bot's answer note, when not empty.
func (a *Adapter) notifyAgents(ctx context.Context, addr conversation.Address, m conversation.Message, reason, note string) {
	if a.opts.AgentsChannel == "" || a.opts.BotToken == "" {
		return
	}
	var b strings.Builder
	where := "a direct message"
	if addr.Tenant != "" {
		where = "<#" + addr.Channel + ">"
		if addr.Thread != "" {
			where = "<#" + addr.Thread + ">"
		}
	}
	fmt.Fprintf(&b, "🙋 **Handoff to a human:** <@%s> in %s", addr.User, where)
	if link := jumpLink(addr, m.ID); link != "" {
		fmt.Fprintf(&b, " ([jump](%s))", link)
	}
	fmt.Fprintf(&b, "\n**Reason:** %s\n**Summary:**\n", reason)
	b.WriteString(a.summary(ctx, addr, m))
	if note != "" {
		b.WriteString("\n**Bot’s last answer:** " + quote(note))
	}
	content := cut(b.String(), MaxMessageChars)
	err := a.call(ctx, "message.create", func(o ...discordgo.RequestOption) error {
		_, err := a.rest.ChannelMessageSendComplex(a.opts.AgentsChannel, &discordgo.MessageSend{
			Content: content, AllowedMentions: noMentions(), Flags: discordgo.MessageFlagsSuppressEmbeds,
		}, o...)
		return err
	})
	if err != nil {
		a.log.Warn("discord handoff notice not posted", "session", addr.SessionID(), "err", err)
	}
}

// summary quotes the last turns of addr's session, or m.
func (a *Adapter) summary(ctx context.Context, addr conversation.Address, m conversation.Message) string {
	var lines []string
	if h, ok := a.opts.Handler.(Historian); ok {
		turns, err := h.History(ctx, addr.SessionID())
		if err != nil {
			a.log.Warn("discord history for handoff notice", "err", err)
		}
		if len(turns) > maxSummaryTurns {
			turns = turns[len(turns)-maxSummaryTurns:]
		}
		for _, t := range turns {
			lines = append(lines, "> **"+t.Role+":** "+quote(t.Text))
		}
	}
	if len(lines) == 0 && m.Text != "" {
		lines = append(lines, "> **user:** "+quote(m.Text))
	}
	if len(lines) == 0 {
		return "> (no messages)"
	}
	return strings.Join(lines, "\n")
}

// quote makes s one short line for a block quote.
func quote(s string) string {
	return cut(strings.Join(strings.Fields(s), " "), 280)
}

// jumpLink links to message id in addr's channel, or "" when id is not a
// Discord message id.
func jumpLink(addr conversation.Address, id string) string {
	if id == "" || !snowflake(id) {
		return ""
	}
	guild := addr.Tenant
	if guild == "" {
		guild = "@me"
	}
	ch := addr.Channel
	if addr.Thread != "" {
		ch = addr.Thread
	}
	return "https://discord.com/channels/" + guild + "/" + ch + "/" + id
}

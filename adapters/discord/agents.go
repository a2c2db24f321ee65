package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/conversation"
)

// Agents' threads for users of other channels, as the Slack adapter has
// them: with Options.Desk and AgentsChannel set, a web widget visitor
// handed to a human gets a notice in the agents' channel and a thread
// started from it, named after the visitor and their session; what they
// write next is posted in the thread, and what an agent writes there is
// saved as the agent's reply, which the widget shows. The gateway needs
// the Message Content intent for the agents' messages.

// sessionMark parts a thread's name from the session it belongs to.
const sessionMark = " · "

// ToAgents tells the agents' channel about session's user, who is handed
// off on another channel (see agentthread.Relay.Tell). It does nothing
// without a Desk, an agents' channel or a bot token.
func (a *Adapter) ToAgents(ctx context.Context, session, who, text string) error {
	if a.opts.Desk == nil || a.opts.AgentsChannel == "" || a.opts.BotToken == "" {
		return nil
	}
	return agentthread.Relay{
		Platform: Platform, Channel: a.opts.AgentsChannel, Desk: a.opts.Desk, Open: a.openThread,
		Post: func(ctx context.Context, thread, text string) error {
			return a.say(ctx, thread, cut(text, MaxMessageChars))
		},
		Sign: func(who, text string) string { return "**" + who + ":** " + text },
	}.Tell(ctx, session, who, text)
}

// openThread posts the notice about session's user in the agents'
// channel and starts its thread.
func (a *Adapter) openThread(ctx context.Context, session, who string) (string, error) {
	if who == "" {
		who = "a website visitor"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "🙋 **A website visitor needs a human agent:** %s\n", who)
	if turns, err := a.opts.Desk.History(ctx, session); err == nil {
		for _, t := range turns[max(0, len(turns)-maxSummaryTurns):] {
			b.WriteString("> **" + t.Role + ":** " + quote(t.Text) + "\n")
		}
	}
	b.WriteString("Reply in this thread to answer them in the chat; they see your name.")
	var notice *discordgo.Message
	err := a.call(ctx, "message.create", func(o ...discordgo.RequestOption) (err error) {
		notice, err = a.rest.ChannelMessageSendComplex(a.opts.AgentsChannel, &discordgo.MessageSend{
			Content: cut(b.String(), MaxMessageChars), AllowedMentions: noMentions(), Flags: discordgo.MessageFlagsSuppressEmbeds,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "Hand back to the bot", Style: discordgo.SecondaryButton, CustomID: releaseID(session)},
			}}},
		}, o...)
		return err
	})
	if err != nil || notice == nil {
		return "", fmt.Errorf("post the agents' notice: %w", err)
	}
	var th *discordgo.Channel
	err = a.call(ctx, "thread.start", func(o ...discordgo.RequestOption) (err error) {
		th, err = a.rest.MessageThreadStartComplex(a.opts.AgentsChannel, notice.ID, &discordgo.ThreadStart{
			Name: cut(who, 100-len(sessionMark)-len(session)) + sessionMark + session, AutoArchiveDuration: 1440,
		}, o...)
		return err
	})
	if err != nil || th == nil || th.ID == "" {
		return "", fmt.Errorf("start the agents' thread: %w", err)
	}
	a.threads.Put(th.ID, session)
	return th.ID, nil
}

// releaseID is the custom id of the notice's button that hands session
// back to the bot (at most 100 characters, as Discord allows: a web
// session id is at most 77).
func releaseID(session string) string { return customIDPrefix + ":" + actionRelease + ":" + session }

// releasePressed hands session back to the bot after clicker pressed the
// button of its notice, and says so in its thread (started from the
// notice, so with the notice's id).
func (a *Adapter) releasePressed(ctx context.Context, session, thread string, clicker *discordgo.User) {
	if a.opts.Desk == nil {
		return
	}
	who := "an agent"
	if clicker != nil {
		who = "<@" + clicker.ID + ">"
	}
	switch err := a.opts.Desk.Release(ctx, session); {
	case err == nil:
		a.log.Info("session released from the agents' channel", "session", session)
		_ = a.say(ctx, thread, "_Handed back to the bot by "+who+"._")
	case errors.Is(err, conversation.ErrNotHandedOff):
		_ = a.say(ctx, thread, "_This visitor is already with the bot._")
	default:
		a.log.Warn("release from the agents' channel failed", "session", session, "err", err)
	}
}

// say posts text in channel.
func (a *Adapter) say(ctx context.Context, channel, text string) error {
	return a.call(ctx, "message.create", func(o ...discordgo.RequestOption) error {
		_, err := a.rest.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
			Content: text, AllowedMentions: noMentions(), Flags: discordgo.MessageFlagsSuppressEmbeds,
		}, o...)
		return err
	})
}

// relayAgent saves an agent's message m, in a visitor's thread, as the
// agent's reply to the visitor; a message elsewhere is left alone.
func (a *Adapter) relayAgent(ctx context.Context, m *discordgo.Message) {
	session, err := a.threadSession(ctx, m.ChannelID)
	if err != nil {
		a.log.Warn("discord channel not read", "channel", m.ChannelID, "err", err)
		return
	}
	text := PlainText(m.Content, a.botUserID())
	if session == "" || text == "" {
		return
	}
	say := func(note string) { _ = a.say(ctx, m.ChannelID, note) }
	if err := agentthread.Reply(ctx, a.opts.Desk, session, m.ID, userName(m), text, say); err != nil {
		a.log.Warn("agent's reply not saved", "session", session, "err", err)
	}
}

// threadSession returns the session whose agents' thread channel is, ""
// when it is none: a thread of the agents' channel named with a session.
func (a *Adapter) threadSession(ctx context.Context, channel string) (string, error) {
	if s, ok := a.threads.Get(channel); ok {
		return s, nil
	}
	var ch *discordgo.Channel
	err := a.call(ctx, "channel.get", func(o ...discordgo.RequestOption) (err error) {
		ch, err = a.rest.Channel(channel, o...)
		return err
	})
	if err != nil {
		return "", err
	}
	session := ""
	if ch != nil && ch.IsThread() && ch.ParentID == a.opts.AgentsChannel {
		if i := strings.LastIndex(ch.Name, sessionMark); i >= 0 {
			session = ch.Name[i+len(sessionMark):]
		}
	}
	a.threads.Put(channel, session)
	return session, nil
}

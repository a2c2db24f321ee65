package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/switchboard/switchboard/adapters/internal/agentthread"
	"github.com/switchboard/switchboard/conversation"
)

// Agents' threads for users of other channels.
//
// A visitor the web widget hands to a human has no Slack thread of their
// own. With Options.Desk and AgentsChannel set, the notice of their
// handoff opens a thread in the agents' channel (its message metadata
// names the session); what they write next is posted in it, and what an
// agent writes in it is saved as the agent's reply, which the widget
// shows. The notice's button hands the visitor back to the bot. The app
// needs the message.channels event for the agents' channel.

const (
	// agentThreadType names the metadata of a thread's notice.
	agentThreadType = "switchboard_agent_thread"
	// actionRelease is the notice's "Hand back to the bot" button.
	actionRelease = "sb_release"
)

// ToAgents tells the agents' channel about session's user, who is handed
// off on another channel (see agentthread.Relay.Tell). It does nothing
// without a Desk or an agents' channel.
func (a *Adapter) ToAgents(ctx context.Context, session, who, text string) error {
	if a.opts.Desk == nil || a.opts.AgentsChannel == "" {
		return nil
	}
	return agentthread.Relay{
		Platform: Platform, Channel: a.opts.AgentsChannel, Desk: a.opts.Desk, Open: a.openThread,
		Post: func(ctx context.Context, thread, text string) error {
			_, err := a.post(ctx, a.opts.AgentsChannel, thread, "", 0, part{text: cutRunes(text, MaxSectionChars)})
			return err
		},
		Sign: func(who, text string) string { return "*" + escape(who) + ":* " + escape(text) },
	}.Tell(ctx, session, who, text)
}

// openThread posts the notice that opens session's thread in the agents'
// channel.
func (a *Adapter) openThread(ctx context.Context, session, who string) (string, error) {
	summary := ""
	if turns, err := a.opts.Desk.History(ctx, session); err == nil && len(turns) > 0 {
		summary = summarize(turns, 6) + "\n"
	}
	if who == "" {
		who = "a website visitor"
	}
	text := cutRunes(fmt.Sprintf(":raising_hand: *A website visitor needs a human agent* (%s)\n%s"+
		"Reply in this thread to answer them in the chat; they see your name.", escape(who), summary), MaxSectionChars)
	release := slackapi.NewButtonBlockElement(actionRelease, session,
		slackapi.NewTextBlockObject(slackapi.PlainTextType, "Hand back to the bot", true, false))
	p := part{
		text: text,
		blocks: []slackapi.Block{
			slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false), nil, nil),
			slackapi.NewActionBlock("agent_thread", release),
		},
		metadata: &slackapi.SlackMetadata{EventType: agentThreadType, EventPayload: map[string]any{"session": session}},
	}
	ts, err := a.post(ctx, a.opts.AgentsChannel, "", "", 0, p)
	if err != nil {
		return "", fmt.Errorf("post the agents' notice: %w", err)
	}
	a.threads.Put(ts, session)
	return ts, nil
}

// inAgentThread reports whether ev is a message in a thread of the
// agents' channel, where agents may be answering a visitor.
func (a *Adapter) inAgentThread(ev event) bool {
	return a.opts.Desk != nil && a.opts.AgentsChannel != "" && ev.Type == "message" &&
		ev.Channel == a.opts.AgentsChannel && ev.ThreadTS != "" && ev.ThreadTS != ev.TS
}

// relayAgent saves an agent's message in a visitor's thread (event id,
// ev) as the agent's reply to the visitor. Messages in other threads are
// left alone; one that cannot be delivered says so in the thread.
func (a *Adapter) relayAgent(ctx context.Context, id string, ev event, bot string) {
	if ev.User == bot {
		return
	}
	session, err := a.threadSession(ctx, ev.Channel, ev.ThreadTS)
	if err != nil {
		a.log.Warn("agents' thread not read", "thread", ev.ThreadTS, "err", err)
		return
	}
	text := PlainText(ev.Text, bot)
	if session == "" || text == "" {
		return
	}
	say := func(note string) { _, _ = a.post(ctx, ev.Channel, ev.ThreadTS, "", 0, part{text: note}) }
	if err := agentthread.Reply(ctx, a.opts.Desk, session, id, a.users.name(ctx, ev.User), text, say); err != nil {
		a.log.Warn("agent's reply not saved", "session", session, "err", err)
	}
}

// threadSession returns the session whose thread of channel starts at
// ts, "" when it is no visitor's thread.
func (a *Adapter) threadSession(ctx context.Context, channel, ts string) (string, error) {
	if s, ok := a.threads.Get(ts); ok {
		return s, nil
	}
	msgs, err := a.replies(ctx, channel, ts, 1)
	if err != nil {
		return "", err
	}
	session := ""
	if len(msgs) > 0 && msgs[0].Timestamp == ts && msgs[0].Metadata.EventType == agentThreadType {
		session, _ = msgs[0].Metadata.EventPayload["session"].(string)
	}
	a.threads.Put(ts, session)
	return session, nil
}

// releasePressed hands session back to the bot after clicker pressed the
// notice's button, and says so in the thread.
func (a *Adapter) releasePressed(ctx context.Context, session, channel, thread, clicker string) {
	if a.opts.Desk == nil || session == "" {
		return
	}
	switch err := a.opts.Desk.Release(ctx, session); {
	case err == nil:
		a.log.Info("session released from the agents' channel", "session", session, "by", clicker)
		_, _ = a.post(ctx, channel, thread, "", 0, part{text: fmt.Sprintf("_Handed back to the bot by <@%s>._", clicker)})
	case errors.Is(err, conversation.ErrNotHandedOff):
		_ = a.ephemeral(ctx, channel, thread, clicker, "This visitor is already with the bot.")
	default:
		a.log.Warn("release from the agents' channel failed", "session", session, "err", err)
		_ = a.ephemeral(ctx, channel, thread, clicker, errorText)
	}
}

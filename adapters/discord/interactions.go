package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard/switchboard/adapters/internal/webhook"
	"github.com/switchboard/switchboard/conversation"
)

// feedbackThanks is the ephemeral answer to a feedback button.
const feedbackThanks = "Thanks for the feedback!"

// ParseInteraction decodes an interaction body. It fails on malformed
// JSON, an unknown type, and (except for PING) a missing id or token.
func ParseInteraction(body []byte) (*discordgo.Interaction, error) {
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		return nil, fmt.Errorf("decode discord interaction: %w", err)
	}
	switch i.Type {
	case discordgo.InteractionPing:
		return &i, nil
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent,
		discordgo.InteractionApplicationCommandAutocomplete, discordgo.InteractionModalSubmit:
	default:
		return nil, fmt.Errorf("decode discord interaction: unknown type %d", i.Type)
	}
	if i.ID == "" || i.Token == "" {
		return nil, errors.New("decode discord interaction: no id or token")
	}
	return &i, nil
}

// handleInteractions serves POST /discord/interactions: verify, answer at
// once, and do the slow part in a goroutine the adapter owns once the
// answer is written.
func (a *Adapter) handleInteractions(w http.ResponseWriter, r *http.Request) {
	if a.key == nil {
		webhook.WriteError(w, http.StatusUnauthorized, "unauthorized", "interactions are not configured (DISCORD_PUBLIC_KEY)")
		return
	}
	body, ok := webhook.ReadBody(w, r, a.opts.MaxBodyBytes)
	if !ok {
		return
	}
	if err := Verify(a.key, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp), body); err != nil {
		webhook.WriteError(w, http.StatusUnauthorized, "bad_signature", "invalid request signature")
		return
	}
	i, err := ParseInteraction(body)
	if err != nil {
		webhook.WriteError(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	resp, work := a.interact(i)
	ready := make(chan struct{})
	if work != nil {
		// The follow-ups must not overtake the response.
		if err := a.work.Go(func(ctx context.Context) {
			select {
			case <-ready:
				work(ctx)
			case <-ctx.Done():
			}
		}); err != nil {
			resp = ephemeral(busyText)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	close(ready)
}

// onGatewayInteraction answers an interaction delivered over the gateway
// (apps without an interactions URL): the response goes through the
// callback endpoint, then the slow part runs.
func (a *Adapter) onGatewayInteraction(i *discordgo.Interaction) {
	if i.Type == discordgo.InteractionPing {
		return
	}
	resp, work := a.interact(i)
	err := a.work.Go(func(ctx context.Context) {
		err := a.call(ctx, "interaction.respond", func(o ...discordgo.RequestOption) error {
			return a.rest.InteractionRespond(i, resp, o...)
		})
		if err == nil && work != nil {
			work(ctx)
		}
	})
	if err != nil {
		a.log.Warn("discord interaction dropped", "interaction_id", i.ID, "err", err)
	}
}

// interact returns the immediate response to i and the work that follows
// it, if any: the reply to /ask, or the handoff of "Talk to a human".
func (a *Adapter) interact(i *discordgo.Interaction) (*discordgo.InteractionResponse, func(ctx context.Context)) {
	if i.AppID == "" {
		i.AppID = a.opts.ApplicationID
	}
	switch i.Type {
	case discordgo.InteractionPing:
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, nil
	case discordgo.InteractionApplicationCommand:
		return a.command(i)
	case discordgo.InteractionMessageComponent:
		return a.component(i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		return &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}, nil
	}
	return ephemeral("Sorry, I can't handle that here."), nil
}

// command handles /ask: a deferred response now, follow-ups with the
// reply when it is ready.
func (a *Adapter) command(i *discordgo.Interaction) (*discordgo.InteractionResponse, func(ctx context.Context)) {
	data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || data.Name != CommandName {
		return ephemeral("Sorry, I don't know that command."), nil
	}
	question := ""
	for _, o := range data.Options {
		if o != nil && o.Name == OptionQuestion {
			question, _ = o.Value.(string)
		}
	}
	question = strings.TrimSpace(question)
	if question == "" {
		return ephemeral("Ask me a question, for example: `/ask question: How do I reset my password?`"), nil
	}
	user := interactionUser(i)
	if user == nil {
		return ephemeral(errorText), nil
	}
	msg := conversation.Message{
		ID:       i.ID,
		Address:  conversation.Address{Platform: Platform, Tenant: i.GuildID, Channel: i.ChannelID, User: user.ID},
		UserName: displayName(i, user),
		Text:     question,
		Time:     time.Now(),
	}
	s := &sender{a: a, msg: msg, post: a.followupPoster(i), deferred: true}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource},
		func(ctx context.Context) { a.handle(ctx, msg, s) }
}

// component handles the reply buttons.
func (a *Adapter) component(i *discordgo.Interaction) (*discordgo.InteractionResponse, func(ctx context.Context)) {
	data, ok := i.Data.(discordgo.MessageComponentInteractionData)
	if !ok {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}, nil
	}
	if session, ok := strings.CutPrefix(data.CustomID, releaseID("")); ok && i.Message != nil {
		thread, clicker := i.Message.ID, interactionUser(i)
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate},
			func(ctx context.Context) { a.releasePressed(ctx, session, thread, clicker) }
	}
	action, addr, ok := parseCustomID(data.CustomID)
	if !ok {
		// Not one of ours: acknowledge without changing anything.
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}, nil
	}
	messageID := ""
	if i.Message != nil {
		messageID = i.Message.ID
	}
	switch action {
	case actionHelpful, actionUnhelpful:
		helpful := action == actionHelpful
		a.opts.Metrics.feedback(helpful)
		a.log.Info("discord feedback", "helpful", helpful, "session", addr.SessionID(), "message_id", messageID)
		return ephemeral(feedbackThanks), nil
	}
	a.opts.Metrics.handoffButton()
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource},
		func(ctx context.Context) { a.humanRequested(ctx, i, addr) }
}

// humanRequested hands addr's session to a human after "Talk to a human"
// was pressed in interaction i, and follows the interaction up.
func (a *Adapter) humanRequested(ctx context.Context, i *discordgo.Interaction, addr conversation.Address) {
	clicker := interactionUser(i)
	msg := conversation.Message{Address: addr, Text: humanRequest, Time: time.Now()}
	if clicker != nil {
		msg.UserName = displayName(i, clicker)
	}
	s := &sender{a: a, msg: msg, post: a.followupPoster(i), deferred: true, reason: "pressed “Talk to a human”"}
	if i.Message != nil && i.Message.Content != "" {
		s.note = i.Message.Content
	}
	if h, ok := a.opts.Handler.(Handoffer); ok {
		err := h.Handoff(ctx, addr, "button")
		text := conversation.HandoffText
		switch {
		case errors.Is(err, conversation.ErrHumanHandling):
			text = alreadyHuman
		case err != nil:
			a.log.Warn("discord handoff failed", "session", addr.SessionID(), "err", err)
			text = errorText
		}
		if perr := s.post(ctx, text, true, nil); perr != nil {
			a.log.Warn("discord handoff reply not sent", "err", perr)
		}
		if err == nil {
			a.notifyAgents(ctx, addr, msg, s.reason, s.note)
		}
		return
	}
	// Without a Handoffer the request goes through the pipeline, whose
	// handoff policy answers it; the same button pressed twice by the
	// same person is one message.
	msg.ID = "button:" + i.ID
	if i.Message != nil && clicker != nil {
		msg.ID = "button:" + i.Message.ID + ":" + clicker.ID
	}
	err := a.opts.Handler.Handle(ctx, msg, s)
	switch {
	case err == nil:
		return
	case errors.Is(err, conversation.ErrHumanHandling), errors.Is(err, conversation.ErrDuplicate):
		err = s.post(ctx, alreadyHuman, true, nil)
	case errors.Is(err, conversation.ErrRateLimited):
		err = s.post(ctx, conversation.SaidFor(err, conversation.RateLimitedText), true, nil)
	default:
		a.log.Warn("discord handoff request failed", "session", addr.SessionID(), "err", err)
		if !s.hasSent() {
			err = s.post(ctx, errorText, true, nil)
		}
	}
	if err != nil {
		a.log.Warn("discord handoff reply not sent", "err", err)
	}
}

// interactionUser is who triggered i: the member's user in a guild, the
// user in a DM.
func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// displayName is the name u shows as in i.
func displayName(i *discordgo.Interaction, u *discordgo.User) string {
	if i.Member != nil && i.Member.Nick != "" {
		return i.Member.Nick
	}
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// ephemeral is an immediate answer only the user sees.
func ephemeral(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions(),
		},
	}
}

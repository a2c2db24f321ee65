package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The slash command and its option.
const (
	CommandName    = "ask"
	OptionQuestion = "question"
	// MaxQuestionChars bounds the question Discord accepts in /ask.
	MaxQuestionChars = 1000
)

// Commands returns the application commands the bot offers: /ask
// question:<text>, usable in servers and in DMs with the bot.
func Commands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{{
		Name:        CommandName,
		Type:        discordgo.ChatApplicationCommand,
		Description: "Ask the support bot a question",
		Options: []*discordgo.ApplicationCommandOption{{
			Type:        discordgo.ApplicationCommandOptionString,
			Name:        OptionQuestion,
			Description: "What would you like to know?",
			Required:    true,
			MaxLength:   MaxQuestionChars,
		}},
	}}
}

// RegisterOptions configure RegisterCommands.
type RegisterOptions struct {
	// BotToken is DISCORD_BOT_TOKEN, with or without "Bot ". Required.
	BotToken string
	// ApplicationID is DISCORD_APPLICATION_ID. Required.
	ApplicationID string
	// GuildID registers the commands in one server only (they appear
	// at once there). Empty means global commands.
	GuildID string
	// APIURL is DISCORD_API_URL; empty means Discord itself.
	APIURL string
	// HTTPClient carries the call. Nil means a default client.
	HTTPClient *http.Client
	// Timeout bounds the call. Zero or less means 30 s.
	Timeout time.Duration
}

// RegisterCommands replaces the application's commands with Commands()
// (a bulk overwrite: PUT /applications/{id}/commands, or the guild's) and
// returns what Discord registered.
func RegisterCommands(ctx context.Context, o RegisterOptions) ([]*discordgo.ApplicationCommand, error) {
	if o.BotToken == "" || o.ApplicationID == "" {
		return nil, errors.New("register discord commands: DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	s, err := newSession(o.BotToken, o.APIURL, o.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("register discord commands: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	// discordgo's own rate-limit retry is off (newSession): a 429 fails
	// the call with its retry_after instead of sleeping past ctx.
	cmds, err := s.ApplicationCommandBulkOverwrite(o.ApplicationID, o.GuildID, Commands(), discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("register discord commands: %w", err)
	}
	return cmds, nil
}

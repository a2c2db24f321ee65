package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/switchboard/switchboard/adapters/discord"
)

func init() {
	register(command{
		name:    "discord",
		summary: "Discord tools: 'discord register' registers the /ask slash command",
		run:     runDiscord,
	})
}

// discordUsage lists the discord subcommands.
const discordUsage = `Usage: switchboard discord <subcommand> [flags]

Subcommands:
  register   register the /ask slash command with Discord (bulk overwrite)

Environment: DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID (required),
DISCORD_API_URL (optional REST base, for proxies and tests).
`

func runDiscord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, discordUsage)
		return usageError{msg: "discord: no subcommand given"}
	}
	switch args[0] {
	case "register":
		return runDiscordRegister(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, discordUsage)
		return nil
	}
	fmt.Fprint(stderr, discordUsage)
	return usageError{msg: fmt.Sprintf("discord: unknown subcommand %q", args[0])}
}

// runDiscordRegister registers the application commands (/ask), globally
// or in one guild, with the credentials from the environment.
func runDiscordRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("discord register", "[--guild ID] [--json]", stderr)
	guild := fs.String("guild", "", "register in this server only (instant); default: global commands")
	asJSON := fs.Bool("json", false, "print the registered commands as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("discord register: unexpected argument %q", fs.Arg(0))}
	}
	o := discord.RegisterOptions{
		BotToken:      strings.TrimSpace(os.Getenv("DISCORD_BOT_TOKEN")),
		ApplicationID: strings.TrimSpace(os.Getenv("DISCORD_APPLICATION_ID")),
		APIURL:        strings.TrimSpace(os.Getenv("DISCORD_API_URL")),
		GuildID:       *guild,
	}
	var missing []string
	if o.BotToken == "" {
		missing = append(missing, "DISCORD_BOT_TOKEN")
	}
	if o.ApplicationID == "" {
		missing = append(missing, "DISCORD_APPLICATION_ID")
	}
	if len(missing) > 0 {
		return errors.New("discord register: set " + strings.Join(missing, " and "))
	}
	cmds, err := discord.RegisterCommands(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cmds)
	}
	where := "globally (may take up to an hour to appear everywhere)"
	if o.GuildID != "" {
		where = "in server " + o.GuildID
	}
	for _, c := range cmds {
		fmt.Fprintf(stdout, "Registered /%s (id %s) %s for application %s.\n", c.Name, c.ID, where, o.ApplicationID)
	}
	return nil
}

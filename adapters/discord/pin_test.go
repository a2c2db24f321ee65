package discord_test

import (
	"github.com/switchboard/switchboard/adapters/discord"
	"github.com/switchboard/switchboard/bot"
)

var (
	_ bot.Adapter = (*discord.Adapter)(nil)
	_ bot.Runner  = (*discord.Adapter)(nil)
	_ bot.Drainer = (*discord.Adapter)(nil)
)

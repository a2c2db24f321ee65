package slack_test

import (
	"github.com/switchboard/switchboard/adapters/slack"
	"github.com/switchboard/switchboard/bot"
)

var (
	_ bot.Adapter = (*slack.Adapter)(nil)
	_ bot.Runner  = (*slack.Adapter)(nil)
	_ bot.Drainer = (*slack.Adapter)(nil)
)

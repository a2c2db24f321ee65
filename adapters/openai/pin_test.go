package openai_test

import (
	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/bot"
)

var _ bot.Adapter = (*openai.API)(nil)

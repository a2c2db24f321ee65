package bot

import (
	"log/slog"
	"strings"

	"github.com/switchboard/switchboard/adapters/discord"
	"github.com/switchboard/switchboard/adapters/slack"
	"github.com/switchboard/switchboard/conversation"
)

// A Platform is an adapter bot can build from the configuration. Slack and
// Discord register here (platforms below); the web channel is always on.
type Platform struct {
	// Name is the platform ("slack").
	Name string
	// Missing lists the environment variables the adapter needs and that
	// are unset; a non-empty list means the adapter is off.
	Missing func(Secrets) []string
	// New builds the adapter. Nil means the adapter is not part of this
	// build yet, and it stays off.
	New func(Deps) (Adapter, error)
}

// Deps is what a Platform's New gets to build its adapter.
type Deps struct {
	Config  Config
	Handler conversation.Handler // the instrumented conversation pipeline
	// Desk keeps the sessions of web visitors that the agents' channels
	// answer.
	Desk   conversation.AgentDesk
	Logger *slog.Logger

	metrics *metrics // the server's; nil measures nothing
}

// platforms are the optional platform adapters, in start order. A new
// platform is one more entry here.
var platforms = []Platform{
	{
		Name: "slack",
		Missing: func(s Secrets) []string {
			var m []string
			if s.SlackBotToken == "" {
				m = append(m, "SLACK_BOT_TOKEN")
			}
			if s.SlackSigningSecret == "" && s.SlackAppToken == "" {
				m = append(m, "SLACK_SIGNING_SECRET (Events API) or SLACK_APP_TOKEN (Socket Mode)")
			}
			return m
		},
		New: func(d Deps) (Adapter, error) {
			a, err := slack.New(slack.Options{
				Handler:         d.Handler,
				BotToken:        d.Config.Secrets.SlackBotToken,
				SigningSecret:   d.Config.Secrets.SlackSigningSecret,
				AppToken:        d.Config.Secrets.SlackAppToken,
				APIURL:          d.Config.Secrets.SlackAPIURL,
				AgentsChannel:   d.Config.Slack.AgentsChannel,
				Desk:            d.Desk,
				CitationBaseURL: absoluteBase(d.Config),
				Logger:          d.Logger,
				Metrics:         d.slackMetrics(),
			})
			if err != nil {
				return nil, err
			}
			return a, nil
		},
	},
	{
		Name: "discord",
		Missing: func(s Secrets) []string {
			if s.DiscordBotToken == "" && s.DiscordPublicKey == "" {
				return []string{"DISCORD_BOT_TOKEN (gateway) or DISCORD_PUBLIC_KEY (interactions)"}
			}
			return nil
		},
		New: func(d Deps) (Adapter, error) {
			a, err := discord.New(discord.Options{
				Handler:         d.Handler,
				BotToken:        d.Config.Secrets.DiscordBotToken,
				PublicKey:       d.Config.Secrets.DiscordPublicKey,
				ApplicationID:   d.Config.Secrets.DiscordApplicationID,
				APIURL:          d.Config.Secrets.DiscordAPIURL,
				AgentsChannel:   d.Config.Discord.AgentsChannel,
				Desk:            d.Desk,
				UseThreads:      d.Config.Discord.UseThreads,
				CitationBaseURL: absoluteBase(d.Config),
				Logger:          d.Logger,
				Metrics:         d.discordMetrics(),
			})
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return a, nil
		},
	},
}

// absoluteBase is server.citation_base_url when it is an absolute URL, and
// "" otherwise: chat platforms need absolute links.
func absoluteBase(cfg Config) string {
	base := cfg.Server.CitationBaseURL
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return ""
	}
	return base
}

func (d Deps) slackMetrics() slack.Metrics {
	if d.metrics == nil {
		return slack.Metrics{}
	}
	return d.metrics.slack()
}

func (d Deps) discordMetrics() discord.Metrics {
	if d.metrics == nil {
		return discord.Metrics{}
	}
	return d.metrics.discord()
}

// offReason says why p is off, or "" when it is on.
func offReason(p Platform, s Secrets) string {
	if m := p.Missing(s); len(m) > 0 {
		return "unset " + strings.Join(m, ", ")
	}
	if p.New == nil {
		return "not in this build"
	}
	return ""
}

var _ Drainer = (*slack.Adapter)(nil)
var _ Drainer = (*discord.Adapter)(nil)

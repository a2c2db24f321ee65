package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecretsValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Secrets
		want []string
	}{
		{"none", Secrets{}, nil},
		{"all", Secrets{
			WidgetSecret: "w", AdminToken: "a", SlackBotToken: "sb", SlackSigningSecret: "ss",
			SlackAppToken: "sa", DiscordBotToken: "db", APIKeys: "k1, k2,,",
			RedisURL: "redis://x", DiscordPublicKey: "public",
		}, []string{"w", "a", "sb", "ss", "sa", "db", "k1", "k2"}},
		{"keys only", Secrets{APIKeys: " k "}, []string{"k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.in.Values()); diff != "" {
				t.Errorf("Values() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

package slack

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(mentionBody("Ev1", "<@UBOT> hi", "1.000001", "")))
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"E","event":{"type":"message","subtype":"message_changed","message":{"text":"x"}}}`))
	f.Add([]byte(`{"type":"app_rate_limited","minute_rate_limited":1518467820}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		if env.Type == "" {
			t.Fatal("parseEnvelope accepted an envelope without type")
		}
		var ev event
		_ = jsonUnmarshal(env.Event, &ev)
		_ = ignored(ev, false)
		_ = parseTS(ev.TS)
	})
}

func FuzzParseInteraction(f *testing.F) {
	f.Add([]byte(interactionBody(actionHelpful, `{"c":"C1"}`, "1.2")))
	f.Add([]byte("payload=%7B%7D"))
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5Bnull%5D%7D"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := ParseInteraction(body)
		if err != nil {
			return
		}
		_ = cb.ActionCallback.BlockActions
	})
}

// Formatting never panics, keeps UTF-8 valid, and never lets a model's
// text open a Slack link or mention that Mrkdwn did not make itself.
func FuzzMrkdwn(f *testing.F) {
	for _, s := range []string{"**a** *b* [c](https://d.example) `e` ```f``` <!channel> & ~~g~~",
		"# h\n* i\n- j", "```\n**x**", "it`s", "\x00\x00", "[a](https://x.example/<b>)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := Mrkdwn(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Mrkdwn(%q) = %q: invalid UTF-8", s, out)
		}
		if strings.Contains(out, "<!") || strings.Contains(out, "<@") || strings.Contains(out, "<#") {
			t.Fatalf("Mrkdwn(%q) = %q: a mention got through", s, out)
		}
		for _, max := range []int{40, MaxSectionChars} {
			pieces := Split(out, max)
			for _, p := range pieces {
				if utf8.RuneCountInString(p) > max {
					t.Fatalf("Split(%q, %d) has a piece of %d characters", out, max, utf8.RuneCountInString(p))
				}
			}
		}
	})
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<@UBOT> hi", "<@U1|a> <#C1|b> <!here> <https://x|y> &amp;", "<<@>>", "<|>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := PlainText(s, "UBOT")
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("PlainText(%q) = %q: invalid UTF-8", s, out)
		}
		if strings.Contains(out, "<@UBOT>") && !strings.Contains(s, "&lt;@UBOT&gt;") {
			t.Fatalf("PlainText(%q) = %q: bot mention left", s, out)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add(officialSig, officialTS, []byte(officialBody))
	f.Add("v0=", "", []byte{})
	f.Add("v0=zz", "99999999999999", []byte("x"))
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		h := http.Header{}
		h.Set(HeaderSignature, sig)
		h.Set(HeaderTimestamp, ts)
		err := Verify(h, body, officialSecret, time.Unix(1531420618, 0))
		if err == nil && (sig != officialSig || ts != officialTS || string(body) != officialBody) {
			t.Fatalf("Verify accepted sig %q ts %q body %q", sig, ts, body)
		}
	})
}

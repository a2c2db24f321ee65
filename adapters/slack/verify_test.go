package slack

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The worked example of Slack's "Verifying requests from Slack" page.
const (
	officialSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	officialTS     = "1531420618"
	officialBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	officialSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestVerify(t *testing.T) {
	signedAt := time.Unix(1531420618, 0)
	hdr := func(sig, ts string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		if ts != "" {
			h.Set(HeaderTimestamp, ts)
		}
		return h
	}
	// slack-go's own vector (security_test.go, v0.35.0).
	goBody := `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`
	tests := []struct {
		name   string
		header http.Header
		body   string
		secret string
		now    time.Time
		want   error
	}{
		{"official vector", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt, nil},
		{"official vector, 4m59s later", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(299 * time.Second), nil},
		{"official vector, exactly 5m later", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(5 * time.Minute), nil},
		{"official vector, exactly 5m earlier", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(-5 * time.Minute), nil},
		{"slack-go vector", hdr("v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c", "1531431954"), goBody, "e6b19c573432dcc6b075501d51b51bb8", time.Unix(1531431954, 0), nil},
		{"tampered body", hdr(officialSig, officialTS), strings.Replace(officialBody, "roadrunner", "coyote", 1), officialSecret, signedAt, ErrBadSignature},
		{"body with a byte appended", hdr(officialSig, officialTS), officialBody + "&", officialSecret, signedAt, ErrBadSignature},
		{"wrong secret", hdr(officialSig, officialTS), officialBody, "8f742231b10e8888abcd99yyyzzz85a6", signedAt, ErrBadSignature},
		{"signature of another timestamp", hdr(officialSig, "1531420619"), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"one hex digit changed", hdr(officialSig[:len(officialSig)-1]+"4", officialTS), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"uppercase version", hdr("V0="+officialSig[3:], officialTS), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"v1 version", hdr("v1="+officialSig[3:], officialTS), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"short signature", hdr(officialSig[:40], officialTS), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"not hex", hdr("v0=zz"+officialSig[5:], officialTS), officialBody, officialSecret, signedAt, ErrBadSignature},
		{"stale by 5m1s", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(301 * time.Second), ErrStaleRequest},
		{"stale by a day", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(24 * time.Hour), ErrStaleRequest},
		{"future by 5m1s", hdr(officialSig, officialTS), officialBody, officialSecret, signedAt.Add(-301 * time.Second), ErrStaleRequest},
		{"missing signature", hdr("", officialTS), officialBody, officialSecret, signedAt, ErrMissingHeaders},
		{"missing timestamp", hdr(officialSig, ""), officialBody, officialSecret, signedAt, ErrMissingHeaders},
		{"missing both", hdr("", ""), officialBody, officialSecret, signedAt, ErrMissingHeaders},
		{"negative timestamp", hdr(officialSig, "-1531420618"), officialBody, officialSecret, signedAt, ErrMalformedSignTime},
		{"fractional timestamp", hdr(officialSig, "1531420618.5"), officialBody, officialSecret, signedAt, ErrMalformedSignTime},
		{"huge timestamp", hdr(officialSig, "99999999999999999999"), officialBody, officialSecret, signedAt, ErrMalformedSignTime},
		{"no secret configured", hdr(officialSig, officialTS), officialBody, "", signedAt, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.header, []byte(tt.body), tt.secret, tt.now); !errors.Is(got, tt.want) {
				t.Errorf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSignMatchesOfficialVector(t *testing.T) {
	if got := Sign(officialSecret, 1531420618, []byte(officialBody)); got != officialSig {
		t.Errorf("Sign() = %s, want %s", got, officialSig)
	}
}

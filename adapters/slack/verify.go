package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request signing (https://api.slack.com/authentication/verifying-requests-from-slack).
const (
	// HeaderSignature carries "v0=" and the hex HMAC-SHA256 of the base string.
	HeaderSignature = "X-Slack-Signature"
	// HeaderTimestamp carries the Unix seconds the request was signed at.
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// HeaderRetryNum is set on Slack's redeliveries of an event (1, 2, 3).
	HeaderRetryNum = "X-Slack-Retry-Num"

	// MaxClockSkew is the replay window: a request signed further from now
	// than this, in the past or the future, is refused.
	MaxClockSkew = 5 * time.Minute

	signatureVersion = "v0"
)

// Errors of Verify. Each means the request is refused (HTTP 401).
var (
	ErrNoSecret          = errors.New("slack: no signing secret configured")
	ErrMissingHeaders    = errors.New("slack: missing " + HeaderSignature + " or " + HeaderTimestamp + " header")
	ErrMalformedSignTime = errors.New("slack: malformed " + HeaderTimestamp + " header")
	ErrStaleRequest      = errors.New("slack: request timestamp outside the 5-minute window")
	ErrBadSignature      = errors.New("slack: invalid request signature")
)

// Verify checks that body was signed by Slack with secret, at a time
// within MaxClockSkew of now. The MAC is HMAC-SHA256 keyed with secret (its
// raw bytes) over "v0:<timestamp>:<body>", compared in constant time. It
// returns nil or one of the errors above.
func Verify(h http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	sig, tsText := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || tsText == "" {
		return ErrMissingHeaders
	}
	ts, err := parseUnix(tsText)
	if err != nil {
		return ErrMalformedSignTime
	}
	if skew := now.Sub(time.Unix(ts, 0)).Abs(); skew > MaxClockSkew {
		return ErrStaleRequest
	}
	hexMAC, ok := strings.CutPrefix(sig, signatureVersion+"=")
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexMAC)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	if !hmac.Equal(got, mac(secret, tsText, body)) {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the X-Slack-Signature value for body signed at ts (Unix
// seconds) with secret. Tests and tools use it to build Slack requests.
func Sign(secret string, ts int64, body []byte) string {
	return signatureVersion + "=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts, 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signatureVersion + ":" + ts + ":"))
	m.Write(body)
	return m.Sum(nil)
}

// parseUnix parses a decimal Unix time of at most 12 digits (no sign, no
// spaces), so absurd values cannot overflow the skew arithmetic.
func parseUnix(s string) (int64, error) {
	if len(s) == 0 || len(s) > 12 {
		return 0, ErrMalformedSignTime
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrMalformedSignTime
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

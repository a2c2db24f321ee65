package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the signature of a server-to-server request and
// of a callback delivery: "t=<unix seconds>,v1=<hex>", where the hex is
// HMAC-SHA256(secret, "<t>.<body>"). Several v1 entries may appear (secret
// rotation); one matching is enough.
const SignatureHeader = "X-Switchboard-Signature"

// DefaultTolerance is how far a signature's timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// maxSignatureLen bounds the header before it is parsed.
const maxSignatureLen = 1024

// Signature errors, wrapped by VerifySignature.
var (
	ErrNoSignature      = errors.New("web: no signature header")
	ErrBadSignature     = errors.New("web: malformed signature header")
	ErrSignatureMatch   = errors.New("web: no matching signature")
	ErrSignatureExpired = errors.New("web: signature timestamp outside tolerance")
)

// Sign returns the SignatureHeader value for body at time t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// A parsedSignature is a SignatureHeader value taken apart.
type parsedSignature struct {
	ts   string // as sent, so the MAC covers exactly those bytes
	unix int64
	v1   [][]byte
}

// parseSignature parses "t=<unix>,v1=<hex>[,v1=<hex>...]"; unknown schemes
// (v0=...) are ignored.
func parseSignature(header string) (parsedSignature, error) {
	var p parsedSignature
	if len(header) > maxSignatureLen {
		return p, fmt.Errorf("%w: too long", ErrBadSignature)
	}
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return p, fmt.Errorf("%w: %q has no '='", ErrBadSignature, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 || p.ts != "" {
				return p, fmt.Errorf("%w: bad timestamp", ErrBadSignature)
			}
			p.ts, p.unix = v, n
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return p, fmt.Errorf("%w: bad v1 value", ErrBadSignature)
			}
			p.v1 = append(p.v1, b)
		}
	}
	if p.ts == "" || len(p.v1) == 0 {
		return p, fmt.Errorf("%w: needs t= and v1=", ErrBadSignature)
	}
	return p, nil
}

// VerifySignature checks header against body: a well-formed header, a
// timestamp within tolerance of now (either direction) and a v1 MAC equal,
// in constant time, to the expected one.
func VerifySignature(secret, body []byte, header string, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoSignature
	}
	p, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, p.ts, body)
	matched := false
	for _, got := range p.v1 {
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMatch
	}
	if d := now.Sub(time.Unix(p.unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %v off", ErrSignatureExpired, d.Round(time.Second))
	}
	return nil
}

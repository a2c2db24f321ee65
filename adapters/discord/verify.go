package discord

import (
	"crypto/ed25519"
	"encoding/hex"
)

// Headers Discord signs interactions with.
const (
	HeaderSignature = "X-Signature-Ed25519"
	HeaderTimestamp = "X-Signature-Timestamp"
)

// Verify checks the Ed25519 signature Discord puts on an interaction
// request: sig is the hex X-Signature-Ed25519 header, timestamp the
// X-Signature-Timestamp header, and the signed message is timestamp
// followed by the raw body. It returns ErrBadSignature when a header is
// missing, sig is not 64 hex-encoded bytes, or the signature does not
// verify with key.
//
// The timestamp's age is not checked (Discord does not ask for it); a
// replayed interaction carries the same interaction id, which the
// Handler's dedup drops.
func Verify(key ed25519.PublicKey, sig, timestamp string, body []byte) error {
	if len(key) != ed25519.PublicKeySize || sig == "" || timestamp == "" {
		return ErrBadSignature
	}
	raw, err := hex.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return ErrBadSignature
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	if !ed25519.Verify(key, msg, raw) {
		return ErrBadSignature
	}
	return nil
}

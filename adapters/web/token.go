package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// MaxConversationIDLen bounds a client-supplied conversation id.
const MaxConversationIDLen = 64

// Token returns the widget token of a conversation:
// hex(HMAC-SHA256(secret, conversationID)).
func Token(secret []byte, conversationID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(conversationID))
	return hex.EncodeToString(m.Sum(nil))
}

// validToken reports, in constant time, whether token is the token of
// conversationID.
func validToken(secret []byte, conversationID, token string) bool {
	got, err := hex.DecodeString(token)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(conversationID))
	return hmac.Equal(got, m.Sum(nil))
}

// validConversationID reports whether id is safe to use as a conversation
// id: 1 to MaxConversationIDLen characters of [A-Za-z0-9_-]. The charset
// keeps ids out of Redis hash tags and apart from signed webhook payloads
// (which always contain '.').
func validConversationID(id string) bool {
	if id == "" || len(id) > MaxConversationIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newID returns a random identifier of 32 hex digits.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// firstConversationID names the conversation a first message (one
// without a conversation_id) starts: a random id, or, when the message
// carries a message_id, hex(HMAC-SHA256(secret, "conversation\x00" +
// caller + "\x00" + message_id))[:32], where caller is the user id (and
// for the widget, the client address before it), so that a retry of a first
// message whose reply was lost (the client never learnt the id) lands in
// the same conversation and gets that reply. A conversation id is never
// "conversation\x00...", so these MACs are apart from tokens.
func firstConversationID(secret []byte, caller, messageID string) string {
	if messageID == "" {
		return newID()
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("conversation\x00" + caller + "\x00" + messageID))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// NewSecret returns a random 32-byte secret, for a server started without
// WIDGET_SECRET.
func NewSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

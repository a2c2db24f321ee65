package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	pub, _ := ParsePublicKey(rfcPub)
	body := []byte(askBody("I1", "How do I reset my password?"))
	sig := hex.EncodeToString(ed25519.Sign(rfcKey(b), append([]byte("1700000000"), body...)))
	for b.Loop() {
		if err := Verify(pub, sig, "1700000000", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	text := strings.Repeat("Parcels are delivered within three working days in most countries. ", 150) // ~10k chars
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Split(text, MaxMessageChars)
	}
}

// BenchmarkInteractionPing is the whole signed PING path of
// POST /discord/interactions (verify, decode, answer).
func BenchmarkInteractionPing(b *testing.B) {
	a, err := New(Options{Handler: &fakeHandler{}, PublicKey: rfcPub, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"id":"1","type":1,"application_id":"APP","token":"t"}`
	sig := hex.EncodeToString(ed25519.Sign(rfcKey(b), []byte("1700000000"+body)))
	for b.Loop() {
		req := httptest.NewRequest("POST", "/discord/interactions", strings.NewReader(body))
		req.Header.Set(HeaderTimestamp, "1700000000")
		req.Header.Set(HeaderSignature, sig)
		w := httptest.NewRecorder()
		a.handleInteractions(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

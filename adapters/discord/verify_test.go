package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"
)

// RFC 8032 §7.1 TEST 1.
const (
	rfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfcPub  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	rfcSig  = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	// A Discord-shaped signature with the RFC key over "1608597133" +
	// `{"type":1}` (derived in shared/reference/protocols.md §2.5, accepted
	// by discordgo.VerifyInteraction).
	derivedTimestamp = "1608597133"
	derivedBody      = `{"type":1}`
	derivedSig       = "5ab3087e79bdf62aa525d5a1d4cc108ffa0330d84e84db163fe368150a56a217ba0d1bc121c713cbcfd3a4effa86afc6029be4a270a7a41a97815574105d7502"
)

// rfcKey returns the RFC 8032 TEST 1 private key.
func rfcKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	seed, err := hex.DecodeString(rfcSeed)
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func TestRFC8032Vector(t *testing.T) {
	priv := rfcKey(t)
	pub, err := ParsePublicKey(rfcPub)
	if err != nil {
		t.Fatalf("ParsePublicKey(%s) = %v", rfcPub, err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatalf("public key from seed = %x, want %s", priv.Public(), rfcPub)
	}
	if got := hex.EncodeToString(ed25519.Sign(priv, nil)); got != rfcSig {
		t.Errorf("Sign(empty) = %s, want %s", got, rfcSig)
	}
	sig, _ := hex.DecodeString(rfcSig)
	if !ed25519.Verify(pub, nil, sig) {
		t.Errorf("RFC 8032 TEST 1 signature does not verify")
	}
	// Verify signs timestamp||body: an empty timestamp is refused even
	// though the RFC signature over the empty message is valid.
	if err := Verify(pub, rfcSig, "", nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(RFC vector, no timestamp) = %v, want ErrBadSignature", err)
	}
}

func TestVerify(t *testing.T) {
	pub, err := ParsePublicKey(rfcPub)
	if err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	flipped := []byte(derivedSig)
	flipped[10] ^= 1 // still hex: '8' <-> '9' etc.
	if flipped[10] < '0' || flipped[10] > 'f' {
		t.Fatalf("test setup: flipped byte is not hex")
	}
	tests := []struct {
		name          string
		key           ed25519.PublicKey
		sig, ts, body string
		wantErr       bool
	}{
		{"derived discord vector", pub, derivedSig, derivedTimestamp, derivedBody, false},
		{"uppercase hex signature", pub, upper(derivedSig), derivedTimestamp, derivedBody, false},
		{"tampered body", pub, derivedSig, derivedTimestamp, `{"type":2}`, true},
		{"body with trailing space", pub, derivedSig, derivedTimestamp, derivedBody + " ", true},
		{"tampered timestamp", pub, derivedSig, "1608597134", derivedBody, true},
		{"timestamp moved into body", pub, derivedSig, "", derivedTimestamp + derivedBody, true},
		{"flipped signature", pub, string(flipped), derivedTimestamp, derivedBody, true},
		{"other key", other, derivedSig, derivedTimestamp, derivedBody, true},
		{"missing signature", pub, "", derivedTimestamp, derivedBody, true},
		{"missing timestamp", pub, derivedSig, "", derivedBody, true},
		{"signature not hex", pub, "zz" + derivedSig[2:], derivedTimestamp, derivedBody, true},
		{"short signature", pub, derivedSig[:126], derivedTimestamp, derivedBody, true},
		{"long signature", pub, derivedSig + "00", derivedTimestamp, derivedBody, true},
		{"no key", nil, derivedSig, derivedTimestamp, derivedBody, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.key, tt.sig, tt.ts, []byte(tt.body))
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("Verify() = %v, want error %t", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify() = %v, want ErrBadSignature", err)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestParsePublicKey(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"rfc key", rfcPub, false},
		{"surrounding space", " " + rfcPub + "\n", false},
		{"not hex", "xyz", true},
		{"too short", rfcPub[:62], true},
		{"too long", rfcPub + "00", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePublicKey(tt.in)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("ParsePublicKey(%q) = %v, want error %t", tt.in, err, tt.wantErr)
			}
		})
	}
}

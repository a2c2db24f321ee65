package tokenizer

// GPT-2's byte-to-unicode table: byte-level vocabularies spell every byte
// as one printable rune. Printable Latin-1 bytes map to themselves; the
// other 68 bytes map, in order, to U+0100 and up.
var (
	byteToRune [256]rune
	runeToByte = make(map[rune]byte, 256)
)

func init() {
	next := rune(256)
	for b := range 256 {
		r := rune(b)
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if !printable {
			r = next
			next++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

// byteLevelDecode returns the bytes that s spells in GPT-2's byte-to-unicode
// form, and false when s holds a rune outside that alphabet.
func byteLevelDecode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

// byteLevelEncode spells raw bytes in GPT-2's byte-to-unicode form.
func byteLevelEncode(raw []byte) string {
	rs := make([]rune, len(raw))
	for i, b := range raw {
		rs[i] = byteToRune[b]
	}
	return string(rs)
}

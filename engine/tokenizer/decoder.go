package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// A Decoder turns a stream of token ids into text, holding back the bytes
// of a character split across tokens (or spelled by byte-fallback tokens)
// until the character is complete. The concatenation of everything Next
// and Flush return equals Decode of the same ids. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	t       *Tokenizer
	pending []byte
	started bool // a text piece has been produced (SentencePiece strips the dummy prefix before that)
}

// NewDecoder returns a Decoder for a new stream.
func (t *Tokenizer) NewDecoder() *Decoder { return &Decoder{t: t} }

// piece returns the bytes id decodes to at this point of the stream.
func (d *Decoder) piece(id int) string {
	t := d.t
	if id < 0 || id >= t.text.len() {
		return ""
	}
	p := t.text.at(id)
	if t.types[id] == TypeControl {
		return p
	}
	if !d.started && t.spm != nil && t.spm.norm.addDummyPrefix && t.types[id] != TypeByte && len(p) > 0 && p[0] == ' ' {
		p = p[1:]
	}
	d.started = true
	return p
}

// appendTo writes the bytes of id to b, without holding anything back.
func (d *Decoder) appendTo(b *strings.Builder, id int) {
	b.WriteString(d.piece(id))
}

// Next adds id to the stream and returns the text that is now complete:
// possibly "", possibly more than id's own text.
func (d *Decoder) Next(id int) string {
	d.pending = append(d.pending, d.piece(id)...)
	n := completeUTF8(d.pending)
	if n == 0 {
		return ""
	}
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns whatever is held back (an incomplete character at the end
// of the stream, as raw bytes) and empties the Decoder.
func (d *Decoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completeUTF8 returns the length of the longest prefix of b that does not
// end inside a UTF-8 sequence that could still be completed. Bytes that can
// never form a character are not held back.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if b[i]&0xC0 == 0x80 {
			continue // continuation byte: look further back for the lead
		}
		if !utf8.FullRune(b[i:]) {
			return i
		}
		break
	}
	return len(b)
}

package engine

import "github.com/switchboard/switchboard/engine/gguf"

// A Tokenizer turns text into token ids and back. The engine uses the
// implementation in engine/tokenizer.
type Tokenizer interface {
	Encode(text string) []int        // special-token strings stay plain text
	EncodeSpecial(text string) []int // special-token strings become their tokens
	Decode(ids []int) string
	BOS() int // -1 when none
	EOS() int // -1 when none
	AddBOS() bool
	IsEOG(id int) bool // end of generation
}

func (m *Model) loadHFTokenizer(dir string) error { return nil }

func (m *Model) loadGGUFTokenizer(f *gguf.File) error { return nil }

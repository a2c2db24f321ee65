package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxFileSize bounds the tokenizer files Load reads whole.
const maxFileSize = 256 << 20

// Load reads a tokenizer from a Hugging Face tokenizer.json (byte-level
// BPE), a SentencePiece tokenizer.model (BPE with byte fallback), a GGUF
// file (see FromGGUF), or a folder holding a tokenizer.json or
// tokenizer.model. BOS, EOS and whether to add BOS come from
// tokenizer_config.json, generation_config.json and config.json beside the
// file when present. In a folder, tokenizer.json is preferred, except that
// tokenizer.model is when the tokenizer.json is SentencePiece-style or
// cannot be used.
func Load(path string) (*Tokenizer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	if !fi.IsDir() {
		return loadFile(path)
	}
	jsonPath, modelPath := filepath.Join(path, "tokenizer.json"), filepath.Join(path, "tokenizer.model")
	var errs []error
	if exists(jsonPath) {
		t, err := loadFile(jsonPath)
		switch {
		case err != nil:
			errs = append(errs, err)
		case t.Model() != ModelSPM || !exists(modelPath):
			return t, nil
		default:
			// A SentencePiece-style tokenizer.json only approximates
			// SentencePiece's merge order; tokenizer.model is exact.
			if exact, err := loadFile(modelPath); err == nil {
				return exact, nil
			}
			return t, nil
		}
	}
	if exists(modelPath) {
		t, err := loadFile(modelPath)
		if err == nil {
			return t, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("load tokenizer: no tokenizer.json or tokenizer.model in %s", path)
	}
	return nil, errors.Join(errs...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func loadFile(path string) (*Tokenizer, error) {
	if isGGUF(path) {
		t, err := loadGGUF(path)
		if err != nil {
			return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
		}
		return t, nil
	}
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	side := readSidecar(filepath.Dir(path))
	var t *Tokenizer
	if filepath.Ext(path) == ".json" || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		t, err = parseHFJSON(data, side)
	} else {
		t, err = parseSPM(data, side)
	}
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	return t, nil
}

// isGGUF reports whether the file at path starts with GGUF's magic.
func isGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "GGUF"
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("read %s: %d bytes, more than %d", path, fi.Size(), maxFileSize)
	}
	return os.ReadFile(path)
}

// sidecar is what the JSON files beside a tokenizer say about its special
// tokens. Nil fields were not given.
type sidecar struct {
	bos, eos       *string // token text (tokenizer_config.json)
	addBOS, addEOS *bool
	bosID          *int
	eosIDs         []int // generation_config.json, then config.json
}

// readSidecar reads tokenizer_config.json, generation_config.json and
// config.json in dir; missing or unreadable files are ignored, as they are
// optional.
func readSidecar(dir string) sidecar {
	var s sidecar
	var tc struct {
		BOS    json.RawMessage `json:"bos_token"`
		EOS    json.RawMessage `json:"eos_token"`
		AddBOS *bool           `json:"add_bos_token"`
		AddEOS *bool           `json:"add_eos_token"`
	}
	if readJSON(filepath.Join(dir, "tokenizer_config.json"), &tc) {
		s.bos, s.eos = tokenText(tc.BOS), tokenText(tc.EOS)
		s.addBOS, s.addEOS = tc.AddBOS, tc.AddEOS
	}
	for _, name := range []string{"generation_config.json", "config.json"} {
		var gc struct {
			BOS *int            `json:"bos_token_id"`
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if !readJSON(filepath.Join(dir, name), &gc) {
			continue
		}
		if s.bosID == nil {
			s.bosID = gc.BOS
		}
		if s.eosIDs == nil {
			var one int
			var many []int
			if json.Unmarshal(gc.EOS, &one) == nil {
				s.eosIDs = []int{one}
			} else if json.Unmarshal(gc.EOS, &many) == nil {
				s.eosIDs = many
			}
		}
	}
	return s
}

func readJSON(path string, v any) bool {
	data, err := readLimited(path)
	return err == nil && json.Unmarshal(data, v) == nil
}

// tokenText reads a token given as "text" or {"content": "text"}.
func tokenText(raw json.RawMessage) *string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &s
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Content
	}
	return nil
}

// Well-known names, for files that do not say which token is BOS or EOS.
var (
	bosNames = []string{"<|begin_of_text|>", "<s>", "<|startoftext|>", "<|endoftext|>"}
	eosNames = []string{"<|end_of_text|>", "</s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>"}
)

// applySidecar sets BOS, EOS, AddBOS and AddEOS of v from side, then from
// a TemplateProcessing post-processor, then from well-known names. It
// returns further end-of-generation ids (generation_config.json's list).
func applySidecar(v *Vocab, side sidecar, post json.RawMessage) []int {
	find := func(s string) int {
		for id, tok := range v.Tokens {
			if tok == s {
				return id
			}
		}
		return -1
	}
	inRange := func(id int) bool { return id >= 0 && id < len(v.Tokens) }
	first, last, hasTemplate := templateTokens(post)

	switch {
	case side.bos != nil && find(*side.bos) >= 0:
		v.BOS = find(*side.bos)
	case side.bosID != nil && inRange(*side.bosID):
		v.BOS = *side.bosID
	case first != "" && find(first) >= 0:
		v.BOS = find(first)
	case v.BOS < 0:
		for _, name := range bosNames {
			if id := find(name); id >= 0 {
				v.BOS = id
				break
			}
		}
	}
	var extra []int
	for _, id := range side.eosIDs {
		if inRange(id) {
			extra = append(extra, id)
		}
	}
	switch {
	case side.eos != nil && find(*side.eos) >= 0:
		v.EOS = find(*side.eos)
	case len(extra) > 0:
		v.EOS = extra[0]
	case v.EOS < 0:
		for _, name := range eosNames {
			if id := find(name); id >= 0 {
				v.EOS = id
				break
			}
		}
	}
	if hasTemplate {
		v.AddBOS = first != ""
		v.AddEOS = last != ""
	}
	if side.addBOS != nil {
		v.AddBOS = *side.addBOS
	}
	if side.addEOS != nil {
		v.AddEOS = *side.addEOS
	}
	return extra
}

// templateTokens reads a TemplateProcessing post-processor (alone or in a
// Sequence) and returns the special tokens it puts before and after a
// single sequence.
func templateTokens(raw json.RawMessage) (first, last string, ok bool) {
	type piece struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
	}
	var p struct {
		Type       string            `json:"type"`
		Single     []piece           `json:"single"`
		Processors []json.RawMessage `json:"processors"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return "", "", false
	}
	if p.Type == "Sequence" {
		for _, sub := range p.Processors {
			if f, l, ok := templateTokens(sub); ok {
				return f, l, ok
			}
		}
		return "", "", false
	}
	if p.Type != "TemplateProcessing" || len(p.Single) == 0 {
		return "", "", false
	}
	if st := p.Single[0].SpecialToken; st != nil {
		first = st.ID
	}
	if st := p.Single[len(p.Single)-1].SpecialToken; st != nil && len(p.Single) > 1 {
		last = st.ID
	}
	return first, last, true
}

package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

// loadHFTokenizer reads tokenizer.json (or tokenizer.model) and the chat
// template of tokenizer_config.json from a model folder.
func (m *Model) loadHFTokenizer(dir string) error {
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return err
	}
	source := "tokenizer.json"
	if tok.Model() == tokenizer.ModelSPM {
		source = "tokenizer.model"
	}
	if err := m.setTokenizer(tok, source); err != nil {
		return err
	}
	var tc struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	cfg := filepath.Join(dir, "tokenizer_config.json")
	if _, err := os.Stat(cfg); err == nil {
		if err := readJSON(cfg, &tc); err != nil {
			return fmt.Errorf("read tokenizer_config.json: %w", err)
		}
	}
	m.Info.RawTemplate = hfChatTemplate(tc.ChatTemplate)
	m.Template = DetectTemplate(m.Info.RawTemplate)
	return nil
}

// hfChatTemplate returns the chat template of tokenizer_config.json, which
// is either a string or a list of named templates ("default" preferred).
func hfChatTemplate(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var named []struct{ Name, Template string }
	if json.Unmarshal(raw, &named) == nil {
		for _, n := range named {
			if n.Name == "default" {
				return n.Template
			}
		}
		if len(named) > 0 {
			return named[0].Template
		}
	}
	return ""
}

// loadGGUFTokenizer reads the tokenizer.ggml.* metadata and
// tokenizer.chat_template.
func (m *Model) loadGGUFTokenizer(f *gguf.File) error {
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return fmt.Errorf("load tokenizer: %w", err)
	}
	if err := m.setTokenizer(tok, "gguf"); err != nil {
		return err
	}
	m.Info.RawTemplate, _ = f.String("tokenizer.chat_template")
	m.Template = DetectTemplate(m.Info.RawTemplate)
	return nil
}

func (m *Model) setTokenizer(tok *tokenizer.Tokenizer, source string) error {
	if tok.Len() > m.Config.Vocab {
		return fmt.Errorf("%w: tokenizer has %d tokens, the model %d", ErrConfig, tok.Len(), m.Config.Vocab)
	}
	m.Tokenizer = tok
	m.Info.Tokenizer = fmt.Sprintf("%s, %d tokens (%s)", tok.Model(), tok.Len(), source)
	return nil
}

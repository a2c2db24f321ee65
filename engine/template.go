package engine

import (
	"strings"

	"github.com/switchboard/switchboard/engine/tokenizer"
)

// A Template renders chat messages into a prompt in one of the formats
// models are trained on. The zero value renders ChatML. Templates are recognised from the Jinja text that
// model files carry (GGUF tokenizer.chat_template, tokenizer_config.json
// chat_template), not executed.
type Template struct {
	Name   string // "chatml", "llama3", "llama2" or "mistral"
	render func(msgs []ChatMessage) []segment
}

// A segment is a piece of a rendered prompt: text typed by someone, or a
// marker of the template, which becomes a special token when the
// vocabulary has one of that spelling.
type segment struct {
	text   string
	marker bool
}

// Markers standing for the tokenizer's own BOS and EOS tokens, whatever
// their spelling.
const (
	markBOS = "\x00bos"
	markEOS = "\x00eos"
)

// The supported templates.
var (
	ChatML  = Template{Name: "chatml", render: renderChatML}
	Llama3  = Template{Name: "llama3", render: renderLlama3}
	Llama2  = Template{Name: "llama2", render: renderLlama2}
	Mistral = Template{Name: "mistral", render: renderMistral}
)

// DetectTemplate recognises a chat template by its markers, falling back
// to ChatML for an empty or unknown template.
func DetectTemplate(jinja string) Template {
	switch {
	case strings.Contains(jinja, "<|start_header_id|>"):
		return Llama3
	case strings.Contains(jinja, "<|im_start|>"):
		return ChatML
	case strings.Contains(jinja, "<<SYS>>"):
		return Llama2
	case strings.Contains(jinja, "[INST]"):
		return Mistral
	}
	return ChatML
}

func renderChatML(msgs []ChatMessage) []segment {
	var s []segment
	for _, m := range msgs {
		s = append(s, segment{"<|im_start|>", true}, segment{text: m.Role + "\n" + m.Content}, segment{"<|im_end|>", true}, segment{text: "\n"})
	}
	return append(s, segment{"<|im_start|>", true}, segment{text: "assistant\n"})
}

func renderLlama3(msgs []ChatMessage) []segment {
	s := []segment{{markBOS, true}}
	for _, m := range msgs {
		s = append(s, segment{"<|start_header_id|>", true}, segment{text: m.Role}, segment{"<|end_header_id|>", true},
			segment{text: "\n\n" + strings.TrimSpace(m.Content)}, segment{"<|eot_id|>", true})
	}
	return append(s, segment{"<|start_header_id|>", true}, segment{text: "assistant"}, segment{"<|end_header_id|>", true}, segment{text: "\n\n"})
}

// splitSystem returns the system message (if the first) and the rest.
func splitSystem(msgs []ChatMessage) (string, []ChatMessage) {
	if len(msgs) > 0 && msgs[0].Role == "system" {
		return strings.TrimSpace(msgs[0].Content), msgs[1:]
	}
	return "", msgs
}

func renderLlama2(msgs []ChatMessage) []segment {
	system, rest := splitSystem(msgs)
	var s []segment
	for i, m := range rest {
		content := strings.TrimSpace(m.Content)
		if m.Role == "assistant" {
			s = append(s, segment{text: " " + content + " "}, segment{markEOS, true})
			continue
		}
		if i == 0 && system != "" {
			content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
		}
		s = append(s, segment{markBOS, true}, segment{text: "[INST] " + content + " [/INST]"})
	}
	return s
}

func renderMistral(msgs []ChatMessage) []segment {
	system, rest := splitSystem(msgs)
	s := []segment{{markBOS, true}}
	for i, m := range rest {
		content := strings.TrimSpace(m.Content)
		if m.Role == "assistant" {
			s = append(s, segment{text: content}, segment{markEOS, true})
			continue
		}
		if i == 0 && system != "" {
			content = system + "\n\n" + content
		}
		s = append(s, segment{"[INST]", true}, segment{text: " " + content + " "}, segment{"[/INST]", true})
	}
	return s
}

// Encode renders msgs and returns the prompt's token ids. Markers of the
// template become special tokens where the vocabulary has them; everything
// else, the messages above all, is encoded as plain text, so special-token
// strings typed by a user stay text.
func (t Template) Encode(tok *tokenizer.Tokenizer, msgs []ChatMessage) []int {
	var ids []int
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			ids = append(ids, tok.Encode(text.String())...)
			text.Reset()
		}
	}
	render := t.render
	if render == nil {
		render = renderChatML // the zero Template is ChatML
	}
	segs := render(msgs)
	if t.Name == "chatml" && tok.AddBOS() {
		segs = append([]segment{{markBOS, true}}, segs...)
	}
	for _, s := range segs {
		if !s.marker {
			text.WriteString(s.text)
			continue
		}
		id := -1
		switch s.text {
		case markBOS:
			id = tok.BOS()
		case markEOS:
			id = tok.EOS()
		default:
			if i, ok := tok.ID(s.text); ok && tok.Type(i) != tokenizer.TypeNormal {
				id = i
			}
		}
		if id < 0 {
			if s.text != markBOS && s.text != markEOS {
				text.WriteString(s.text) // the vocabulary has no such token: plain text
			}
			continue
		}
		flush()
		ids = append(ids, id)
	}
	flush()
	return ids
}

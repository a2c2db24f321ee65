// Package prompt assembles what a generative model sees for one turn:
// the system prompt, the retrieved snippets, recent history and the
// question, cut to a token budget.
//
// Build is the one place this happens. The conversation pipeline's
// generative answerer and the trainer's data generator both call it, so
// the model is trained on exactly the prompts it later answers.
package prompt

import (
	"fmt"
	"strings"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// DefaultBudget is the token budget used when Input.Budget is zero.
const DefaultBudget = 1024

// messageOverhead is the approximate number of template tokens a chat
// template adds around each message (role markers, separators).
const messageOverhead = 4

// Unknown is what a model says when the snippets do not answer the
// question: the trainer teaches it, and constrained decoding offers it.
const Unknown = "I'm sorry, I don't know the answer to that. Would you like me to connect you with a human agent?"

// DefaultSystem is the system prompt used when Input.System is empty.
const DefaultSystem = conversation.DefaultSystemPrompt

// An Input is everything a prompt is made of.
type Input struct {
	// System is the system prompt. Empty means DefaultSystem.
	System string
	// Snippets are the retrieved passages, best first. They are numbered
	// [1], [2], ... in the prompt.
	Snippets []knowledge.Snippet
	// History is the recent conversation, oldest first, with roles "user"
	// and "assistant". It should not include Question.
	History []engine.ChatMessage
	// Question is the user's current message.
	Question string
	// Budget is the most tokens the prompt may take. Zero or less means
	// DefaultBudget.
	Budget int
	// Count returns the number of tokens of a text. Nil means Approx.
	Count func(string) int
}

// A Prompt is an assembled prompt in two renderings of the same content.
type Prompt struct {
	// Messages is the prompt for models with a chat template: one system
	// message (instructions and snippets), the kept history, and the
	// question as the last user message.
	Messages []engine.ChatMessage
	// Text is the same prompt for models without a chat template, ending
	// with "Assistant:" for the model to continue.
	Text string
	// Snippets are the snippets kept, in prompt order ([1] is Snippets[0]).
	Snippets []knowledge.Snippet
	// History is how many history messages were kept (the newest ones).
	History int
	// Tokens is the prompt's size as measured by Input.Count.
	Tokens int
}

// Approx estimates the token count of s for a byte-level BPE vocabulary:
// about four bytes a token, and never fewer tokens than words.
func Approx(s string) int {
	n := (len(s) + 3) / 4
	if w := len(strings.Fields(s)); w > n {
		n = w
	}
	return n
}

// Build assembles in. When the whole does not fit Budget it drops, in this
// order: the oldest history messages, the lowest-ranked snippets (down to
// one), then cuts the remaining snippet's text and finally the question's,
// so that the result fits unless the system prompt alone does not.
// User text (history and question) is quoted as data and neutralised with
// Neutralize; snippet text is neutralised too, since articles are not
// instructions either.
func Build(in Input) Prompt {
	if in.System == "" {
		in.System = DefaultSystem
	}
	if in.Budget <= 0 {
		in.Budget = DefaultBudget
	}
	if in.Count == nil {
		in.Count = Approx
	}
	b := builder{in: in, snippets: in.Snippets, history: in.History, question: in.Question}
	for b.size() > in.Budget && len(b.history) > 0 {
		b.history = b.history[1:]
	}
	for b.size() > in.Budget && len(b.snippets) > 1 {
		b.snippets = b.snippets[:len(b.snippets)-1]
	}
	if b.size() > in.Budget && len(b.snippets) == 1 {
		// Copy: the caller's slice is not ours to change.
		b.snippets = []knowledge.Snippet{b.snippets[0]}
		b.fit(&b.snippets[0].Text)
	}
	if b.size() > in.Budget {
		b.fit(&b.question)
	}
	msgs := b.messages()
	return Prompt{
		Messages: msgs,
		Text:     Render(msgs),
		Snippets: b.snippets,
		History:  len(b.history),
		Tokens:   b.size(),
	}
}

type builder struct {
	in       Input
	snippets []knowledge.Snippet
	history  []engine.ChatMessage
	question string
}

func (b *builder) messages() []engine.ChatMessage {
	msgs := make([]engine.ChatMessage, 0, len(b.history)+2)
	msgs = append(msgs, engine.ChatMessage{Role: "system", Content: b.system()})
	for _, h := range b.history {
		if h.Role == "assistant" {
			msgs = append(msgs, engine.ChatMessage{Role: "assistant", Content: Neutralize(h.Content)})
			continue
		}
		msgs = append(msgs, engine.ChatMessage{Role: "user", Content: Quote(h.Content)})
	}
	return append(msgs, engine.ChatMessage{Role: "user", Content: Quote(b.question)})
}

func (b *builder) system() string {
	var s strings.Builder
	s.WriteString(b.in.System)
	s.WriteString("\n\nKnowledge snippets:")
	if len(b.snippets) == 0 {
		s.WriteString("\n(none found)")
	}
	for i, sn := range b.snippets {
		title := sn.Title
		if sn.Section != "" {
			title += " > " + sn.Section
		}
		fmt.Fprintf(&s, "\n\n[%d] %s (%s)\n%s", i+1, Neutralize(oneLine(title)), Neutralize(oneLine(sn.Source)), Neutralize(strings.TrimSpace(sn.Text)))
	}
	return s.String()
}

func (b *builder) size() int {
	n := 0
	for _, m := range b.messages() {
		n += b.in.Count(m.Content) + messageOverhead
	}
	return n
}

// fit cuts *text to the longest run of its first words (marked with a
// final " …") with which the prompt fits the budget; it may leave "".
func (b *builder) fit(text *string) {
	words := strings.Fields(*text)
	keep := func(n int) string {
		switch n {
		case len(words):
			return strings.Join(words, " ")
		case 0:
			return ""
		}
		return strings.Join(words[:n], " ") + " …"
	}
	fits := func(n int) bool {
		*text = keep(n)
		return b.size() <= b.in.Budget
	}
	// The prompt shrinks as n does, so search for the largest n that fits.
	lo, hi := 0, len(words)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	*text = keep(lo)
}

// Render writes msgs as plain text, one "Role: content" block each,
// ending with "Assistant:" for the model to continue.
func Render(msgs []engine.ChatMessage) string {
	var s strings.Builder
	for _, m := range msgs {
		s.WriteString(roleName(m.Role))
		s.WriteString(": ")
		s.WriteString(m.Content)
		s.WriteString("\n\n")
	}
	s.WriteString("Assistant:")
	return s.String()
}

func roleName(r string) string {
	switch r {
	case "system":
		return "System"
	case "assistant":
		return "Assistant"
	}
	return "User"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// QuoteMark opens and closes user text in a prompt.
const QuoteMark = `"""`

// Quote returns user text as quoted data: neutralised and between
// QuoteMark lines, so that nothing in it can close the quote or pose as a
// chat-template marker.
func Quote(s string) string {
	// The leading newline lets Neutralize see a role prefix on the first line.
	return QuoteMark + "\n" + Neutralize("\n" + strings.TrimSpace(s))[1:] + "\n" + QuoteMark
}

// neutralizer breaks up the strings that chat templates and prompts give
// meaning to, by inserting a space: <|im_start|>, </s>, [INST], <<SYS>>,
// Gemma's turn markers and the quote mark itself.
var neutralizer = strings.NewReplacer(
	"<|", "< |", "|>", "| >",
	"</s>", "< /s>", "<s>", "< s>", "</S>", "< /S>", "<S>", "< S>",
	"<unk>", "< unk>", "<pad>", "< pad>", "<eos>", "< eos>", "<bos>", "< bos>",
	"[INST]", "[ INST]", "[/INST]", "[ /INST]", "[inst]", "[ inst]", "[/inst]", "[ /inst]",
	"<<SYS>>", "< <SYS> >", "<</SYS>>", "< </SYS> >", "<<sys>>", "< <sys> >", "<</sys>>", "< </sys> >",
	"<start_of_turn>", "< start_of_turn>", "<end_of_turn>", "< end_of_turn>",
	`"""`, `" " "`, "```", "` ` `",
	"\nSystem:", "\nSystem -", "\nAssistant:", "\nAssistant -", "\nUser:", "\nUser -",
)

// Neutralize returns s with special-token-looking strings, the quote mark
// and role prefixes at line starts broken up so that they stay plain text.
// Applying it twice changes nothing more.
func Neutralize(s string) string {
	// Each pass only inserts spaces, so a fixed point comes quickly; the
	// bound is a guard, not a limit ever reached.
	for range 8 {
		t := neutralizer.Replace(s)
		if t == s {
			break
		}
		s = t
	}
	return s
}

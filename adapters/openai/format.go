package openai

// A format builds the response objects of one endpoint: chat completions
// or legacy text completions.
type format interface {
	// whole is the non-streamed response.
	whole(text, finish string, u *Usage, g *Grounding) any
	// opening is the chunk that starts a stream, if the format has one.
	opening() (any, bool)
	// piece is the chunk carrying the next piece of text.
	piece(text string) any
	// last is the chunk carrying the finish reason.
	last(finish string, g *Grounding) any
	// usage is the usage-only chunk sent before [DONE] when the client
	// asked for stream_options.include_usage.
	usage(u *Usage) any
}

// chatFormat builds chat.completion and chat.completion.chunk objects.
type chatFormat struct {
	a            *API
	id           string
	created      int64
	includeUsage bool // chunks carry "usage": null, as OpenAI's do when usage was asked for
}

func (f chatFormat) whole(text, finish string, u *Usage, g *Grounding) any {
	return ChatCompletion{
		Header:  f.a.header(f.id, objectChat, f.created),
		Choices: []ChatChoice{{Index: 0, Message: ChatMessage{Role: "assistant", Content: text}, Logprobs: null, FinishReason: finish}},
		Usage:   u, Switchboard: g,
	}
}

func (f chatFormat) chunk(d Delta, finish *string, g *Grounding) any {
	return f.withUsage(&ChatChunk{
		Header:  f.a.header(f.id, objectChatChunk, f.created),
		Choices: []ChunkChoice{{Index: 0, Delta: d, Logprobs: null, FinishReason: finish}}, Switchboard: g,
	}, nil)
}

// chatChunkUsage is a ChatChunk with its "usage" field, null or not.
type chatChunkUsage struct {
	*ChatChunk
	Usage *Usage `json:"usage"`
}

func (f chatFormat) withUsage(c *ChatChunk, u *Usage) any {
	if !f.includeUsage {
		return c
	}
	return chatChunkUsage{ChatChunk: c, Usage: u}
}

func (f chatFormat) opening() (any, bool) {
	return f.chunk(Delta{Role: "assistant", Content: ptr("")}, nil, nil), true
}

func (f chatFormat) piece(text string) any { return f.chunk(Delta{Content: &text}, nil, nil) }

func (f chatFormat) last(finish string, g *Grounding) any { return f.chunk(Delta{}, &finish, g) }

func (f chatFormat) usage(u *Usage) any {
	return f.withUsage(&ChatChunk{
		Header:  f.a.header(f.id, objectChatChunk, f.created),
		Choices: []ChunkChoice{},
	}, u)
}

// textFormat builds text_completion objects, streamed or not.
type textFormat struct {
	a            *API
	id           string
	created      int64
	includeUsage bool
}

// textChunkUsage is a streamed TextCompletion with its "usage" field, null
// or not.
type textChunkUsage struct {
	*TextCompletion
	Usage *Usage `json:"usage"`
}

func (f textFormat) object(choices []TextChoice, u *Usage) *TextCompletion {
	return &TextCompletion{
		Header:  f.a.header(f.id, objectText, f.created),
		Choices: choices, Usage: u,
	}
}

func (f textFormat) whole(text, finish string, u *Usage, _ *Grounding) any {
	return f.object([]TextChoice{{Text: text, Index: 0, Logprobs: null, FinishReason: &finish}}, u)
}

func (f textFormat) streamed(c *TextCompletion, u *Usage) any {
	if !f.includeUsage {
		return c
	}
	return textChunkUsage{TextCompletion: c, Usage: u}
}

func (f textFormat) opening() (any, bool) { return nil, false }

func (f textFormat) piece(text string) any {
	return f.streamed(f.object([]TextChoice{{Text: text, Index: 0, Logprobs: null}}, nil), nil)
}

func (f textFormat) last(finish string, _ *Grounding) any {
	return f.streamed(f.object([]TextChoice{{Text: "", Index: 0, Logprobs: null, FinishReason: &finish}}, nil), nil)
}

func (f textFormat) usage(u *Usage) any {
	return f.streamed(f.object([]TextChoice{}, nil), u)
}

// header starts a response object.
func (a *API) header(id, object string, created int64) Header {
	return Header{ID: id, Object: object, Created: created, Model: a.opts.ModelName, SystemFingerprint: a.fingerprint}
}

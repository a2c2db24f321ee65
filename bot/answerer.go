package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/generative"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
)

// ErrNoModel is returned by NewAnswerer for generative answers without a
// model.
var ErrNoModel = errors.New("bot: generative answers need a model")

// LoadModel loads the decoder of cfg.Engine.Model, or the built-in model
// when it is empty.
func LoadModel(cfg Config, log *slog.Logger) (*engine.Model, error) {
	start := time.Now()
	name := cfg.Engine.Model
	kv, err := engine.ParseKVPrecision(cfg.Engine.KVCache)
	if err != nil {
		return nil, fmt.Errorf("load engine.model: %w", err)
	}
	opts := engine.Options{KVCache: kv}
	var m *engine.Model
	if name == "" {
		name = builtin.Name
		m, err = builtin.Load(opts)
	} else {
		m, err = engine.LoadWith(name, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("load engine.model: %w", err)
	}
	log.Info("model loaded", "model", name, "parameters", m.Info.Parameters, "context", m.Config.Context,
		"took", time.Since(start).Round(time.Millisecond).String())
	return m, nil
}

// NewAnswerer builds the answerer of cfg.Answer.Mode: extractive (no
// model) or generative (model, which must not be nil). onChoice may be
// nil (see Options.OnChoice).
func NewAnswerer(ctx context.Context, cfg Config, model engine.Generator, onChoice func(extractive.Choice), log *slog.Logger) (conversation.Answerer, error) {
	switch cfg.Answer.Mode {
	case ModeExtractive:
		return extractive.New(extractive.Options{MinAnswerability: cfg.Answer.MinAnswerability}), nil
	case ModeGenerative:
		if model == nil {
			return nil, ErrNoModel
		}
		opts := generative.Options{
			Generator: model,
			MaxTokens: cfg.Engine.MaxTokens,
			Logger:    log,
			Free:      cfg.Engine.Decoding == DecodingFree,

			RerankWeight:     cfg.Engine.RerankWeight,
			DeclineMargin:    cfg.Engine.DeclineMargin,
			MinAnswerability: cfg.Answer.MinAnswerability,
			OnChoice:         onChoice,
		}
		if m, ok := model.(*engine.Model); ok {
			// The prompt, measured in the model's own tokens, leaves a
			// quarter of the context (at most MaxTokens) for the reply.
			opts.Budget = m.Config.Context - min(opts.MaxTokens, m.Config.Context/4)
			opts.Count = func(s string) int { return len(m.Tokenizer.Encode(s)) }
		}
		return generative.New(opts)
	default:
		return nil, fmt.Errorf("answer mode %q: want %s or %s", cfg.Answer.Mode, ModeExtractive, ModeGenerative)
	}
}

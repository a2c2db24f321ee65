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
)

// ErrNoModel is returned for generative answers without engine.model while
// no default model is embedded in the binary.
var ErrNoModel = errors.New("bot: generative answers need a model: set engine.model (or --model) to a .gguf file or a Hugging Face folder; no default model is embedded yet")

// LoadModel loads the decoder of cfg.Engine.Model.
func LoadModel(cfg Config, log *slog.Logger) (*engine.Model, error) {
	if cfg.Engine.Model == "" {
		return nil, ErrNoModel
	}
	start := time.Now()
	m, err := engine.Load(cfg.Engine.Model)
	if err != nil {
		return nil, fmt.Errorf("load engine.model: %w", err)
	}
	log.Info("model loaded", "path", cfg.Engine.Model, "took", time.Since(start).Round(time.Millisecond).String())
	return m, nil
}

// NewAnswerer builds the answerer of cfg.Answer.Mode: extractive (no
// model) or generative (model, which must not be nil).
func NewAnswerer(ctx context.Context, cfg Config, model engine.Generator, log *slog.Logger) (conversation.Answerer, error) {
	switch cfg.Answer.Mode {
	case ModeExtractive:
		return extractive.New(extractive.Options{}), nil
	case ModeGenerative:
		if model == nil {
			return nil, ErrNoModel
		}
		return generative.New(generative.Options{
			Generator: model,
			MaxTokens: cfg.Engine.MaxTokens,
			Logger:    log,
		})
	default:
		return nil, fmt.Errorf("answer mode %q: want %s or %s", cfg.Answer.Mode, ModeExtractive, ModeGenerative)
	}
}

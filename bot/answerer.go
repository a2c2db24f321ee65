package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
)

// ErrNoGenerative is returned for answer mode generative while the
// generative answerer is not part of the build.
var ErrNoGenerative = errors.New("bot: generative answers are not available in this build; use answer.mode extractive")

// NewAnswerer builds the answerer of cfg.Answer.Mode: extractive (no model)
// or generative (the decoder of cfg.Engine.Model).
func NewAnswerer(ctx context.Context, cfg Config, log *slog.Logger) (conversation.Answerer, error) {
	switch cfg.Answer.Mode {
	case ModeExtractive:
		return extractive.New(extractive.Options{}), nil
	case ModeGenerative:
		return nil, ErrNoGenerative
	default:
		return nil, fmt.Errorf("answer mode %q: want %s or %s", cfg.Answer.Mode, ModeExtractive, ModeGenerative)
	}
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/conversation/redisstore"
	"github.com/switchboard/switchboard/knowledge"
)

// A Pipeline is the conversation pipeline with what it runs on: the
// knowledge index, the session store and the Manager. The Server is built
// on one; the CLI's chat and ask use one directly.
type Pipeline struct {
	Index   *knowledge.Index
	Store   conversation.Store
	Manager *conversation.Manager
}

// NewPipeline loads the knowledge, opens the store and builds the answerer
// and the Manager that cfg and opt describe; hooks receive the Manager's
// metrics (the zero value measures nothing). Close releases it.
func NewPipeline(ctx context.Context, cfg Config, opt Options, hooks conversation.Metrics, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Pipeline{Index: opt.Knowledge}
	if p.Index == nil {
		start := time.Now()
		ix, err := knowledge.Open(ctx, cfg.Knowledge.Dir, knowledge.LoadOptions{}, knowledge.Options{})
		if err != nil {
			return nil, fmt.Errorf("load knowledge %s: %w", cfg.Knowledge.Dir, err)
		}
		p.Index = ix
		log.Info("knowledge loaded", "dir", cfg.Knowledge.Dir, "chunks", ix.Len(), "took", time.Since(start).Round(time.Millisecond).String())
	}
	if p.Index.Len() == 0 {
		return nil, fmt.Errorf("load knowledge %s: no articles", cfg.Knowledge.Dir)
	}
	answerer := opt.Answerer
	if answerer == nil {
		a, err := NewAnswerer(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		answerer = a
	}
	p.Store = opt.Store
	if p.Store == nil {
		st, err := OpenStore(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		p.Store = st
	}
	mgr, err := conversation.NewManager(conversation.Options{
		Store:               p.Store,
		Searcher:            p.Index,
		Answerer:            answerer,
		Logger:              log.WithGroup("conversation"),
		Metrics:             hooks,
		HistoryTurns:        cfg.Conversation.HistoryTurns,
		SessionTTL:          cfg.Conversation.SessionTTL,
		RateLimit:           cfg.Conversation.RateLimit,
		RateWindow:          cfg.Conversation.RateWindow,
		MaxFallbacks:        cfg.Conversation.MaxFallbacks,
		Workers:             cfg.Conversation.Workers,
		TopK:                cfg.Answer.TopK,
		ConfidenceThreshold: cfg.Answer.Threshold,
		Secrets:             cfg.Secrets.values(),
		Now:                 opt.Now,
	})
	if err != nil {
		p.Store.Close()
		return nil, fmt.Errorf("build pipeline: %w", err)
	}
	p.Manager = mgr
	return p, nil
}

// Close drains the Manager (until ctx is done) and closes the store.
func (p *Pipeline) Close(ctx context.Context) error {
	return errors.Join(p.Manager.Shutdown(ctx), p.Store.Close())
}

// values returns the secrets a reply must never contain.
func (s Secrets) values() []string {
	return []string{s.WidgetSecret, s.AdminToken, s.SlackBotToken, s.SlackSigningSecret, s.SlackAppToken, s.DiscordBotToken}
}

// OpenStore opens the session store cfg names: Redis when REDIS_URL is
// set, memory otherwise.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger) (conversation.Store, error) {
	if cfg.Secrets.RedisURL == "" {
		log.Info("session store: in process (set REDIS_URL to share sessions between replicas)")
		return memstore.New(memstore.Options{Logger: log}), nil
	}
	st, err := redisstore.Open(ctx, cfg.Secrets.RedisURL, redisstore.Options{Prefix: cfg.Redis.Prefix, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open session store: %w", err)
	}
	log.Info("session store: redis", "prefix", cfg.Redis.Prefix)
	return st, nil
}

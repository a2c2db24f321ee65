package bot

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/conversation/redisstore"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// A Pipeline is the conversation pipeline with what it runs on: the
// knowledge index, the session store and the Manager. The Server is built
// on one; the CLI's chat and ask use one directly.
type Pipeline struct {
	// Index is the knowledge index as first loaded. When Live is set the
	// index searched changes as the folder does: see Current.
	Index *knowledge.Index
	// Live follows the knowledge folder (nil when Options.Knowledge was
	// given, knowledge.dir is an index file, or the embedded demo is
	// used). Its Run loop is the owner's to
	// start: the Server runs it for as long as it serves.
	Live    *knowledge.Live
	Store   conversation.Store
	Manager *conversation.Manager
	// Articles is the knowledge folder the index was built from (nil when
	// Options.Knowledge was given or knowledge.dir is an index file),
	// served under /articles/.
	Articles fs.FS
	// Model is the decoder of generative answers; nil in extractive mode.
	Model *engine.Model
}

// demoKnowledge is a copy of configs/knowledge, the demo help centre, so
// that the binary runs outside the repository (a test keeps the two
// identical).
//
//go:embed demo/knowledge
var demoKnowledge embed.FS

// DefaultKnowledgeDir is the default knowledge.dir: the demo help centre.
const DefaultKnowledgeDir = "configs/knowledge"

// openKnowledge opens the knowledge folder dir, and reports whether it is
// on disk; the default folder, when absent (outside the repository), is
// the embedded demo help centre.
func openKnowledge(dir string) (fs.FS, bool, error) {
	root, err := os.OpenRoot(dir)
	if err == nil {
		root.Close()
		return folderFS(dir), true, nil
	}
	if dir == DefaultKnowledgeDir && errors.Is(err, fs.ErrNotExist) {
		sub, _ := fs.Sub(demoKnowledge, "demo/knowledge")
		return sub, false, nil
	}
	return nil, false, fmt.Errorf("open knowledge folder: %w", err)
}

// folderFS reads the folder at its path afresh on every Open, as the
// live index rereads it, confining reads (symlinks included) to it as
// os.Root does. Opened once, at start, the folder's pages went on
// showing the old articles after a deploy swapped a symlink to a new
// release, and every page was missing after the folder was replaced by a
// copy, while the answers followed the new articles.
type folderFS string

func (d folderFS) Open(name string) (fs.File, error) {
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer root.Close() // files opened from it stay open
	return root.FS().Open(name)
}

// isIndexFile reports whether knowledge.dir names a file (an index saved
// by `switchboard index`) rather than a folder.
func isIndexFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// NewPipeline loads the knowledge, opens the store and builds the answerer
// and the Manager that cfg and opt describe; hooks receive the Manager's
// metrics (the zero value measures nothing). Close releases it.
func NewPipeline(ctx context.Context, cfg Config, opt Options, hooks conversation.Metrics, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Pipeline{Index: opt.Knowledge}
	ok := false
	defer func() {
		if !ok && p.Model != nil {
			p.Model.Close()
		}
	}()
	if p.Index == nil && isIndexFile(cfg.Knowledge.Dir) {
		start := time.Now()
		// The file is a cache of the folder recorded in it: followed for
		// changes, rebuilt and saved back (or the file itself when that
		// folder is gone).
		live, err := knowledge.OpenLiveFile(ctx, cfg.Knowledge.Dir, knowledge.LiveOptions{Load: loadOptions(cfg), PollInterval: cfg.Knowledge.PollInterval, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("load knowledge: %w", err)
		}
		p.Live, p.Index = live, live.Index()
		if dir := live.Dir(); dir != "" {
			if fsys, onDisk, err := openKnowledge(dir); err == nil && onDisk {
				p.Articles = fsys
			}
		}
		log.Info("knowledge loaded", "index", cfg.Knowledge.Dir, "folder", live.Dir(), "chunks", p.Index.Len(), "took", time.Since(start).Round(time.Millisecond).String())
	}
	if p.Index == nil {
		start := time.Now()
		fsys, onDisk, err := openKnowledge(cfg.Knowledge.Dir)
		if err != nil {
			return nil, err
		}
		p.Articles = fsys
		var ix *knowledge.Index
		if onDisk {
			live, err := knowledge.OpenLive(ctx, cfg.Knowledge.Dir, knowledge.LiveOptions{Load: loadOptions(cfg), PollInterval: cfg.Knowledge.PollInterval, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("load knowledge %s: %w", cfg.Knowledge.Dir, err)
			}
			p.Live, ix = live, live.Index()
		} else {
			chunks, err := knowledge.LoadFS(ctx, fsys, loadOptions(cfg))
			if err != nil {
				return nil, fmt.Errorf("load knowledge %s: %w", cfg.Knowledge.Dir, err)
			}
			if ix, err = knowledge.Build(ctx, chunks, knowledge.Options{}); err != nil {
				return nil, fmt.Errorf("index knowledge %s: %w", cfg.Knowledge.Dir, err)
			}
		}
		p.Index = ix
		from := cfg.Knowledge.Dir
		if !onDisk {
			from = "built-in demo help centre"
		}
		log.Info("knowledge loaded", "dir", from, "chunks", ix.Len(), "took", time.Since(start).Round(time.Millisecond).String())
	}
	if p.Index.Len() == 0 {
		return nil, fmt.Errorf("load knowledge %s: no articles", cfg.Knowledge.Dir)
	}
	answerer := opt.Answerer
	if answerer == nil {
		var gen engine.Generator
		if cfg.Answer.Mode == ModeGenerative {
			m, err := LoadModel(cfg, log)
			if err != nil {
				return nil, err
			}
			p.Model, gen = m, m
		}
		a, err := NewAnswerer(ctx, cfg, gen, opt.OnChoice, log)
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
		Searcher:            p.searcher(),
		Answerer:            answerer,
		Logger:              log.WithGroup("conversation"),
		Metrics:             hooks,
		HistoryTurns:        cfg.Conversation.HistoryTurns,
		SessionTTL:          cfg.Conversation.SessionTTL,
		HandoffTTL:          cfg.Conversation.HandoffTTL,
		RateLimit:           cfg.Conversation.RateLimit,
		RateWindow:          cfg.Conversation.RateWindow,
		ClientRateLimit:     cfg.Conversation.ClientRateLimit,
		MaxFallbacks:        cfg.Conversation.MaxFallbacks,
		Workers:             cfg.Conversation.Workers,
		LockTTL:             cfg.Conversation.LockTTL,
		TopK:                cfg.Answer.TopK,
		ConfidenceThreshold: cfg.Answer.Threshold,
		Secrets:             cfg.Secrets.Values(),
		Now:                 opt.Now,
	})
	if err != nil {
		if opt.Store == nil {
			p.Store.Close()
		}
		return nil, fmt.Errorf("build pipeline: %w", err)
	}
	p.Manager = mgr
	ok = true
	return p, nil
}

// Current returns the index searched now: Live's latest when the
// pipeline follows a folder, Index otherwise.
func (p *Pipeline) Current() *knowledge.Index {
	if p.Live != nil {
		return p.Live.Index()
	}
	return p.Index
}

// searcher is what the Manager searches: Live, so that each search sees
// the latest index, or the fixed Index.
func (p *Pipeline) searcher() knowledge.Retriever {
	if p.Live != nil {
		return p.Live
	}
	return p.Index
}

// Close drains the Manager (until ctx is done) and closes the store.
func (p *Pipeline) Close(ctx context.Context) error {
	err := errors.Join(p.Manager.Shutdown(ctx), p.Store.Close())
	if p.Model != nil {
		err = errors.Join(err, p.Model.Close())
	}
	return err
}

// Values returns the configured secrets a reply must never contain: the
// widget secret, the admin token, the Slack and Discord tokens and each
// API key. Unset secrets are left out.
func (s Secrets) Values() []string {
	var v []string
	for _, x := range append([]string{s.WidgetSecret, s.AdminToken, s.SlackBotToken, s.SlackSigningSecret, s.SlackAppToken, s.DiscordBotToken}, strings.Split(s.APIKeys, ",")...) {
		if x = strings.TrimSpace(x); x != "" {
			v = append(v, x)
		}
	}
	return v
}

// OpenStore opens the session store cfg names: Redis when REDIS_URL is
// set, memory otherwise.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger) (conversation.Store, error) {
	if cfg.Secrets.RedisURL == "" {
		log.Info("session store: in process (set REDIS_URL to share sessions between replicas)")
		return memstore.New(memstore.Options{Logger: log}), nil
	}
	redisstore.LogTo(log)
	st, err := redisstore.Open(ctx, cfg.Secrets.RedisURL, redisstore.Options{Prefix: cfg.Redis.Prefix, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open session store: %w", err)
	}
	log.Info("session store: redis", "prefix", cfg.Redis.Prefix)
	return st, nil
}

// loadOptions are the limits cfg sets on reading its knowledge folder.
func loadOptions(cfg Config) knowledge.LoadOptions {
	return knowledge.LoadOptions{MaxFileBytes: cfg.Knowledge.MaxFileBytes}
}

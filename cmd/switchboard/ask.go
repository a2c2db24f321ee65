package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/switchboard/switchboard/bot"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/memstore"
	"github.com/switchboard/switchboard/knowledge"
)

func init() {
	register(command{
		name:    "ask",
		summary: "ask one question through the whole pipeline and print the answer",
		run:     runAsk,
	})
}

// askCitation is one citation of `ask --json`.
type askCitation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url,omitempty"` // an exported article's own page
}

// askAnswer is the output of `ask --json`.
type askAnswer struct {
	Reply     string        `json:"reply"`
	Citations []askCitation `json:"citations"`
	// Links are the links of the words the reply quotes: url for a web
	// page, source for another article (omitted when there are none).
	Links      []knowledge.Link `json:"links,omitempty"`
	Confidence float64          `json:"confidence"`
	Fallback   bool             `json:"fallback"`
	Handoff    bool             `json:"handoff"`
}

// pipelineFlags are the flags ask and chat share.
type pipelineFlags struct {
	config, knowledge, mode, model string
}

func (p *pipelineFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "configuration file (default "+bot.DefaultConfigPath+" when present, else the built-in defaults)")
	fs.StringVar(&p.knowledge, "knowledge", "", "knowledge folder (default: the configuration's knowledge.dir)")
	fs.StringVar(&p.mode, "mode", "", "answer mode: extractive or generative (default: the configuration's answer.mode)")
	fs.StringVar(&p.model, "model", "", "model for generative mode (implies --mode generative): a .gguf file or a Hugging Face folder (default: the configuration's engine.model)")
}

// pipeline builds the conversation pipeline the flags describe, with an
// in-process store (a terminal session needs no Redis) and logs at warn
// level on stderr.
func (p *pipelineFlags) pipeline(ctx context.Context, stderr io.Writer) (*bot.Pipeline, error) {
	cfg, _, err := bot.LoadConfig(p.config, getenv)
	if err != nil {
		return nil, err
	}
	if p.knowledge != "" {
		cfg.Knowledge.Dir = p.knowledge
	}
	if p.model != "" {
		cfg.Engine.Model = p.model
		cfg.Answer.Mode = bot.ModeGenerative // a model is given to be used
	}
	if p.mode != "" {
		cfg.Answer.Mode = p.mode
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{msg: err.Error()}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return bot.NewPipeline(ctx, cfg, bot.Options{Store: memstore.New(memstore.Options{Logger: log})}, conversation.Metrics{}, log)
}

// captured is a Sender that keeps the reply.
type captured struct {
	reply conversation.Reply
	sent  bool
}

func (c *captured) Send(_ context.Context, r conversation.Reply) error {
	c.reply, c.sent = r, true
	return nil
}

func runAsk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ask", "[--config F] [--knowledge DIR] [--mode extractive|generative] [--model PATH] [--json] QUESTION", stderr)
	var pf pipelineFlags
	pf.add(fs)
	asJSON := fs.Bool("json", false, `print {"reply","citations":[{"title","source"}],"confidence","fallback","handoff"}`)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(pos, " "))
	if question == "" {
		fs.Usage()
		return usageError{msg: "ask: no question given"}
	}
	p, err := pf.pipeline(ctx, stderr)
	if err != nil {
		return err
	}
	defer p.Close(context.WithoutCancel(ctx))

	var out captured
	m := conversation.Message{
		ID:      "ask",
		Address: conversation.Address{Platform: "cli", Channel: "ask", User: "cli"},
		Text:    question,
	}
	if err := p.Manager.Handle(ctx, m, &out); err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	if !out.sent {
		return errors.New("ask: the pipeline sent no reply")
	}
	r := out.reply
	if *asJSON {
		a := askAnswer{Reply: r.Text, Citations: []askCitation{}, Links: r.Links, Confidence: r.Confidence, Fallback: r.Fallback, Handoff: r.Handoff}
		for _, c := range r.Citations {
			a.Citations = append(a.Citations, askCitation{Title: c.Title, Source: c.Source, URL: c.URL})
		}
		return json.NewEncoder(stdout).Encode(a)
	}
	fmt.Fprintln(stdout, r.Text)
	printCitations(stdout, r)
	return nil
}

// printCitations lists a reply's sources under it, and the links of the
// words it quotes.
func printCitations(w io.Writer, r conversation.Reply) {
	if len(r.Links) > 0 {
		fmt.Fprintln(w, "\nLinks:")
		for _, l := range r.Links {
			fmt.Fprintf(w, "  - %s: %s%s\n", l.Text, l.URL, l.Source)
		}
	}
	if len(r.Citations) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSources:")
	for _, c := range r.Citations {
		fmt.Fprintf(w, "  - %s (%s)\n", c.Title, c.Source)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchboard/switchboard/bot"
	"github.com/switchboard/switchboard/knowledge"
)

// A devSet is a `train --dev` folder: a knowledge folder and questions
// about it that nothing is trained on, answered through the whole
// pipeline at every checkpoint, so that a run shows what it does to the
// model's choices on articles it has not seen.
type devSet struct {
	name string
	cfg  bot.Config // generative mode on the folder's knowledge
	qs   []knowledge.EvalQuestion
	ix   *knowledge.Index // built at the first checkpoint, then reused
}

// loadDevSets reads the comma-separated --dev folders, each holding
// knowledge/ and questions.jsonl (as configs/dev/* do).
func loadDevSets(list string) ([]*devSet, error) {
	var sets []*devSet
	for _, dir := range strings.Split(list, ",") {
		dir = strings.TrimSpace(dir)
		if dir == "" {
			continue
		}
		qs, err := knowledge.LoadQuestions(filepath.Join(dir, "questions.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("train: --dev %s: %w", dir, err)
		}
		// Fail now rather than at the first checkpoint, hours later.
		kb := filepath.Join(dir, "knowledge")
		if fi, err := os.Stat(kb); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("train: --dev %s: no knowledge folder %s", dir, kb)
		}
		cfg, _, err := bot.LoadConfig("", getenv)
		if err != nil {
			return nil, fmt.Errorf("train: --dev %s: %w", dir, err)
		}
		cfg.Knowledge.Dir = kb
		cfg.Answer.Mode = bot.ModeGenerative
		sets = append(sets, &devSet{name: filepath.Base(dir), cfg: cfg, qs: qs})
	}
	return sets, nil
}

// eval answers the set's questions with the model at path and writes a
// line to w and a row to tsv: step, set, answers right and in all,
// out-of-scope fallbacks and in all, and of the choices with a right
// sentence among the candidates, how many the lexical scores, the model
// alone and the reply got right, and how many a random choice among the
// sentences the model rated would get right on average.
func (d *devSet) eval(ctx context.Context, path string, step int, w, tsv io.Writer) error {
	cfg := d.cfg
	cfg.Engine.Model = path
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, ix, err := evalMode1(ctx, cfg, d.ix, d.qs, false, log)
	if err != nil {
		return fmt.Errorf("train: dev set %s: %w", d.name, err)
	}
	d.ix = ix
	var c evalChoices
	if res.Choices != nil {
		c = *res.Choices
	}
	fmt.Fprintf(w, "\ndev %s at step %d: answers %s, out of scope %s; choices with a right sentence %d: model alone %d (by chance %.1f), lexical %d, replied %d\n",
		d.name, step, score(res.Answer), score(res.OutOfScope), c.Questions, c.Model, c.Chance, c.Lexical, c.Chosen)
	fmt.Fprintf(tsv, "%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\n", step, d.name, res.Answer.Passed, res.Answer.Total,
		res.OutOfScope.Passed, res.OutOfScope.Total, c.Questions, c.Lexical, c.Model, c.Chosen, c.Chance)
	return nil
}

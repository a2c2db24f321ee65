package train

import (
	"fmt"
	"io"
	"time"
)

// A Progress prints a training progress line: step/total, loss (a
// running mean since the last line), tokens/s and ETA. On a terminal
// (TTY) the line is rewritten in place with \r; otherwise one line is
// printed every Every (10 s when zero) and at the end.
type Progress struct {
	W     io.Writer
	TTY   bool
	Total int
	Every time.Duration

	now       func() time.Time // time.Now; replaced in tests
	start     time.Time
	last      time.Time
	startStep int
	tokens    int64
	lossSum   float64
	lossN     int
}

// Begin starts the clock at step (steps already done), so that the
// first line's throughput counts the first step.
func (p *Progress) Begin(step int) {
	if p.now == nil {
		p.now = time.Now
	}
	p.start, p.last, p.startStep = p.now(), p.now(), step
}

// Update records the result of step (1-based count of steps done) and
// prints when due.
func (p *Progress) Update(step int, r StepResult) {
	if p.now == nil {
		p.now = time.Now
	}
	now := p.now()
	if p.start.IsZero() {
		p.start, p.last, p.startStep = now, now, step-1
	}
	p.tokens += int64(r.Tokens)
	p.lossSum += float64(r.Loss)
	p.lossN++
	every := p.Every
	if every == 0 {
		every = 10 * time.Second
	}
	if !p.TTY && now.Sub(p.last) < every && step < p.Total && step-p.startStep > 1 {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	tps := 0.0
	if el > 0 {
		tps = float64(p.tokens) / el
	}
	eta := "?"
	if done := step - p.startStep; done > 0 && el > 0 {
		eta = (time.Duration(el/float64(done)*float64(p.Total-step)) * time.Second).Round(time.Second).String()
	}
	line := fmt.Sprintf("step %d/%d  loss %.4f  lr %.2e  |g| %.2f  %.0f tok/s  eta %s",
		step, p.Total, p.lossSum/float64(p.lossN), r.LR, r.GradNorm, tps, eta)
	p.lossSum, p.lossN = 0, 0
	if p.TTY {
		fmt.Fprintf(p.W, "\r%-90s", line)
		if step >= p.Total {
			fmt.Fprintln(p.W)
		}
		return
	}
	fmt.Fprintln(p.W, line)
}

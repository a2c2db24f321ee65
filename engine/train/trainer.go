package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
)

// An Example is one training sequence: tokens, and which of them are
// learnt (Loss[i] means token i is predicted from tokens[:i] and counts in
// the loss; typically the answer's tokens and the end-of-turn token).
//
// With Replies set, the example is a choice: Tokens is a prompt (Loss
// marks what of it is learnt, as for any example) and Replies are
// candidate replies to it, each ending with its end-of-turn token, of
// which Replies[Right] is the one to give. The choice is learnt with a
// ranking loss over the replies' mean log-probabilities (see
// Options.RankWeight). The replies are packed into one row after the
// prompt, each seeing the prompt and itself only, so the prompt is run
// once for all of them; since they share their positions, a row longer
// than the model's context can hold a choice whose prompt and longest
// reply fit the context.
type Example struct {
	Tokens  []int
	Loss    []bool
	Replies [][]int
	Right   int
}

// positions is the number of positions of ex's longest sequence: its
// tokens, or its prompt with its longest reply.
func (ex Example) positions() int {
	n := 0
	for _, r := range ex.Replies {
		n = max(n, len(r))
	}
	return len(ex.Tokens) + n
}

// Rows is the number of positions ex takes in a batch row: the inputs
// predicting its tokens after the first; for a choice, the prompt but its
// last token, then each reply after a copy of that token, the end token
// being a target only.
func (ex Example) Rows() int {
	if ex.Replies == nil {
		return len(ex.Tokens) - 1
	}
	n := len(ex.Tokens) - 1
	for _, r := range ex.Replies {
		n += len(r)
	}
	return n
}

// A Dataset gives the training examples by index. Example(i) must be a
// pure function of i (and of the dataset's own seed), so that a resumed
// run sees exactly the data the interrupted one would have.
type Dataset interface {
	Example(i int64) (Example, error)
}

// Options are the hyperparameters of a run. Zero fields take the defaults
// noted.
type Options struct {
	Steps       int     // optimizer steps in all
	Batch       int     // sequences per step
	Seq         int     // positions of a batch row; may exceed Config.Context, for choices (see Example)
	LR          float64 // peak learning rate (1e-3)
	MinLRRatio  float64 // final learning rate as a fraction of LR (0.1)
	Warmup      int     // linear warm-up steps (Steps/20)
	WeightDecay float64 // AdamW decoupled decay on matrices, not on norms or the embedding (0.1)
	Beta1       float64 // (0.9)
	Beta2       float64 // (0.95)
	AdamEps     float64 // (1e-8)
	Clip        float64 // global gradient norm limit; negative disables (1.0)
	Seed        uint64  // initialization; the data are the Dataset's business
	Threads     int     // goroutines; 0 means GOMAXPROCS
	// ContextWeight is the loss weight of the tokens an Example does not
	// mark as learnt (the prompt), against 1 for those it marks (0: not
	// learnt at all). Predicting the prompt too is language modelling on
	// every position, which teaches a model to copy what it has seen
	// earlier in its context far sooner than the answers alone do.
	ContextWeight float32
	// RankWeight is the weight of the ranking loss of choices (Examples
	// with Replies) against the language-modelling loss (1 when zero).
	RankWeight float32
	// RankScale multiplies the replies' mean log-probabilities in the
	// ranking softmax (1 when zero); about the replies' length in tokens
	// makes the choice as strong a signal as language modelling.
	RankScale float32
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.LR, 1e-3)
	def(&o.MinLRRatio, 0.1)
	def(&o.WeightDecay, 0.1)
	def(&o.Beta1, 0.9)
	def(&o.Beta2, 0.95)
	def(&o.AdamEps, 1e-8)
	def(&o.Clip, 1.0)
	if o.Warmup == 0 {
		o.Warmup = max(1, o.Steps/20)
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.RankWeight == 0 {
		o.RankWeight = 1
	}
	if o.RankScale == 0 {
		o.RankScale = 1
	}
	return o
}

// A Trainer owns a model, its optimizer state and the worker goroutines
// (stopped by Close). It is not safe for concurrent use.
type Trainer struct {
	Model *Model
	Opts  Options

	Step   int   // optimizer steps done
	Cursor int64 // index of the next example of the Dataset

	grad, m1, m2 []float32
	pool         *pool
	pass         *pass
	batch        []Example // the current step's examples
	opt          adamJob
	lastNorm     float32
}

// New returns a Trainer for model m. m is trained in place.
func New(m *Model, o Options) (*Trainer, error) {
	o = o.withDefaults()
	if o.Steps <= 0 || o.Batch <= 0 || o.Seq <= 0 {
		return nil, fmt.Errorf("%w: steps %d, batch %d, seq %d (context %d)", ErrConfig, o.Steps, o.Batch, o.Seq, m.Config.Context)
	}
	n := len(m.Params)
	t := &Trainer{Model: m, Opts: o, grad: make([]float32, n), m1: make([]float32, n), m2: make([]float32, n)}
	t.pool = newPool(o.Threads)
	t.pass = newPass(m, t.pool, o.Batch, o.Seq)
	t.pass.rankWeight, t.pass.rankScale = o.RankWeight, o.RankScale
	return t, nil
}

// Close stops the worker goroutines.
func (t *Trainer) Close() { t.pool.close() }

// LR returns the learning rate of step (0-based): linear warm-up to
// Opts.LR, then cosine decay to Opts.LR·MinLRRatio at the last step.
func (t *Trainer) LR(step int) float64 {
	o := t.Opts
	if step < o.Warmup {
		return o.LR * float64(step+1) / float64(o.Warmup)
	}
	span := max(1, o.Steps-o.Warmup)
	frac := math.Min(1, float64(step-o.Warmup)/float64(span))
	minLR := o.LR * o.MinLRRatio
	return minLR + 0.5*(o.LR-minLR)*(1+math.Cos(math.Pi*frac))
}

// errTooLong is returned by fill for an example longer than a row; such
// examples are skipped.
var errTooLong = errors.New("example longer than the sequence")

// fillBatch reads examples from ds at t.Cursor into the pass's rows,
// skipping examples that do not fit a row. The batch's sequence length is
// that of its longest example (at most Opts.Seq), so that padding costs
// little; shorter rows are padded with weight 0.
func (t *Trainer) fillBatch(ds Dataset) error {
	s := t.pass
	if cap(t.batch) < s.B {
		t.batch = make([]Example, s.B)
	}
	t.batch = t.batch[:s.B]
	longest := 1
	for b := range t.batch {
		for tries := 0; ; tries++ {
			if tries > 1000 {
				return fmt.Errorf("fill batch: 1000 examples in a row longer than %d tokens", t.Opts.Seq+1)
			}
			ex, err := ds.Example(t.Cursor)
			t.Cursor++
			if err != nil {
				return fmt.Errorf("fill batch: example %d: %w", t.Cursor-1, err)
			}
			if err := t.checkExample(ex); errors.Is(err, errTooLong) {
				continue
			} else if err != nil {
				return err
			}
			t.batch[b] = ex
			longest = max(longest, ex.Rows())
			break
		}
	}
	s.T = min(t.Opts.Seq, longest)
	s.replies, s.choices = s.replies[:0], s.choices[:0]
	for b, ex := range t.batch {
		t.fillRow(b, ex)
	}
	return nil
}

func (t *Trainer) checkExample(ex Example) error {
	if len(ex.Tokens) != len(ex.Loss) {
		return fmt.Errorf("fill batch: %d tokens, %d loss flags", len(ex.Tokens), len(ex.Loss))
	}
	if ex.Replies != nil {
		if len(ex.Tokens) == 0 || ex.Right < 0 || ex.Right >= len(ex.Replies) {
			return fmt.Errorf("fill batch: a choice of %d replies to %d tokens with reply %d right", len(ex.Replies), len(ex.Tokens), ex.Right)
		}
		for _, r := range ex.Replies {
			if len(r) == 0 {
				return fmt.Errorf("fill batch: an empty reply")
			}
		}
	}
	if ex.Rows() > t.Opts.Seq || ex.positions() > t.Model.Config.Context+1 {
		return errTooLong
	}
	for _, ids := range append([][]int{ex.Tokens}, ex.Replies...) {
		for _, tok := range ids {
			if tok < 0 || tok >= t.Model.Config.Vocab {
				return fmt.Errorf("fill batch: token %d outside the vocabulary of %d", tok, t.Model.Config.Vocab)
			}
		}
	}
	return nil
}

// fillRow writes a checked example into row b of the batch.
func (t *Trainer) fillRow(b int, ex Example) {
	s := t.pass
	T := s.T
	for i := 0; i < T; i++ {
		r := b*T + i
		s.tokens[r], s.targets[r], s.weights[r] = 0, 0, 0
		s.pos[r], s.seg[r], s.reply[r] = int32(i), 0, 0
		if i < len(ex.Tokens) {
			s.tokens[r] = int32(ex.Tokens[i])
		}
		if i+1 < len(ex.Tokens) {
			s.targets[r] = int32(ex.Tokens[i+1])
			s.weights[r] = t.Opts.ContextWeight
			if ex.Loss[i+1] {
				s.weights[r] = 1
			}
		}
	}
	if ex.Replies != nil {
		t.fillReplies(b, ex)
	}
}

// fillReplies writes the replies of choice ex after its prompt (but its
// last token) in row b: each after a copy of the prompt's last token, at
// the positions that follow the prompt, in a segment of its own.
func (t *Trainer) fillReplies(b int, ex Example) {
	s := t.pass
	P := len(ex.Tokens)
	last := int32(ex.Tokens[P-1])
	r := b*s.T + P - 1
	s.choices = append(s.choices, choice{first: len(s.replies), n: len(ex.Replies), right: ex.Right})
	for k, ids := range ex.Replies {
		s.replies = append(s.replies, reply{tokens: len(ids)})
		for j, tok := range ids {
			s.tokens[r] = last
			if j > 0 {
				s.tokens[r] = int32(ids[j-1])
			}
			s.targets[r], s.weights[r] = int32(tok), 0
			s.pos[r], s.seg[r], s.reply[r] = int32(P-1+j), int32(k+1), int32(len(s.replies))
			r++
		}
	}
}

// StepResult reports one optimizer step.
type StepResult struct {
	Loss     float32
	GradNorm float32 // before clipping
	LR       float64
	Tokens   int // positions processed (Batch × the batch's sequence length)
}

// TrainStep runs one step: a batch from ds, forward, backward, clipping
// and an AdamW update.
func (t *Trainer) TrainStep(ds Dataset) (StepResult, error) {
	if err := t.fillBatch(ds); err != nil {
		return StepResult{}, err
	}
	loss := t.pass.forward(false)
	clear(t.grad)
	t.pass.backward(t.grad)
	norm := t.update()
	r := StepResult{Loss: loss, GradNorm: norm, LR: t.LR(t.Step), Tokens: t.pass.B * t.pass.T}
	t.Step++
	return r, nil
}

// updateChunk is the number of parameters one optimizer item handles.
const updateChunk = 1 << 14

// update clips the gradient to Opts.Clip and applies AdamW with the
// learning rate of t.Step. It returns the gradient norm before clipping.
// Both passes are split over the pool in fixed chunks; the norm's partial
// sums are added in chunk order, so the result does not depend on the
// number of threads.
func (t *Trainer) update() float32 {
	o := t.Opts
	n := len(t.Model.Params)
	chunks := (n + updateChunk - 1) / updateChunk
	if cap(t.opt.partial) < chunks {
		t.opt.partial = make([]float64, chunks)
	}
	t.opt = adamJob{t: t, partial: t.opt.partial[:chunks], norm: true}
	t.pool.run(&t.opt, chunks)
	var ss float64
	for _, p := range t.opt.partial {
		ss += p
	}
	norm := math.Sqrt(ss)
	gscale := 1.0
	if o.Clip > 0 && norm > o.Clip {
		gscale = o.Clip / norm
	}
	step := float64(t.Step + 1)
	t.opt.norm = false
	t.opt.gscale = float32(gscale)
	t.opt.lr = t.LR(t.Step)
	t.opt.bc1 = 1 - math.Pow(o.Beta1, step)
	t.opt.bc2 = 1 - math.Pow(o.Beta2, step)
	t.pool.run(&t.opt, chunks)
	return float32(norm)
}

// adamJob computes the squared gradient norm of each chunk (norm), or
// applies AdamW to each chunk. Weight decay applies to the matrices:
// everything but the embedding and the norm weights.
type adamJob struct {
	t            *Trainer
	partial      []float64
	norm         bool
	gscale       float32
	lr, bc1, bc2 float64
}

func (j *adamJob) item(c int) {
	t, o := j.t, j.t.Opts
	lo, hi := c*updateChunk, min((c+1)*updateChunk, len(t.Model.Params))
	g := t.grad[lo:hi]
	if j.norm {
		var ss float64
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
		j.partial[c] = ss
		return
	}
	lay := t.Model.lay
	embedEnd := lay.embed + t.Model.Config.Vocab*t.Model.Config.Dim
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	p, m1, m2 := t.Model.Params, t.m1, t.m2
	for i := lo; i < hi; {
		// The run [i, end) is all decayed or all not: a norm range, the
		// embedding, or the matrices up to the next norm range.
		end, decay := hi, i >= embedEnd
		for _, r := range lay.norms {
			if i >= r[0] && i < r[1] {
				end, decay = min(hi, r[1]), false
				break
			}
			if r[0] > i {
				end = min(end, r[0])
				break
			}
		}
		if i < embedEnd {
			end = min(end, embedEnd)
		}
		wd := 0.0
		if decay {
			wd = o.WeightDecay
		}
		for ; i < end; i++ {
			gi := t.grad[i] * j.gscale
			m1[i] = b1*m1[i] + (1-b1)*gi
			m2[i] = b2*m2[i] + (1-b2)*gi*gi
			upd := float64(m1[i])/j.bc1/(math.Sqrt(float64(m2[i])/j.bc2)+o.AdamEps) + wd*float64(p[i])
			p[i] -= float32(j.lr * upd)
		}
	}
}

// Train runs steps from t.Step to Opts.Steps, calling each after every
// step (for progress and checkpoints); it stops early when ctx is done
// or each returns an error.
func (t *Trainer) Train(ctx context.Context, ds Dataset, each func(StepResult) error) error {
	for t.Step < t.Opts.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := t.TrainStep(ds)
		if err != nil {
			return fmt.Errorf("train step %d: %w", t.Step, err)
		}
		if each != nil {
			if err := each(r); err != nil {
				return err
			}
		}
	}
	return nil
}

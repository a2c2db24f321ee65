package train

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/tensor"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

// copyTask is a dataset whose examples are a random prefix, a separator
// and the prefix again: learnable only by attending back (induction).
type copyTask struct {
	vocab, n int
	seed     uint64
}

func (c copyTask) Example(i int64) (Example, error) {
	rng := rand.New(rand.NewPCG(c.seed, uint64(i)))
	ex := Example{}
	sep := c.vocab - 1
	body := make([]int, c.n)
	for j := range body {
		body[j] = rng.IntN(c.vocab - 1)
	}
	ex.Tokens = append(append(append(ex.Tokens, body...), sep), body...)
	ex.Loss = make([]bool, len(ex.Tokens))
	for j := c.n + 1; j < len(ex.Loss); j++ {
		ex.Loss[j] = true
	}
	return ex, nil
}

// byteVocab is a byte-level vocabulary of n tokens (256 bytes, merges of
// nothing, specials) for GGUF round trips.
func byteVocab(t testing.TB, n int) tokenizer.Vocab {
	t.Helper()
	v, err := TrainBPE([]string{"hello world, hello there, the world is here"}, n, DefaultSpecials)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var smallConfig = Config{Dim: 32, Layers: 2, Heads: 4, KVHeads: 2, FF: 48, Vocab: 270, Context: 16}

func newSmall(t testing.TB, threads int, steps int) *Trainer {
	t.Helper()
	m, err := NewModel(smallConfig, 42)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(m, Options{Steps: steps, Batch: 4, Seq: 15, LR: 3e-3, Threads: threads, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// trainedSmall is a small model trained for steps on a copy task, its
// dataset and a vocabulary of its size. It is closed when t ends.
func trainedSmall(t *testing.T, steps int) (*Trainer, copyTask, tokenizer.Vocab) {
	t.Helper()
	tr := newSmall(t, 2, max(steps, 1))
	t.Cleanup(tr.Close)
	ds := copyTask{vocab: smallConfig.Vocab, n: 7, seed: 4}
	runLosses(t, tr, ds, steps)
	return tr, ds, byteVocab(t, smallConfig.Vocab)
}

func runLosses(t testing.TB, tr *Trainer, ds Dataset, n int) []float32 {
	t.Helper()
	var losses []float32
	for range n {
		r, err := tr.TrainStep(ds)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, r.Loss)
	}
	return losses
}

func TestDeterministicAcrossThreads(t *testing.T) {
	ds := copyTask{vocab: 270, n: 7, seed: 1}
	a, b := newSmall(t, 1, 6), newSmall(t, 3, 6)
	defer a.Close()
	defer b.Close()
	la, lb := runLosses(t, a, ds, 6), runLosses(t, b, ds, 6)
	if !slices.Equal(la, lb) {
		t.Errorf("losses differ between 1 and 3 threads:\n%v\n%v", la, lb)
	}
	if !slices.Equal(a.Model.Params, b.Model.Params) {
		t.Error("parameters differ between 1 and 3 threads")
	}
}

func TestResumeIsExact(t *testing.T) {
	ds := copyTask{vocab: 270, n: 7, seed: 2}
	const n = 8
	straight := newSmall(t, 2, n)
	defer straight.Close()
	want := runLosses(t, straight, ds, n)

	first := newSmall(t, 2, n)
	got := runLosses(t, first, ds, n/2)
	path := filepath.Join(t.TempDir(), "ckpt")
	if err := first.SaveCheckpoint(path, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	first.Close()
	resumed, extra, err := Resume(path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if string(extra) != `{"x":1}` {
		t.Errorf("extra = %s", extra)
	}
	got = append(got, runLosses(t, resumed, ds, n/2)...)
	if !slices.Equal(got, want) {
		t.Errorf("resumed losses differ:\ngot  %v\nwant %v", got, want)
	}
	if !slices.Equal(resumed.Model.Params, straight.Model.Params) {
		t.Error("resumed parameters differ from the straight run's")
	}
}

func TestLearnsToCopy(t *testing.T) {
	ds := copyTask{vocab: 20, n: 6, seed: 3}
	c := Config{Dim: 32, Layers: 2, Heads: 2, FF: 64, Vocab: 20, Context: 16}
	m, err := NewModel(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(m, Options{Steps: 300, Batch: 16, Seq: 13, LR: 1e-2, Warmup: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var first, last float32
	err = tr.Train(context.Background(), ds, func(r StepResult) error {
		if tr.Step == 1 {
			first = r.Loss
		}
		last = r.Loss
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copy task loss %.3f -> %.3f", first, last)
	if !(last < 0.5*first) || !(float64(last) < math.Log(19)/3) {
		t.Errorf("loss %.3f -> %.3f: the model did not learn to copy", first, last)
	}
}

// TestGGUFMatchesEngine saves a trained model and checks that engine.Load
// computes the same logits as the trainer's forward pass at every position.
func TestGGUFMatchesEngine(t *testing.T) {
	tr, ds, v := trainedSmall(t, 3)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := tr.Model.SaveGGUF(path, v, GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
	em, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	if em.Config.Arch != "llama" || !em.Config.TiedOutput || em.Config.KVHeads != 2 {
		t.Fatalf("engine config %+v", em.Config)
	}

	s := tr.pass
	ex, _ := ds.Example(99)
	if err := tr.checkExample(ex); err != nil {
		t.Fatal(err)
	}
	tr.fillRow(0, ex)
	s.forward(true)
	st := em.NewState(0)
	V := smallConfig.Vocab
	var maxDiff float64
	for i := 0; i < s.T; i++ {
		got, err := st.Forward([]int{int(s.tokens[i])})
		if err != nil {
			t.Fatal(err)
		}
		want := s.logits[i*V : (i+1)*V] // row i of batch row 0 is active row i
		for j := range got {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[j]-want[j])))
		}
	}
	if maxDiff > 1e-4 {
		t.Errorf("engine logits differ from the trainer's by up to %g", maxDiff)
	}

	// Loading back for training gives the same parameters.
	m2, v2, err := LoadGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.Params, tr.Model.Params) || !slices.Equal(v2.Merges, v.Merges) {
		t.Error("LoadGGUF did not give back the saved model")
	}
	// F16 storage loads too.
	if err := tr.Model.SaveGGUF(path, v, GGUFOptions{Type: tensor.F16}); err != nil {
		t.Fatal(err)
	}
	em16, err := engine.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	em16.Close()
}

// TestWeightDecayOnlyOnMatrices applies one update with a zero gradient:
// AdamW's decay must shrink the matrices by lr·wd and leave the norms and
// the embedding alone.
func TestWeightDecayOnlyOnMatrices(t *testing.T) {
	tr := newSmall(t, 2, 10)
	defer tr.Close()
	tr.Opts.WeightDecay = 0.5
	before := slices.Clone(tr.Model.Params)
	clear(tr.grad)
	tr.update()
	lr := tr.LR(0)
	kinds := tensorKinds(tr.Model)
	for i, p := range tr.Model.Params {
		want := before[i]
		switch k := kinds[i]; k {
		case "token_embd", "attn_norm", "ffn_norm", "output_norm":
		default:
			want = float32(float64(before[i]) - lr*0.5*float64(before[i]))
		}
		if math.Abs(float64(p-want)) > 1e-9 {
			t.Fatalf("param %d (%s): %v after decay, want %v", i, kinds[i], p, want)
		}
	}
}

// TestContextWeight checks that the prompt's tokens enter the loss at
// Options.ContextWeight: in the copy task half the predicted tokens are
// learnt (the copy) and half are context (the prefix and separator), so
// a first-step loss at weight w is (L0 + w·(2·L1 − L0)) / (1 + w), where
// L0 and L1 are the losses at weights 0 and 1.
func TestContextWeight(t *testing.T) {
	ds := copyTask{vocab: 270, n: 7, seed: 5}
	first := func(w float32) float64 {
		m, err := NewModel(smallConfig, 42)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(m, Options{Steps: 1, Batch: 4, Seq: 14, Threads: 2, ContextWeight: w})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		return float64(runLosses(t, tr, ds, 1)[0])
	}
	l0, l1, lh := first(0), first(1), first(0.5)
	want := (l0 + 0.5*(2*l1-l0)) / 1.5
	if math.Abs(lh-want) > 1e-4*want || l0 == l1 {
		t.Errorf("losses at weights 0, 1, 0.5: %.5f, %.5f, %.5f; want %.5f at 0.5", l0, l1, lh, want)
	}
}

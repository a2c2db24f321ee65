package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// examples is a dataset of fixed examples, repeated.
type examples []Example

func (e examples) Example(i int64) (Example, error) { return e[i%int64(len(e))], nil }

func plain(tokens ...int) Example {
	loss := make([]bool, len(tokens))
	for i := range loss {
		loss[i] = i > 0
	}
	return Example{Tokens: tokens, Loss: loss}
}

func choiceOf(prompt []int, right int, replies ...[]int) Example {
	return Example{Tokens: prompt, Loss: make([]bool, len(prompt)), Replies: replies, Right: right}
}

// TestChoiceGradients checks the gradient of a batch holding a plain
// example and a choice against finite differences of its loss: the
// ranking loss, the packed replies' masks and positions included.
func TestChoiceGradients(t *testing.T) {
	m := newTinyModel(t, 3, rand.New(rand.NewPCG(5, 5)))
	tr, err := New(m, Options{Steps: 1, Batch: 2, Seq: 8, Threads: 2, ContextWeight: 0.5, RankWeight: 2, RankScale: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ds := examples{plain(1, 2, 3, 4, 5, 6, 7, 8, 9), choiceOf([]int{3, 1, 4, 1}, 1, []int{5, 9}, []int{2, 6}, []int{5})}
	if err := tr.fillBatch(ds); err != nil {
		t.Fatal(err)
	}
	s := tr.pass
	grad := make([]float32, len(m.Params))
	loss := s.forward(false)
	s.backward(grad)
	if len(s.choices) != 1 || len(s.replies) != 3 {
		t.Fatalf("%d choices, %d replies in the batch; want 1 and 3", len(s.choices), len(s.replies))
	}
	var num, den float64
	for i := range m.Params {
		fd := centralDifference(s, i)
		d := fd - float64(grad[i])
		num += d * d
		den += fd*fd + float64(grad[i])*float64(grad[i])
	}
	if rel := math.Sqrt(num / den); rel > 5e-3 {
		t.Errorf("relative error %.3g between analytic and finite-difference gradients (loss %.4f)", rel, loss)
	}
}

// TestChoicePackedMatchesSeparateRows checks that packing replies after
// one prompt rates each exactly as the prompt followed by that reply
// alone does.
func TestChoicePackedMatchesSeparateRows(t *testing.T) {
	prompt := []int{10, 20, 30, 40, 50}
	replies := [][]int{{7, 8, 9}, {60, 2}, {3, 3, 3, 1}}
	packed := newSmall(t, 2, 1)
	defer packed.Close()
	if err := packed.fillBatch(examples{choiceOf(prompt, 2, replies...)}); err != nil {
		t.Fatal(err)
	}
	packed.pass.forward(false)

	sep := newSmall(t, 2, 1)
	defer sep.Close()
	copy(sep.Model.Params, packed.Model.Params)
	var rows examples
	for _, r := range replies {
		ex := Example{Tokens: append(append([]int(nil), prompt...), r...)}
		ex.Loss = make([]bool, len(ex.Tokens))
		for i := len(prompt); i < len(ex.Loss); i++ {
			ex.Loss[i] = true
		}
		rows = append(rows, ex)
	}
	if err := sep.fillBatch(rows); err != nil {
		t.Fatal(err)
	}
	s := sep.pass
	s.forward(false)
	got := make([]float64, s.B)
	for a, r := range s.active {
		got[int(r)/s.T] += float64(s.logp[a])
	}
	for i, rp := range packed.pass.replies {
		if rp.tokens != len(replies[i%len(replies)]) {
			t.Errorf("reply %d: %d tokens rated, want %d", i, rp.tokens, len(replies[i%len(replies)]))
		}
		if math.Abs(rp.logp-got[i%len(replies)]) > 1e-4 {
			t.Errorf("reply %d: packed log-probability %.6f, alone %.6f", i, rp.logp, got[i%len(replies)])
		}
	}
}

// choiceTask asks to choose, among replies each naming one token, the
// one naming the prompt's first token: a choice the model can only make
// by reading the prompt.
type choiceTask struct{ seed uint64 }

func (c choiceTask) Example(i int64) (Example, error) {
	rng := rand.New(rand.NewPCG(c.seed, uint64(i)))
	toks := rng.Perm(200)[:4]
	prompt := []int{toks[0] + 2, toks[1] + 2, toks[2] + 2, 1}
	right := rng.IntN(4)
	var replies [][]int
	for k := range 4 {
		replies = append(replies, []int{toks[(k-right+4)%4] + 2, 0})
	}
	return choiceOf(prompt, right, replies...), nil
}

// TestRankingLearnsChoice trains on choices only and checks that the
// model then rates the right reply first on choices it has not seen.
func TestRankingLearnsChoice(t *testing.T) {
	tr := newSmall(t, 2, 800)
	defer tr.Close()
	l := runLosses(t, tr, choiceTask{seed: 1}, 800)
	t.Logf("loss %.3f -> %.3f", l[0], l[len(l)-1])
	test := choiceTask{seed: 2}
	right := 0
	const n = 50
	for i := range int64(n) {
		ex, _ := test.Example(i)
		if err := tr.fillBatch(examples{ex}); err != nil {
			t.Fatal(err)
		}
		s := tr.pass
		s.forward(false)
		best := 0
		for k, rp := range s.replies[:len(ex.Replies)] {
			if rp.logp/float64(rp.tokens) > s.replies[best].logp/float64(s.replies[best].tokens) {
				best = k
			}
		}
		if best == ex.Right {
			right++
		}
	}
	if right < n*8/10 {
		t.Errorf("right reply rated first in %d of %d unseen choices; want at least 80%%", right, n)
	}
}

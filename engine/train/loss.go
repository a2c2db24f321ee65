package train

import "math"

// A choice is an example that chooses among replies to one prompt (see
// Example.Replies): its replies are replies[first : first+n].
type choice struct {
	first, n, right int
}

// A reply of a choice: its score is the mean log-probability of its
// tokens, as engine.Model.Score rates a continuation.
type reply struct {
	tokens int     // rows predicting one of its tokens
	logp   float64 // their summed log-probabilities
	grad   float32 // d(loss)/d(each of those log-probabilities)
}

// loss computes the loss of the active rows and replaces their logits by
// its gradient. The loss is the sum of two parts:
//
//   - language modelling: Σ w·(−log p(target)) / Σ w over the rows with a
//     weight;
//   - ranking, for the batch's choices: rankWeight times the mean over
//     choices of −log softmax(rankScale·scores)[right], a reply's score
//     being the mean log-probability of its tokens. Every reply's tokens
//     are then learnt with weight rankScale·(y − p)/tokens: up for the
//     right one, down for the others, each as much as the model misjudges
//     it, so the example trains the choice and not merely the writing of
//     the right reply.
func (s *pass) loss() float32 {
	A := len(s.active)
	s.ce = crossEntropyJob{s: s}
	s.p.run(&s.ce, A)

	for i := range s.replies {
		s.replies[i].logp = 0
	}
	var weightSum, lm float64
	for a, r := range s.active {
		if k := s.reply[r]; k > 0 {
			rp := &s.replies[k-1]
			rp.logp += float64(s.logp[a])
			continue
		}
		wt := float64(s.weights[r])
		weightSum += wt
		lm -= wt * float64(s.logp[a])
	}
	var loss float64
	if weightSum > 0 {
		loss = lm / weightSum
	}
	if n := len(s.choices); n > 0 {
		loss += float64(s.rankWeight) * s.rank(s.rankWeight/float32(n)) / float64(n)
	}
	for a, r := range s.active {
		switch k := s.reply[r]; {
		case k > 0:
			s.rowGrad[a] = s.replies[k-1].grad
		case weightSum > 0:
			s.rowGrad[a] = -s.weights[r] / float32(weightSum)
		default:
			s.rowGrad[a] = 0
		}
	}
	s.ce.grad = true
	s.p.run(&s.ce, A)
	return float32(loss)
}

// rank returns the summed ranking loss of the batch's choices and sets
// each reply's gradient, scaled by scale.
//
// Replies differ mostly in their first tokens (the rest is copied from
// the prompt with near certainty), so mean log-probabilities differ by
// little, and a softmax over them would be nearly uniform however well
// the model chooses: rankScale sharpens it. It changes no choice, since
// constrained decoding takes the best mean.
func (s *pass) rank(scale float32) float64 {
	beta := float64(s.rankScale)
	var loss float64
	for _, c := range s.choices {
		rs := s.replies[c.first : c.first+c.n]
		score := func(i int) float64 { return beta * rs[i].logp / float64(rs[i].tokens) }
		hi := math.Inf(-1)
		for i := range rs {
			hi = max(hi, score(i))
		}
		var sum float64
		for i := range rs {
			sum += math.Exp(score(i) - hi)
		}
		for i := range rs {
			lp := score(i) - hi - math.Log(sum)
			y := 0.0
			if i == c.right {
				y = 1
				loss -= lp
			}
			// d(−log p_right)/d(score_i) = p_i − y_i, and a score is
			// rankScale times a mean: each token's log-probability
			// carries rankScale/tokens of it.
			rs[i].grad = scale * float32(beta*(math.Exp(lp)-y)/float64(rs[i].tokens))
		}
	}
	return loss
}

// crossEntropyJob works on one active row per item. The first run
// replaces its logits by probabilities and keeps the log-probability of
// the target; the second (grad) turns the probabilities into the
// gradient of the loss, given d(loss)/d(log p(target)) in rowGrad:
// since d(log p_t)/d(logit_i) = [i = t] − p_i, the gradient is
// −g·p_i, plus g at the target.
type crossEntropyJob struct {
	s    *pass
	grad bool
}

func (j *crossEntropyJob) item(a int) {
	s := j.s
	V := s.m.Config.Vocab
	row := s.logits[a*V : (a+1)*V]
	tgt := int(s.targets[s.active[a]])
	if j.grad {
		g := s.rowGrad[a]
		for i := range row {
			row[i] *= -g
		}
		row[tgt] += g
		return
	}
	mx := row[0]
	for _, v := range row {
		mx = max(mx, v)
	}
	var sum float64
	for i, v := range row {
		e := math.Exp(float64(v - mx))
		row[i] = float32(e)
		sum += e
	}
	p := float64(row[tgt]) / sum
	s.logp[a] = float32(math.Log(math.Max(p, 1e-30)))
	inv := float32(1 / sum)
	for i := range row {
		row[i] *= inv
	}
}

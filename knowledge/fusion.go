package knowledge

// fusionDepth is how many results of each ranking take part in fusion.
const fusionDepth = 50

// rrfK is the constant of reciprocal rank fusion (Cormack et al. 2009).
const rrfK = 60

// fuse merges rankings by weighted reciprocal rank fusion: a chunk scores
// the sum over rankings of weight/(rrfK + rank), rank counted from 1.
func fuse(rankings [][]hit, weights []float64) []hit {
	score := map[int32]float64{}
	var order []int32
	for r, ranking := range rankings {
		for i, h := range ranking {
			if _, ok := score[h.doc]; !ok {
				order = append(order, h.doc)
			}
			score[h.doc] += weights[r] / float64(rrfK+i+1)
		}
	}
	out := make([]hit, len(order))
	for i, d := range order {
		out[i] = hit{d, score[d]}
	}
	return topK(out, len(out))
}

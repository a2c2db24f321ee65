package knowledge

import "math"

type posting struct {
	unit int32 // chunk or article number
	tf   [numFields]uint16
}

// An inverted is a BM25F inverted index over units: chunks, or whole
// articles. Term ids are shared with the Index's vocabulary.
type inverted struct {
	postings [][]posting // by term id, sorted by unit
	fieldLen [numFields][]float32
	avgLen   [numFields]float64
	units    int
}

func newInverted(units int) *inverted {
	v := &inverted{units: units}
	for f := range v.fieldLen {
		v.fieldLen[f] = make([]float32, units)
	}
	return v
}

// add records the terms of one unit; units must be added in increasing
// order. counts is scratch space, cleared here.
func (v *inverted) add(unit int, fields *[numFields][]int32, counts map[int32]*posting) {
	clear(counts)
	for f, ids := range fields {
		v.fieldLen[f][unit] += float32(len(ids))
		for _, id := range ids {
			for int(id) >= len(v.postings) {
				v.postings = append(v.postings, nil)
			}
			p := counts[id]
			if p == nil {
				p = &posting{unit: int32(unit)}
				counts[id] = p
			}
			if p.tf[f] < math.MaxUint16 {
				p.tf[f]++
			}
		}
	}
	for id, p := range counts {
		v.postings[id] = append(v.postings[id], *p)
	}
}

// finish computes average field lengths once all units are added, and
// sizes postings for numTerms terms.
func (v *inverted) finish(numTerms int) {
	for len(v.postings) < numTerms {
		v.postings = append(v.postings, nil)
	}
	for f := range v.avgLen {
		var sum float64
		for _, l := range v.fieldLen[f] {
			sum += float64(l)
		}
		if v.units > 0 {
			v.avgLen[f] = sum / float64(v.units)
		}
		if v.avgLen[f] == 0 {
			v.avgLen[f] = 1
		}
	}
}

// df returns the number of units holding term id.
func (v *inverted) df(id int32) int { return len(v.postings[id]) }

// score adds the BM25F scores of the query terms into acc (indexed by
// unit) and appends to touched every unit it scored for the first time.
// Only terms with ids count; idf comes from qt.
func (v *inverted) score(qt []queryTerm, k1, b float64, weight *[numFields]float64, acc []float64, touched []int32) []int32 {
	for _, t := range qt {
		if t.id < 0 {
			continue
		}
		for _, p := range v.postings[t.id] {
			var tf float64
			for f := range numFields {
				if p.tf[f] == 0 {
					continue
				}
				norm := 1 - b + b*float64(v.fieldLen[f][p.unit])/v.avgLen[f]
				tf += weight[f] * float64(p.tf[f]) / norm
			}
			if acc[p.unit] == 0 {
				touched = append(touched, p.unit)
			}
			acc[p.unit] += t.weight * t.idf * tf / (k1 + tf)
		}
	}
	return touched
}

// contains reports whether term id occurs in unit u.
func (v *inverted) contains(id, u int32) bool {
	ps := v.postings[id]
	lo, hi := 0, len(ps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ps[m].unit < u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(ps) && ps[lo].unit == u
}

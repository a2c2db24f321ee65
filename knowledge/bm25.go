package knowledge

import (
	"math"
	"slices"
)

// A posting records that a term occurs in a unit, with the unit's
// saturated BM25F term weight precomputed at build time:
//
//	sat = tf' / (k1 + tf'),  tf' = Σ_f weight_f · tf_f / (1 - b + b·len_f/avglen_f)
//
// so that a query term scores weight · idf · sat in each unit, and the
// search loop is one multiply-add per posting.
type posting struct {
	unit int32 // chunk or article number
	sat  float32
}

// An inverted is a BM25F inverted index over units: chunks, or whole
// articles. Term ids are shared with the Index's vocabulary.
type inverted struct {
	postings [][]posting // by term id, sorted by unit
	units    int
}

// buildInverted indexes units; unit u's terms are terms(u) by field.
func buildInverted(units, numTerms int, k1, b float64, weight *[numFields]float64, terms func(u int) *[numFields][]int32) *inverted {
	v := &inverted{units: units, postings: make([][]posting, numTerms)}
	var avg [numFields]float64
	for u := range units {
		for f, ids := range terms(u) {
			avg[f] += float64(len(ids))
		}
	}
	for f := range avg {
		if units > 0 {
			avg[f] /= float64(units)
		}
		if avg[f] == 0 {
			avg[f] = 1
		}
	}
	counts := make([][numFields]uint16, numTerms) // scratch, zero between units
	var ids []int32
	for u := range units {
		ids = ids[:0]
		fields := terms(u)
		var norm [numFields]float64
		for f, fids := range fields {
			norm[f] = 1 - b + b*float64(len(fids))/avg[f]
			for _, id := range fids {
				c := &counts[id]
				if *c == ([numFields]uint16{}) {
					ids = append(ids, id)
				}
				if c[f] < math.MaxUint16 {
					c[f]++
				}
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			var tf float64
			for f, n := range counts[id] {
				tf += weight[f] * float64(n) / norm[f]
			}
			counts[id] = [numFields]uint16{}
			v.postings[id] = append(v.postings[id], posting{unit: int32(u), sat: float32(tf / (k1 + tf))})
		}
	}
	return v
}

// df returns the number of units holding term id.
func (v *inverted) df(id int32) int { return len(v.postings[id]) }

// score adds the BM25F scores of the query terms into acc (indexed by
// unit) and appends to touched every unit it scored for the first time.
// Only terms with ids count; idf comes from qt.
func (v *inverted) score(qt []queryTerm, acc []float64, touched []int32) []int32 {
	for _, t := range qt {
		if t.id < 0 {
			continue
		}
		w := t.weight * t.idf
		for _, p := range v.postings[t.id] {
			if t.associate && t.of >= 0 && v.contains(t.of, p.unit) {
				continue // an associate stands in for a missing word only
			}
			if acc[p.unit] == 0 {
				touched = append(touched, p.unit)
			}
			acc[p.unit] += w * float64(p.sat)
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

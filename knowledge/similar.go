package knowledge

// Similarities implements Comparer with the index's latent semantic
// space: the cosine between the question, folded in as a search folds
// it in (associates and typo corrections included), and each text folded
// in by its own words. Words that co-occur in the knowledge's chunks lie
// close there, so "anmeldung" comes near a sentence about the
// "Registrierungsgebühr" of the same section. An index without dense
// vectors (too few chunks, or DenseOptions.Off) rates every text 0.
func (ix *Index) Similarities(question string, texts []string) []float64 {
	out := make([]float64, len(texts))
	if ix.dense == nil {
		return out
	}
	qv := ix.dense.queryVector(ix.queryTerms(Query{Text: question}))
	if qv == nil {
		return out
	}
	for i, t := range texts {
		if tv := ix.dense.queryVector(ownTerms(ix.queryTerms(Query{Text: t}))); tv != nil {
			out[i] = cosine(qv, tv)
		}
	}
	return out
}

// ownTerms returns qt without the associates a search adds: a sentence of
// the knowledge stands for its own words.
func ownTerms(qt []queryTerm) []queryTerm {
	own := qt[:0]
	for _, t := range qt {
		if !t.associate {
			own = append(own, t)
		}
	}
	return own
}

// cosine is the dot product of two unit vectors.
func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

package knowledge

import "context"

// DenseOptions configure the dense (latent semantic analysis) vectors.
type DenseOptions struct {
	// Off disables dense vectors: search is BM25 only.
	Off bool
}

// denseConfidenceScale maps a dense cosine onto the confidence scale.
const denseConfidenceScale = 1.0

// denseModel holds chunk vectors in a latent space.
type denseModel struct{}

func buildDense(ctx context.Context, ix *Index, analysed []chunkTerms, o DenseOptions) (*denseModel, error) {
	return nil, nil
}

func (m *denseModel) queryVector(qt []queryTerm) []float32      { return nil }
func (m *denseModel) search(q []float32, k int) []hit           { return nil }
func (m *denseModel) similarity(q []float32, doc int32) float64 { return 0 }

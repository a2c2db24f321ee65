package knowledge

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/en" // registers the "en" analyzer
)

// bleveSearcher is the baseline the hybrid index is compared with: Bleve
// with its BM25 scoring model and English analyzer, over the same chunks,
// searching all fields with a match query. Test and benchmark use only.
type bleveSearcher struct {
	idx    bleve.Index
	chunks []Chunk
	dir    string // where the index lives
}

type bleveDoc struct {
	Title   string `json:"title"`
	Section string `json:"section"`
	Text    string `json:"text"`
}

func newBleveSearcher(tb testing.TB, chunks []Chunk) *bleveSearcher {
	tb.Helper()
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = "en"
	m.ScoringModel = "bm25"
	dir := tb.TempDir() + "/bleve"
	idx, err := bleve.New(dir, m)
	if err != nil {
		tb.Fatalf("bleve.New: %v", err)
	}
	tb.Cleanup(func() { idx.Close() })
	batch := idx.NewBatch()
	for i, c := range chunks {
		sec := ""
		for _, s := range c.Section {
			sec += s + " "
		}
		if err := batch.Index(strconv.Itoa(i), bleveDoc{Title: c.Title, Section: sec, Text: c.Text}); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() >= 1000 {
			if err := idx.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch = idx.NewBatch()
		}
	}
	if err := idx.Batch(batch); err != nil {
		tb.Fatal(err)
	}
	return &bleveSearcher{idx: idx, chunks: chunks, dir: dir}
}

func (b *bleveSearcher) Search(ctx context.Context, query string, k int) ([]Snippet, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(query), k, 0, false)
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("bleve search: %w", err)
	}
	out := make([]Snippet, 0, len(res.Hits))
	for _, h := range res.Hits {
		i, err := strconv.Atoi(h.ID)
		if err != nil {
			return nil, fmt.Errorf("bleve hit id %q: %w", h.ID, err)
		}
		out = append(out, b.chunks[i].Snippet(h.Score))
	}
	return out, nil
}

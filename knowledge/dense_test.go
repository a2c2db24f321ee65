package knowledge

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// synonymCorpus has two topics. In the refund topic "refund" co-occurs with
// "reimburse" and "money"; the target chunk says only "reimburse money", so
// BM25 cannot find it for the query "refund" while LSA can.
func synonymCorpus() []Chunk {
	var cs []Chunk
	add := func(src, text string) { cs = append(cs, Chunk{DocID: src, Title: "T", Source: src, Text: text}) }
	refund := []string{"refund reimburse money", "refund money payment", "reimburse refund card", "money refund bank",
		"refund claim form", "reimburse claim bank", "refund cash wallet", "money reimburse cheque"}
	ship := []string{"parcel delivery courier", "locker parcel route", "courier delivery van", "route locker door",
		"truck depot parcel", "depot courier scanner", "van driver route", "driver locker truck"}
	for i := range 30 {
		add(fmt.Sprintf("refund-%d", i), refund[i%len(refund)])
		add(fmt.Sprintf("ship-%d", i), ship[i%len(ship)])
	}
	add("target", "we reimburse the money")
	return cs
}

func TestDenseFindsSynonyms(t *testing.T) {
	ctx := context.Background()
	dense, err := Build(ctx, synonymCorpus(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if dense.dense == nil {
		t.Fatal("Build(61 chunks) made no dense vectors")
	}
	lexical, err := Build(ctx, synonymCorpus(), Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		ix   *Index
		want bool
	}{{"bm25", lexical, false}, {"hybrid", dense, true}} {
		got, err := tt.ix.Search(ctx, "refund", 50)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range got {
			if s.Source == "target" {
				found = true
				break
			}
			if s.DocID[:4] == "ship" {
				t.Errorf("%s: Search(refund) ranks off-topic %s above the synonym-only chunk", tt.name, s.Source)
			}
		}
		if found != tt.want {
			t.Errorf("%s: Search(refund) found the synonym-only chunk = %v, want %v", tt.name, found, tt.want)
		}
	}
}

// TestOrthonormalise checks the basis the randomized SVD relies on.
func TestOrthonormalise(t *testing.T) {
	const rows, l = 50, 6
	y := make([]float64, rows*l)
	for i := range y {
		y[i] = math.Sin(float64(i*i%17)) + float64(i%5)
	}
	// Make one column a copy of another: the basis must drop it.
	for r := range rows {
		y[r*l+5] = y[r*l+1]
	}
	q, n := orthonormalise(y, rows, l)
	if n != l-1 {
		t.Fatalf("orthonormalise kept %d columns, want %d", n, l-1)
	}
	for a := range n {
		for b := range n {
			var dot float64
			for r := range rows {
				dot += q[r*n+a] * q[r*n+b]
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(dot-want) > 1e-9 {
				t.Errorf("column %d · column %d = %g, want %g", a, b, dot, want)
			}
		}
	}
}

// TestTwoStageScan checks the approximate scan of large indexes against the
// exact one: most of the exact top 10 must survive.
func TestTwoStageScan(t *testing.T) {
	chunks, queries := syntheticCorpus(3000)
	ix, err := Build(context.Background(), chunks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := ix.dense
	if m == nil || m.rank <= 2*prefixDims {
		t.Fatalf("dense model rank too small for two stages: %+v", m)
	}
	var kept, total int
	for _, q := range queries[:100] {
		v := m.queryVector(ix.queryTerms(Query{Text: q}))
		if v == nil {
			continue
		}
		exact := topK(m.scan(v, m.rank, 10, 0, len(m.chunks)/m.rank), 10)
		approx := m.searchTwoStage(v, 10)
		in := map[int32]bool{}
		for _, h := range approx {
			in[h.doc] = true
		}
		for _, h := range exact {
			total++
			if in[h.doc] {
				kept++
			}
		}
	}
	if share := float64(kept) / float64(total); share < 0.9 {
		t.Errorf("two-stage scan kept %.2f of the exact top 10, want at least 0.9", share)
	} else {
		t.Logf("two-stage scan kept %.3f of the exact top 10", share)
	}
}

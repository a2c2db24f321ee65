package knowledge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
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

// randomModel is a dense model over n random unit vectors of the given
// rank, returned with the float64 vectors it quantized.
func randomModel(t *testing.T, n, rank int, seed uint64) (*denseModel, *mat.Dense) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	c := mat.NewDense(n, rank, nil)
	for i := range n {
		row := c.RawRowView(i)
		var norm float64
		for j := range row {
			// A decaying spectrum, as LSA's dimensions have.
			row[j] = rng.NormFloat64() / math.Sqrt(float64(1+j))
			norm += row[j] * row[j]
		}
		for j := range row {
			row[j] /= math.Sqrt(norm)
		}
	}
	m, err := newDenseModel(rank, make([]float32, rank), quantizeChunks(c), 1)
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

// TestQuantizedScan checks the 8-bit scan against exact float64 cosines:
// nearly all of the exact top 10 must be found, with scores within the
// quantization error, and splitting the scan across goroutines must not
// change the result at all.
func TestQuantizedScan(t *testing.T) {
	for _, tt := range []struct {
		n, rank int
	}{{100, 25}, {5000, 96}, {2*segmentChunks + 17, 40}} {
		t.Run(fmt.Sprintf("%dx%d", tt.n, tt.rank), func(t *testing.T) {
			m, c := randomModel(t, tt.n, tt.rank, uint64(tt.n))
			if m.width%vecBlock != 0 || m.width < tt.rank || m.n != tt.n {
				t.Fatalf("model width %d for rank %d, %d chunks", m.width, tt.rank, m.n)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			var kept, total int
			for range 50 {
				q := make([]float32, m.width)
				var norm float64
				for j := range tt.rank {
					q[j] = float32(rng.NormFloat64())
					norm += float64(q[j]) * float64(q[j])
				}
				for j := range q {
					q[j] /= float32(math.Sqrt(norm))
				}
				exact := make([]hit, tt.n)
				for i := range tt.n {
					var s float64
					for j, x := range c.RawRowView(i) {
						s += x * float64(q[j])
					}
					exact[i] = hit{int32(i), s}
				}
				exactScore := map[int32]float64{}
				for _, h := range exact {
					exactScore[h.doc] = h.score
				}
				const k = 10
				got := m.startScan(q, k, 0).wait()
				for _, h := range got {
					if d := math.Abs(h.score - exactScore[h.doc]); d > 8e-3 {
						t.Errorf("chunk %d: quantized cosine %.5f, exact %.5f", h.doc, h.score, exactScore[h.doc])
					}
				}
				in := map[int32]bool{}
				for _, h := range got {
					in[h.doc] = true
				}
				for _, h := range topK(exact, k) {
					if h.score > 0 {
						total++
						if in[h.doc] {
							kept++
						}
					}
				}
				for _, helpers := range []int{1, 3} {
					if split := m.startScan(q, k, helpers).wait(); !slices.Equal(split, got) {
						t.Fatalf("scan with %d helpers = %v, want %v", helpers, split, got)
					}
				}
			}
			share := float64(kept) / float64(total)
			t.Logf("kept %.3f of the exact top 10", share)
			if share < 0.97 {
				t.Errorf("quantized scan kept %.3f of the exact top 10, want at least 0.97", share)
			}
		})
	}
}

// TestDenseModelRejectsBadScales: an index file's vectors are not trusted.
func TestDenseModelRejectsBadScales(t *testing.T) {
	m, _ := randomModel(t, 40, 32, 1)
	rows := slices.Clone(m.rows)
	binary.LittleEndian.PutUint16(rows[rowBytes(32)*3:], 0x7e00) // NaN
	if _, err := newDenseModel(32, m.terms, rows, 1); !errors.Is(err, ErrIndexFormat) {
		t.Errorf("newDenseModel(NaN scale) = %v, want ErrIndexFormat", err)
	}
	if _, err := newDenseModel(32, m.terms, rows[:len(rows)-1], 1); !errors.Is(err, ErrIndexFormat) {
		t.Errorf("newDenseModel(short rows) = %v, want ErrIndexFormat", err)
	}
}

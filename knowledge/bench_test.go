package knowledge

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchSizes are the help-centre sizes of the benchmarks, in chunks.
var benchSizes = []int{1_000, 10_000, 100_000}

// syntheticCorpus generates n help-centre-like chunks: Zipf-distributed
// words over a vocabulary that grows with n (about 80 body words, a
// 3-word title shared by 8 chunks of an article, a 3-word heading), and
// queries made of 2–6 words of random chunks. Deterministic.
func syntheticCorpus(n int) ([]Chunk, []string) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	vocab := make([]string, 2000+n/2)
	for i := range vocab {
		vocab[i] = syntheticWord(i)
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[zipf.Uint64()])
		}
		return b.String()
	}
	chunks := make([]Chunk, n)
	title := ""
	for i := range chunks {
		if i%8 == 0 {
			title = words(3)
		}
		doc := fmt.Sprintf("article-%d.md", i/8)
		chunks[i] = Chunk{DocID: doc, Title: title, Section: []string{words(3)}, Source: doc + "#s", Text: words(60 + rng.IntN(40))}
	}
	queries := make([]string, 200)
	for i := range queries {
		ws := strings.Fields(chunks[rng.IntN(n)].Text)
		k := 2 + rng.IntN(5)
		start := rng.IntN(len(ws) - k)
		queries[i] = strings.Join(ws[start:start+k], " ")
	}
	return chunks, queries
}

// syntheticWord spells i as a pronounceable lowercase word.
func syntheticWord(i int) string {
	const cons, vows = "bcdfghjklmnprstvz", "aeiou"
	var b []byte
	for {
		b = append(b, cons[i%len(cons)], vows[(i/len(cons))%len(vows)])
		i /= len(cons) * len(vows)
		if i == 0 {
			break
		}
	}
	return string(b) + "x"
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		chunks, _ := syntheticCorpus(n)
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				cpu0 := cpuTime()
				ix, err := Build(context.Background(), chunks, Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "index-MiB")
				runtime.KeepAlive(ix)
			}
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		chunks, queries := syntheticCorpus(n)
		ix, err := Build(context.Background(), chunks, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"hybrid", "bm25", "hybrid-1thread"} {
			s := Searcher(ix)
			if mode == "bm25" {
				s = bm25Only{ix}
			}
			b.Run(fmt.Sprintf("%s/chunks=%d", mode, n), func(b *testing.B) {
				if mode == "hybrid-1thread" {
					// One thread, no scan helpers: the CPU time of each
					// query is its latency on an idle core, whatever
					// else loads the machine.
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					benchQueriesCPU(b, s, queries)
					return
				}
				benchQueries(b, s, queries)
			})
		}
	}
}

// bm25Only searches an index's lexical ranking alone.
type bm25Only struct{ ix *Index }

func (s bm25Only) Search(ctx context.Context, q string, k int) ([]Snippet, error) {
	hits := s.ix.bm25(s.ix.queryTerms(Query{Text: q}), k)
	out := make([]Snippet, len(hits))
	for i, h := range hits {
		out[i] = s.ix.chunks[h.doc].Snippet(h.score)
	}
	return out, nil
}

// benchQueries runs the queries round-robin and reports the median and
// 99th percentile latency next to the mean, and the CPU time per query
// (on a loaded machine the latencies measure the load).
func benchQueries(b *testing.B, s Searcher, queries []string) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		t0 := time.Now()
		if _, err := s.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchQueriesCPU runs the queries round-robin on the calling thread and
// reports the median and 99th percentile of each query's thread CPU time.
func benchQueriesCPU(b *testing.B, s Searcher, queries []string) {
	ctx := context.Background()
	cpu := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := threadCPUTime()
		if _, err := s.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
		cpu = append(cpu, threadCPUTime()-t0)
	}
	b.StopTimer()
	slices.Sort(cpu)
	b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds())/1000, "cpu-p50-ms")
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "cpu-p99-ms")
}

func BenchmarkBleveBuild(b *testing.B) {
	for _, n := range benchSizes {
		chunks, _ := syntheticCorpus(n)
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				cpu0 := cpuTime()
				s := newBleveSearcher(b, chunks)
				b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "index-MiB")
				b.ReportMetric(float64(dirBytes(s.dir))/(1<<20), "disk-MiB")
			}
		})
	}
}

func BenchmarkBleveSearch(b *testing.B) {
	for _, n := range benchSizes {
		chunks, queries := syntheticCorpus(n)
		s := newBleveSearcher(b, chunks)
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			benchQueries(b, s, queries)
		})
	}
}

// BenchmarkMapFile measures start-up from a saved index: map the file and
// make it searchable (the first search included).
func BenchmarkMapFile(b *testing.B) {
	for _, n := range benchSizes {
		chunks, queries := syntheticCorpus(n)
		ix, err := Build(context.Background(), chunks, Options{})
		if err != nil {
			b.Fatal(err)
		}
		path := b.TempDir() + "/kb.idx"
		if err := ix.Save(path); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			cpu0 := cpuTime()
			for range b.N {
				m, release, err := MapFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Search(context.Background(), queries[0], 5); err != nil {
					b.Fatal(err)
				}
				release()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkSimilarities rates 20 sentences against a question, as the
// extractive answerer does with the sentences of four snippets.
func BenchmarkSimilarities(b *testing.B) {
	for _, n := range benchSizes[:2] {
		chunks, queries := syntheticCorpus(n)
		ix, err := Build(context.Background(), chunks, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var sentences []string
		for _, c := range chunks[:20] {
			ws := strings.Fields(c.Text)
			sentences = append(sentences, strings.Join(ws[:15], " "))
		}
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			for i := range b.N {
				ix.Similarities(queries[i%len(queries)], sentences)
			}
		})
	}
}

package extractive_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/redisstore"
	"github.com/switchboard/switchboard/internal/redistest"
	"github.com/switchboard/switchboard/knowledge"
)

// BenchmarkPipelineRedis measures the whole pipeline (Redis store, the
// demo knowledge index, extractive answers) with 200 sessions sending at
// once, and reports reply latency percentiles:
//
//	go test ./conversation/extractive -run '^$' -bench PipelineRedis -benchtime 2000x
func BenchmarkPipelineRedis(b *testing.B) {
	const sessions = 200
	ctx := context.Background()
	srv := redistest.Start(b)
	st, err := redisstore.New(srv.Client(), redisstore.Options{Prefix: "bench", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ix, err := knowledge.Open(ctx, filepath.Join("testdata", "demo", "knowledge"), knowledge.LoadOptions{}, knowledge.Options{})
	if err != nil {
		b.Fatal(err)
	}
	all, err := knowledge.LoadQuestions(filepath.Join("testdata", "demo", "questions.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var qs []knowledge.EvalQuestion
	for _, q := range all {
		if q.Kind == knowledge.KindAnswer && len(q.History) == 0 {
			qs = append(qs, q)
		}
	}
	mg, err := conversation.NewManager(conversation.Options{
		Store: st, Searcher: ix, Answerer: extractive.New(extractive.Options{}),
		Logger: quiet, RateLimit: -1, MaxFallbacks: -1, Workers: sessions,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer mg.Shutdown(ctx)

	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	next := make(chan int)
	b.ResetTimer()
	for s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := &capture{}
			addr := conversation.Address{Platform: "web", Thread: fmt.Sprint("bench-", s)}
			for i := range next {
				q := qs[i%len(qs)]
				t0 := time.Now()
				if err := mg.Handle(ctx, conversation.Message{ID: fmt.Sprint(i), Address: addr, Text: q.Q}, out); err != nil {
					b.Error(err)
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

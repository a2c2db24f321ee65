package openai_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/adapters/openai"
)

// BenchmarkChat measures the adapter's own cost per request (auth, rate
// limit, parsing, response or stream encoding) around a generator that
// returns 16 pieces at once.
func BenchmarkChat(b *testing.B) {
	pieces := strings.Split(strings.Repeat("word ", 16), " ")[:16]
	for _, stream := range []string{"false", "true"} {
		b.Run("stream="+stream, func(b *testing.B) {
			api, err := openai.New(openai.Options{Generator: piecesGen(20, "stop", pieces...), Keys: []openai.Key{{Token: "sk-b", RateLimit: 1 << 30}}, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			api.Register(mux)
			body := `{"model":"m","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello"}],"max_tokens":16,"stream":` + stream + `}`
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer sk-b")
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

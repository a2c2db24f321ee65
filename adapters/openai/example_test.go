package openai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

// echo is a stand-in for a loaded *engine.Model.
type echo struct{}

func (echo) Generate(_ context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
	text := "You said: " + req.Messages[len(req.Messages)-1].Content
	if onToken != nil {
		if err := onToken(text); err != nil {
			return engine.Result{}, err
		}
	}
	return engine.Result{Text: text, PromptTokens: 5, GeneratedTokens: 3, FinishReason: "stop"}, nil
}

func Example() {
	api, err := openai.New(openai.Options{
		Generator: echo{},
		ModelName: "support-bot",
		Keys:      []openai.Key{{Name: "website", Token: "sk-example", RateLimit: 60}},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"support-bot","messages":[{"role":"user","content":"hello"}]}`))
	req.Header.Set("Authorization", "Bearer sk-example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(strings.Contains(string(body), `"content":"You said: hello"`))
	// Output:
	// 200 OK
	// true
}

package openai_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

// testdata/qwen2.gguf is engine/testdata/models/qwen2/model-f32.gguf: a
// tiny random-weight Qwen2 model whose logits the engine checks against
// transformers and llama.cpp.
const tinyModel = "testdata/qwen2.gguf"

func loadModel(t *testing.T) *engine.Model {
	t.Helper()
	m, err := engine.Load(tinyModel)
	if err != nil {
		t.Fatalf("Load(%s): %v", tinyModel, err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// TestRealModel runs chat and legacy completions end to end on a real
// model, and checks the API answers exactly what the engine generates
// itself for the same request, usage included.
func TestRealModel(t *testing.T) {
	m := loadModel(t)
	srv := newServer(t, openai.Options{Generator: m})
	msgs := []engine.ChatMessage{{Role: "system", Content: "You are a support bot."}, {Role: "user", Content: "Where is my parcel?"}}
	direct, err := m.Generate(context.Background(), engine.Request{Messages: msgs, MaxTokens: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if direct.Text == "" {
		t.Fatal("the model generated no text; the test needs some")
	}

	chat := `{"model":"qwen2","messages":[{"role":"system","content":"You are a support bot."},{"role":"user","content":"Where is my parcel?"}],"temperature":0,"max_tokens":12`
	resp, body := post(t, srv, chatPath, chat+`}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body %s", resp.StatusCode, body)
	}
	var got openai.ChatCompletion
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Choices) != 1 {
		t.Fatalf("choices = %+v, want one", got.Choices)
	}
	if got, want := got.Choices[0].Message.Content, direct.Text; got != want {
		t.Errorf("content = %q, want the engine's %q", got, want)
	}
	if got, want := got.Choices[0].FinishReason, direct.FinishReason; got != want {
		t.Errorf("finish_reason = %q, want %q", got, want)
	}
	wantUsage := &openai.Usage{PromptTokens: direct.PromptTokens, CompletionTokens: direct.GeneratedTokens, TotalTokens: direct.PromptTokens + direct.GeneratedTokens}
	if diff := cmp.Diff(wantUsage, got.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if got.Model != "qwen2" {
		t.Errorf("model = %q, want the file name qwen2", got.Model)
	}

	// Streamed, the pieces add up to the same text.
	resp, body = post(t, srv, chatPath, chat+`,"stream":true}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream status = %d; body %s", resp.StatusCode, body)
	}
	var text strings.Builder
	for _, ev := range readEvents(t, body) {
		if ev == "[DONE]" {
			break
		}
		var c openai.ChatChunk
		if err := json.Unmarshal([]byte(ev), &c); err != nil {
			t.Fatal(err)
		}
		if c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
	}
	if got, want := text.String(), direct.Text; got != want {
		t.Errorf("streamed text = %q, want %q", got, want)
	}

	// A stop string cuts the text before its first occurrence.
	runes := []rune(direct.Text)
	stop := string(runes[len(runes)/2:])
	if len(runes) > 4 {
		stop = string(runes[len(runes)/2 : len(runes)/2+2])
	}
	stopJSON, _ := json.Marshal(stop)
	_, body = post(t, srv, chatPath, chat+`,"stop":[`+string(stopJSON)+`]}`, nil)
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := direct.Text[:strings.Index(direct.Text, stop)]
	if got.Choices[0].Message.Content != want || got.Choices[0].FinishReason != "stop" {
		t.Errorf("with stop %q: content %q (%s), want %q (stop)", stop, got.Choices[0].Message.Content, got.Choices[0].FinishReason, want)
	}

	// A legacy completion of token ids, and ids outside the vocabulary.
	ids := []int{1, 2, 3}
	direct, err = m.Generate(context.Background(), engine.Request{IDs: ids, MaxTokens: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, body = post(t, srv, completionPath, `{"model":"qwen2","prompt":[1,2,3],"max_tokens":5,"temperature":0}`, nil)
	var tc openai.TextCompletion
	if err := json.Unmarshal(body, &tc); err != nil {
		t.Fatal(err)
	}
	if len(tc.Choices) != 1 || tc.Choices[0].Text != direct.Text {
		t.Errorf("completion = %s, want text %q", body, direct.Text)
	}
	resp, body = post(t, srv, completionPath, `{"prompt":[1,99999999]}`, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("ids outside the vocabulary: status = %d, want 400; body %s", resp.StatusCode, body)
	}

	// A prompt over the context length is the client's error.
	long := strings.Repeat("parcel ", m.Config.Context+10)
	resp, body = post(t, srv, completionPath, `{"prompt":"`+long+`"}`, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "context_length_exceeded") {
		t.Errorf("prompt over the context: status = %d, want 400 context_length_exceeded; body %s", resp.StatusCode, body)
	}

	// GET /v1/models names the model and its context length.
	_, body = do(t, srv, http.MethodGet, "/v1/models", "", nil)
	var list openai.ModelList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 1 || list.Data[0].ID != "qwen2" || list.Data[0].MaxModelLen != m.Config.Context {
		t.Errorf("models = %s, want qwen2 with max_model_len %d", body, m.Config.Context)
	}
}

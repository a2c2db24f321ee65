package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
)

// TestLlamaCppGreedyTokens checks that llama.cpp loads the trainer's GGUF
// files and continues token-id prompts with the same greedy tokens as the
// runtime (engine.Model.Generate with Request.IDs at temperature 0, which
// is what `switchboard generate --ids` runs). It needs a llama.cpp build:
// LLAMA_CPP_BIN is the folder holding llama-server (and its shared
// libraries); the test is skipped without it. The models compared are
// the built-in one and any GGUF files listed in LLAMA_CPP_MODELS
// (comma-separated), such as the output of a fine-tuning run.
//
//	LLAMA_CPP_BIN=/path/to/llama.cpp/build/bin go test ./engine/train -run LlamaCpp -v
func TestLlamaCppGreedyTokens(t *testing.T) {
	bin := os.Getenv("LLAMA_CPP_BIN")
	if bin == "" {
		t.Skip("LLAMA_CPP_BIN is not set (the folder of a llama.cpp build's llama-server)")
	}
	server := filepath.Join(bin, "llama-server")
	if _, err := os.Stat(server); err != nil {
		t.Fatalf("LLAMA_CPP_BIN: %v", err)
	}
	models := map[string]string{}
	builtinPath := filepath.Join(t.TempDir(), "builtin.gguf")
	if err := os.WriteFile(builtinPath, builtin.GGUF(), 0o644); err != nil {
		t.Fatal(err)
	}
	models["builtin"] = builtinPath
	for _, p := range strings.Split(os.Getenv("LLAMA_CPP_MODELS"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			models[filepath.Base(p)] = p
		}
	}
	const n = 32
	for name, path := range models {
		t.Run(name, func(t *testing.T) {
			m, err := engine.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ll := startLlamaServer(t, server, path, m.Config.Context)
			for _, p := range llamaPrompts(t, m) {
				res, err := m.Generate(context.Background(), engine.Request{IDs: p.ids, MaxTokens: n}, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := ll.complete(t, p.ids, n, false)
				// llama.cpp reports the end-of-generation token it stopped
				// at; the runtime stops before it.
				if len(got) > 0 && m.Tokenizer.IsEOG(got[len(got)-1]) {
					got = got[:len(got)-1]
				}
				if !slices.Equal(got, res.IDs) {
					t.Errorf("%s (%d prompt tokens): llama.cpp %v, runtime %v", p.name, len(p.ids), got, res.IDs)
					continue
				}
				t.Logf("%s (%d prompt tokens): %d identical greedy tokens %v (%q)", p.name, len(p.ids), len(got), got, res.Text)

				// All n tokens, ending the turn forbidden on both sides
				// (llama.cpp's ignore_eos biases every end-of-generation
				// token to -inf).
				long := ll.complete(t, p.ids, n, true)
				if want := greedyNoEOG(t, m, p.ids, n); !slices.Equal(long, want) {
					t.Errorf("%s, %d tokens without end of turn: llama.cpp %v, runtime %v", p.name, n, long, want)
				} else {
					t.Logf("%s, %d tokens without end of turn: identical", p.name, len(long))
				}
			}
		})
	}
}

// greedyNoEOG continues ids for n tokens with the runtime's forward pass,
// taking the most likely token that does not end the turn.
func greedyNoEOG(t *testing.T, m *engine.Model, ids []int, n int) []int {
	t.Helper()
	st := m.NewState(0)
	logits, err := st.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for len(out) < n {
		best := -1
		for id, l := range logits {
			if !m.Tokenizer.IsEOG(id) && (best < 0 || l > logits[best]) {
				best = id
			}
		}
		out = append(out, best)
		if logits, err = st.Forward([]int{best}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type llamaPrompt struct {
	name string
	ids  []int
}

// llamaPrompts are three prompts of ids: a ChatML turn with a snippet
// (what the model is trained on), plain text, and random ids.
func llamaPrompts(t *testing.T, m *engine.Model) []llamaPrompt {
	t.Helper()
	tok := m.Tokenizer
	special := func(s string) int {
		id, ok := tok.ID(s)
		if !ok {
			t.Skipf("vocabulary has no %s", s)
		}
		return id
	}
	start, end := special(TokenImStart), special(TokenImEnd)
	var chat []int
	for _, turn := range [][2]string{
		{"system", "Answer from the snippets.\n[1] Delivery: Parcels to Norway arrive in 3 to 5 working days."},
		{"user", "How long does delivery to Norway take?"},
	} {
		chat = append(chat, start)
		chat = append(chat, tok.Encode(turn[0]+"\n"+turn[1])...)
		chat = append(chat, end)
		chat = append(chat, tok.Encode("\n")...)
	}
	chat = append(chat, start)
	chat = append(chat, tok.Encode("assistant\n")...)
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]int, 24)
	for i := range random {
		random[i] = rng.IntN(m.Config.Vocab)
	}
	return []llamaPrompt{
		{"chatml", chat},
		{"text", tok.Encode("You can pause your plan for up to three months from the account page, and")},
		{"random", random},
	}
}

// llamaServer is a llama-server process serving one model.
type llamaServer struct{ url string }

func startLlamaServer(t *testing.T, server, model string, ctxLen int) llamaServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var log bytes.Buffer
	cmd := exec.Command(server, "-m", model, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"-c", fmt.Sprint(ctxLen), "-np", "1", "-t", "2")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Dir(server)+":"+os.Getenv("LD_LIBRARY_PATH"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := llamaServer{url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("llama-server did not become healthy in 2 minutes:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// complete asks for n greedy tokens after ids; ignoreEOS forbids ending
// the turn.
func (s llamaServer) complete(t *testing.T, ids []int, n int, ignoreEOS bool) []int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"prompt": ids, "n_predict": n, "temperature": 0, "top_k": 1, "repeat_penalty": 1.0,
		"return_tokens": true, "cache_prompt": false, "ignore_eos": ignoreEOS,
	})
	resp, err := http.Post(s.url+"/completion", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("llama-server /completion: status %s, %v", resp.Status, err)
	}
	return out.Tokens
}

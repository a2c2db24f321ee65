package openai_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

// TestDisconnectCancelsGeneration checks that a client going away cancels
// the context Generate runs under, that the handler returns, and that no
// goroutine is left behind.
func TestDisconnectCancelsGeneration(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := "json"
		if stream {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			started := make(chan struct{})
			sawCancel := make(chan error, 1)
			gen := &fakeGen{fn: func(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
				if onToken != nil {
					if err := onToken("a"); err != nil {
						return engine.Result{}, err
					}
				}
				close(started)
				select {
				case <-ctx.Done():
					sawCancel <- ctx.Err()
					return engine.Result{}, ctx.Err()
				case <-time.After(10 * time.Second):
					sawCancel <- errors.New("never cancelled")
					return engine.Result{}, nil
				}
			}}
			api, err := openai.New(openai.Options{Generator: gen, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			api.Register(mux)
			handlerDone := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(handlerDone)
				mux.ServeHTTP(w, r)
			}))

			ctx, cancel := context.WithCancel(context.Background())
			body := `{"messages":[{"role":"user","content":"hi"}],"stream":` + map[bool]string{true: "true", false: "false"}[stream] + `}`
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+chatPath, strings.NewReader(body))
			client := srv.Client()
			respDone := make(chan struct{})
			go func() {
				defer close(respDone)
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				if stream { // read the first piece, to be sure it streamed
					r := bufio.NewReader(resp.Body)
					for {
						line, err := r.ReadString('\n')
						if err != nil || strings.Contains(line, `"content":"a"`) {
							break
						}
					}
				}
			}()
			select {
			case <-started:
			case <-time.After(5 * time.Second):
				t.Fatal("Generate was not called")
			}
			cancel()

			select {
			case err := <-sawCancel:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Generate saw ctx.Err() = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Generate's context was not cancelled after the client went away")
			}
			select {
			case <-handlerDone:
			case <-time.After(5 * time.Second):
				t.Fatal("the handler did not return after the client went away")
			}
			<-respDone
			client.CloseIdleConnections()
			srv.Close()

			deadline := time.Now().Add(3 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if after := runtime.NumGoroutine(); after > before {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

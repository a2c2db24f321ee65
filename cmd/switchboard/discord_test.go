package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeDiscordCommands is a Discord REST API that records bulk overwrites.
type fakeDiscordCommands struct {
	mu   sync.Mutex
	reqs []*http.Request // guarded by mu
	body [][]byte        // guarded by mu
}

func (f *fakeDiscordCommands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.body = append(f.body, b)
	f.mu.Unlock()
	var cmds []map[string]any
	if err := json.Unmarshal(b, &cmds); err != nil {
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	for i := range cmds {
		cmds[i]["id"] = "CMD1"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(cmds)
}

func TestDiscordRegister(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPath string
		wantOut  string
	}{
		{"global", nil, "/api/v9/applications/APP/commands", "Registered /ask (id CMD1) globally"},
		{"guild", []string{"--guild", "G1"}, "/api/v9/applications/APP/guilds/G1/commands", "Registered /ask (id CMD1) in server G1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDiscordCommands{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			t.Setenv("DISCORD_BOT_TOKEN", "tok")
			t.Setenv("DISCORD_APPLICATION_ID", "APP")
			t.Setenv("DISCORD_API_URL", srv.URL)
			var stdout, stderr bytes.Buffer
			args := append([]string{"discord", "register"}, tt.args...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%v) = %v, stderr %s", args, err, stderr.String())
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(f.reqs))
			}
			r := f.reqs[0]
			if r.Method != "PUT" || r.URL.Path != tt.wantPath {
				t.Errorf("request = %s %s, want PUT %s", r.Method, r.URL.Path, tt.wantPath)
			}
			if got := r.Header.Get("Authorization"); got != "Bot tok" {
				t.Errorf("Authorization = %q, want %q", got, "Bot tok")
			}
			var cmds []struct {
				Name    string `json:"name"`
				Options []struct {
					Name     string `json:"name"`
					Type     int    `json:"type"`
					Required bool   `json:"required"`
				} `json:"options"`
			}
			if err := json.Unmarshal(f.body[0], &cmds); err != nil {
				t.Fatal(err)
			}
			if len(cmds) != 1 || cmds[0].Name != "ask" || len(cmds[0].Options) != 1 ||
				cmds[0].Options[0].Name != "question" || cmds[0].Options[0].Type != 3 || !cmds[0].Options[0].Required {
				t.Errorf("commands = %+v, want /ask with a required string option question", cmds)
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestDiscordRegisterErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"401: Unauthorized","code":0}`)
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantUsage bool
		wantErr   string
	}{
		{"no subcommand", nil, []string{"discord"}, true, "no subcommand"},
		{"unknown subcommand", nil, []string{"discord", "nope"}, true, "unknown subcommand"},
		{"no credentials", map[string]string{"DISCORD_BOT_TOKEN": "", "DISCORD_APPLICATION_ID": ""}, []string{"discord", "register"}, false, "DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID"},
		{"extra argument", nil, []string{"discord", "register", "x"}, true, "unexpected argument"},
		{"rejected token", map[string]string{"DISCORD_BOT_TOKEN": "bad", "DISCORD_APPLICATION_ID": "APP", "DISCORD_API_URL": srv.URL}, []string{"discord", "register"}, false, "401"},
		{"bad api url", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APPLICATION_ID": "APP", "DISCORD_API_URL": "nope"}, []string{"discord", "register"}, false, "api url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			var u usageError
			if got := errors.As(err, &u); got != tt.wantUsage {
				t.Errorf("usage error = %t, want %t (%v)", got, tt.wantUsage, err)
			}
		})
	}
}

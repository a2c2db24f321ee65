package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/engine"
)

// TestTrainWritesLoadableModelAndResumes trains a tiny model for a few
// steps, checks the GGUF loads in the runtime with a working tokenizer,
// then resumes from the checkpoint to a later step.
func TestTrainWritesLoadableModelAndResumes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.gguf")
	ckpt := filepath.Join(dir, "ckpt")
	args := []string{"--out", out, "--checkpoint", ckpt, "--steps", "2", "--every", "1", "--batch", "2", "--seq", "512",
		"--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "400", "--bpe-texts", "200", "--seed", "3", "--eval", "2"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"train"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	m, err := engine.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Vocab != 400 || m.Config.Dim != 32 || m.Template.Name != "chatml" {
		t.Errorf("loaded config %+v, template %q", m.Config, m.Template.Name)
	}
	text := "How much does the Plus plan cost?"
	if got := m.Tokenizer.Decode(m.Tokenizer.Encode(text)); got != text {
		t.Errorf("tokenizer round trip: %q", got)
	}
	m.Close()

	// Resume to step 4: the loss log continues at step 3.
	stdout.Reset()
	stderr.Reset()
	args[5] = "4"
	if err := run(context.Background(), append([]string{"train"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "resuming") {
		t.Errorf("second run did not resume:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "eval at step 4: exact") {
		t.Errorf("no evaluation line after training:\n%s", stderr.String())
	}
	log, err := os.ReadFile(filepath.Join(ckpt, "loss.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	var steps []string
	for _, l := range lines {
		steps = append(steps, strings.SplitN(l, "\t", 2)[0])
	}
	if strings.Join(steps, ",") != "1,2,3,4" {
		t.Errorf("steps logged %v, want 1,2,3,4", steps)
	}
}

func TestTrainRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--dim", "30", "--heads", "4", "--bpe-texts", "20", "--vocab", "300"},
		{"--init", "default"},
		{"--steps", "x"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"train", "--out", filepath.Join(t.TempDir(), "m.gguf")}, args...), &stdout, &stderr)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("train %v: err = %v, want a usage error", args, err)
		}
	}
}

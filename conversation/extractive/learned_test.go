package extractive

import (
	"bytes"
	"flag"
	"io"
	"os"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

var update = flag.Bool("update", false, "rewrite the learned tables from configs/train")

// TestLearnedTables checks that the embedded tables are what the
// training help centres (not the demo, an evaluation set) teach; go test
// ./conversation/extractive -run TestLearnedTables -update rewrites them.
func TestLearnedTables(t *testing.T) {
	pairs, err := knowledge.ReadQAPairs("../../configs/train", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) < 1000 {
		t.Fatalf("%d training pairs; want the training centres' thousands", len(pairs))
	}
	for file, learned := range map[string]io.WriterTo{
		"associations.txt": knowledge.LearnAssociations(pairs, grounding.Terms, grounding.Terms, knowledge.LearnOptions{}),
		"repeats.txt":      knowledge.LearnRepeats(pairs, grounding.Terms, grounding.Terms, knowledge.LearnOptions{}),
	} {
		var want bytes.Buffer
		if _, err := learned.WriteTo(&want); err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, want.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if have := map[string]string{"associations.txt": associationsFile, "repeats.txt": repeatsFile}[file]; have != want.String() {
			t.Errorf("%s is not what configs/train teaches; run go test ./conversation/extractive -run TestLearnedTables -update", file)
		}
	}
}

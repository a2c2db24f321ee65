package extractive

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

var update = flag.Bool("update", false, "rewrite associations.txt from configs/train")

// TestAnswerAssociations checks that the embedded associations are what
// the training help centres (not the demo, an evaluation set) teach;
// go test ./conversation/extractive -run TestAnswerAssociations -update
// rewrites them.
func TestAnswerAssociations(t *testing.T) {
	pairs, err := knowledge.ReadQAPairs("../../configs/train", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) < 1000 {
		t.Fatalf("%d training pairs; want the training centres' thousands", len(pairs))
	}
	learned := knowledge.LearnAssociations(pairs, grounding.Terms, grounding.Terms, knowledge.LearnOptions{})
	var want bytes.Buffer
	if _, err := learned.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("associations.txt", want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if associationsFile != want.String() {
		t.Fatal("associations.txt is not what configs/train teaches; run go test ./conversation/extractive -run TestAnswerAssociations -update")
	}
}

package extractive

import (
	"flag"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/internal/golden"
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
	const how = "run go test ./conversation/extractive -run TestLearnedTables -update"
	golden.Check(t, "associations.txt", knowledge.ByLanguage(pairs, func(p []knowledge.QAPair) knowledge.Associations {
		return knowledge.LearnAssociations(p, grounding.Terms, grounding.Terms, knowledge.LearnOptions{})
	}), *update, how)
	golden.Check(t, "repeats.txt", knowledge.ByLanguage(pairs, func(p []knowledge.QAPair) knowledge.Repeats {
		return knowledge.LearnRepeats(p, grounding.Terms, grounding.Terms, knowledge.LearnOptions{})
	}), *update, how)
}

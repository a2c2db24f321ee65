package synth

import (
	"github.com/switchboard/switchboard/knowledge"

	"slices"
	"strings"
	"testing"
)

// TestCopyDrills checks the copy drills: every answer, and every answer
// of the history, is a sentence of the snippet its marker names, asked
// for by words of its own; answers are spread over the snippets'
// sentences, not only their first, and most were changed from the
// articles' (scrambled) so they cannot be known by heart; an
// unanswerable one is Unknown.
func TestCopyDrills(t *testing.T) {
	g := newGen(t, Options{Seed: 5, Knowledge: []string{demoKB}, KnowledgeShare: 1, Copies: 1})
	var later, unknown, drills, changed int
	for i := range int64(400) {
		ex := g.Example(i)
		msgs := ex.Prompt.Messages
		question := msgs[len(msgs)-1].Content
		if ex.Unanswerable {
			if ex.Answer != Unknown {
				t.Fatalf("example %d: unanswerable, answered %q", i, ex.Answer)
			}
			unknown++
			continue
		}
		turns := [][2]string{{question, ex.Answer}}
		for j := 1; j+1 < len(msgs)-1; j += 2 {
			turns = append(turns, [2]string{msgs[j].Content, msgs[j+1].Content})
			drills++
		}
		for _, qa := range turns {
			m := markerRE.FindStringSubmatch(qa[1])
			if m == nil {
				t.Fatalf("example %d: answer %q has no marker", i, qa[1])
			}
			k := int(m[1][0] - '1')
			sentence := strings.TrimSuffix(qa[1], m[0])
			if k >= len(ex.Prompt.Snippets) || !strings.Contains(ex.Prompt.Snippets[k].Text, sentence) {
				t.Fatalf("example %d: answer %q is not a sentence of snippet [%d]", i, qa[1], k+1)
			}
			if !slices.ContainsFunc(contentWords(sentence), func(w string) bool { return strings.Contains(strings.ToLower(qa[0]), w) }) {
				t.Fatalf("example %d: question %q asks for %q by none of its words", i, qa[0], sentence)
			}
			if !strings.HasPrefix(ex.Prompt.Snippets[k].Text, sentence) {
				later++
			}
			if !slices.ContainsFunc(g.chunks, func(c knowledge.Chunk) bool { return strings.Contains(c.Text, sentence) }) {
				changed++
			}
		}
	}
	if later < 200 || unknown == 0 || drills < 200 || changed < 200 {
		t.Errorf("%d answers not a snippet's first sentence, %d changed from the articles', %d unanswerable, %d earlier turns in 400 examples: want most, most, some and many",
			later, changed, unknown, drills)
	}
}

// TestCopiesOffByDefault checks that without Copies the knowledge
// examples are asked by heading, as before copy drills existed.
func TestCopiesOffByDefault(t *testing.T) {
	with := newGen(t, Options{Seed: 5, Knowledge: []string{demoKB}, KnowledgeShare: 1})
	for i := range int64(100) {
		ex := with.Example(i)
		if ex.Drills != 0 {
			t.Fatalf("example %d has %d drill turns without Copies", i, ex.Drills)
		}
	}
}

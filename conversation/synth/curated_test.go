package synth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
)

const questionsFile = "testdata/questions.jsonl"

func TestCuratedQuestions(t *testing.T) {
	g := newGen(t, Options{Seed: 5, Knowledge: []string{demoKB}, Questions: []string{questionsFile}, QuestionShare: 1})
	if got := len(g.Lost()); got != 1 || !strings.Contains(g.Lost()[0].Answer, "bitcoin") {
		t.Fatalf("Lost() = %v, want the one misquoted answer", g.Lost())
	}
	if got, want := g.Curated(), 6; got != want {
		t.Fatalf("Curated() = %d, want %d", got, want)
	}
	answers := make(map[string]bool)
	for _, c := range g.curated {
		if c.chunk >= 0 {
			answers[c.answer] = true
		}
	}
	var answered, unknown, followUps int
	for i := range int64(300) {
		ex := g.Example(i)
		if !ex.Curated {
			t.Fatalf("example %d not curated with QuestionShare 1", i)
		}
		msgs := ex.Prompt.Messages
		if len(msgs) > 2 {
			followUps++
			if msgs[1].Role != "user" || msgs[2].Role != "assistant" || msgs[2].Content == "" {
				t.Errorf("example %d: history %q, want a user question and its reply", i, msgs[1:3])
			}
		}
		sentences := 0
		for _, s := range ex.Prompt.Snippets {
			sentences += len(grounding.Sentences(s.Text))
		}
		if sentences > excerptSentences+2 { // a joined list item may split in two
			t.Errorf("example %d: %d snippet sentences, want about %d", i, sentences, excerptSentences)
		}
		if ex.Answer == Unknown {
			unknown++
			continue
		}
		answered++
		m := markerRE.FindStringSubmatch(ex.Answer)
		if m == nil {
			t.Fatalf("example %d: answer %q has no citation marker", i, ex.Answer)
		}
		sentence := strings.TrimSuffix(ex.Answer, m[0])
		if !answers[sentence] {
			t.Errorf("example %d: answer %q is not a curated answer", i, sentence)
		}
		k := int(m[1][0] - '1')
		if !strings.Contains(ex.Prompt.Snippets[k].Text, sentence) {
			t.Errorf("example %d: answer %q not in snippet [%d] %q", i, sentence, k+1, ex.Prompt.Snippets[k].Text)
		}
	}
	if answered < 180 || unknown < 30 || followUps < 20 {
		t.Errorf("answered %d, unknown %d, follow-ups %d of 300: want most answered, some unknown and some follow-ups", answered, unknown, followUps)
	}
}

func TestCuratedOffByDefault(t *testing.T) {
	a := newGen(t, Options{Seed: 2, Knowledge: []string{demoKB}})
	b := newGen(t, Options{Seed: 2, Knowledge: []string{demoKB}, Questions: []string{questionsFile}, QuestionShare: 0.3})
	curated := 0
	for i := range int64(200) {
		if b.Example(i).Curated {
			curated++
		}
		if a.Example(i).Curated {
			t.Fatalf("example %d curated without questions", i)
		}
	}
	if curated < 30 || curated > 90 {
		t.Errorf("%d of 200 curated at share 0.3", curated)
	}
}

func TestLoadQuestionsErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"bad json":  "{\"q\": \n",
		"no answer": `{"q": "how much", "doc": "plans-and-pricing.md"}`,
		"no q":      `{"doc": "a.md", "answer": "x"}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".jsonl")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadQuestions(path); err == nil {
			t.Errorf("%s: LoadQuestions succeeded", name)
		}
	}
	heldout := filepath.Join(dir, "heldout", "questions.jsonl")
	if _, err := LoadQuestions(heldout); !errors.Is(err, ErrHeldOut) {
		t.Errorf("LoadQuestions(%s) = %v, want ErrHeldOut", heldout, err)
	}
	if _, err := New(context.Background(), Options{Knowledge: []string{demoKB}, Questions: []string{filepath.Join(dir, "missing.jsonl")}}); err == nil {
		t.Error("New with a missing questions file succeeded")
	}
}

// TestCuratedFolders checks that a question is about the folder its
// answer is in, even when another folder has a document of the same
// name, and that its snippets come from that folder only.
func TestCuratedFolders(t *testing.T) {
	dir := t.TempDir()
	kb := filepath.Join(dir, "knowledge")
	if err := os.MkdirAll(kb, 0o755); err != nil {
		t.Fatal(err)
	}
	article := "# Refunds\n\n## Timing\n\nRefunds reach your card within 9 working days of the return scan.\n\n## Vouchers\n\nGift vouchers are refunded as store credit only.\n"
	if err := os.WriteFile(filepath.Join(kb, "refunds.md"), []byte(article), 0o644); err != nil {
		t.Fatal(err)
	}
	questions := filepath.Join(dir, "questions.jsonl")
	lines := `{"q": "how long till i see my money", "doc": "refunds.md", "answer": "Refunds reach your card within 9 working days of the return scan."}
{"q": "do you price match", "kind": "out_of_scope"}
`
	if err := os.WriteFile(questions, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	g := newGen(t, Options{Seed: 4, Knowledge: []string{demoKB, kb}, Questions: []string{questions}, QuestionShare: 1})
	for _, c := range g.curated {
		if c.folder != 1 {
			t.Errorf("%q: folder %d, want 1 (the folder with its answer)", c.Q, c.folder)
		}
	}
	for i := range int64(50) {
		for _, s := range g.Example(i).Prompt.Snippets {
			for _, sent := range grounding.Sentences(s.Text) {
				if !strings.Contains(article, sent) {
					t.Fatalf("example %d: snippet sentence %q is not from the question's folder", i, sent)
				}
			}
		}
	}
}

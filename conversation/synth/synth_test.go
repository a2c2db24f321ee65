package synth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation/prompt"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/builtin"
	"github.com/switchboard/switchboard/engine/tokenizer"
)

const demoKB = "../../configs/knowledge"

var numberRE = regexp.MustCompile(`\d+(?:[.,:]\d+)*`)
var markerRE = regexp.MustCompile(` \[(\d)\]$`)

func newGen(t *testing.T, o Options) *Generator {
	t.Helper()
	g, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAnswersAreGrounded checks every answer: an unanswerable one is
// Unknown; an answerable one is a sentence of the snippet its marker
// names, so every number in it appears in that snippet.
func TestAnswersAreGrounded(t *testing.T) {
	g := newGen(t, Options{Seed: 1, Knowledge: []string{demoKB}})
	var unknown, follow, kb int
	const n = 3000
	for i := range int64(n) {
		ex := g.Example(i)
		if ex.Prompt.Text != prompt.Render(ex.Prompt.Messages) {
			t.Fatalf("example %d: prompt text is not the rendering of its messages", i)
		}
		if ex.Unanswerable {
			unknown++
			if ex.Answer != Unknown {
				t.Fatalf("example %d: unanswerable with answer %q", i, ex.Answer)
			}
			continue
		}
		if ex.FollowUp {
			follow++
			if ex.Prompt.History == 0 {
				t.Errorf("example %d: follow-up without history", i)
			}
		}
		if ex.FromKB {
			kb++
		}
		m := markerRE.FindStringSubmatch(ex.Answer)
		if m == nil {
			t.Fatalf("example %d: answer %q has no citation marker", i, ex.Answer)
		}
		k := int(m[1][0] - '1')
		if k >= len(ex.Prompt.Snippets) {
			t.Fatalf("example %d: marker [%d] beyond %d snippets", i, k+1, len(ex.Prompt.Snippets))
		}
		body := strings.TrimSuffix(ex.Answer, m[0])
		snip := ex.Prompt.Snippets[k].Text
		if !strings.Contains(snip, body) {
			t.Fatalf("example %d: answer %q is not in snippet [%d] %q", i, body, k+1, snip)
		}
		for _, num := range numberRE.FindAllString(body, -1) {
			if !strings.Contains(snip, num) {
				t.Fatalf("example %d: number %s of the answer is not in its snippet", i, num)
			}
		}
		if !strings.Contains(ex.Prompt.Messages[0].Content, body) {
			t.Fatalf("example %d: the answer is not in the system message the model sees", i)
		}
	}
	frac := float64(unknown) / n
	t.Logf("%d examples: %.1f%% unanswerable, %d follow-ups, %d from the knowledge base", n, 100*frac, follow, kb)
	if frac < 0.10 || frac > 0.25 {
		t.Errorf("unanswerable fraction %.3f, want about 0.15", frac)
	}
	if follow < n/50 || kb < n/10 {
		t.Errorf("%d follow-ups and %d knowledge-base examples in %d", follow, kb, n)
	}
}

func TestDeterministic(t *testing.T) {
	a := newGen(t, Options{Seed: 7, Knowledge: []string{demoKB}})
	b := newGen(t, Options{Seed: 7, Knowledge: []string{demoKB}})
	c := newGen(t, Options{Seed: 8, Knowledge: []string{demoKB}})
	same := 0
	for _, i := range []int64{0, 5, 999, 123456} {
		if !reflect.DeepEqual(a.Example(i), b.Example(i)) {
			t.Errorf("example %d differs between two generators of one seed", i)
		}
		if reflect.DeepEqual(a.Example(i), c.Example(i)) {
			same++
		}
	}
	if same == 4 {
		t.Error("different seeds give the same examples")
	}
}

// TestNeverHeldOut checks that the held-out knowledge base is refused and
// that none of its sentences appears in generated examples.
func TestNeverHeldOut(t *testing.T) {
	const heldout = "../../configs/heldout"
	if _, err := New(context.Background(), Options{Knowledge: []string{heldout}}); !errors.Is(err, ErrHeldOut) {
		t.Errorf("New with the held-out folder: err = %v, want ErrHeldOut", err)
	}
	if _, err := New(context.Background(), Options{Knowledge: []string{filepath.Join(heldout, "sub")}}); !errors.Is(err, ErrHeldOut) {
		t.Errorf("New inside the held-out folder: err = %v, want ErrHeldOut", err)
	}
	var files []string
	filepath.WalkDir(heldout, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no held-out knowledge base in this checkout")
	}
	held := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range sentences(string(b)) {
			if len(s) > 40 {
				held[s] = true
			}
		}
	}
	t.Logf("%d held-out sentences from %d files", len(held), len(files))
	g := newGen(t, Options{Seed: 3, Knowledge: []string{demoKB}})
	for i := range int64(2000) {
		ex := g.Example(i)
		for s := range held {
			if strings.Contains(ex.Prompt.Text, s) || strings.Contains(ex.Answer, s) {
				t.Fatalf("example %d contains held-out sentence %q", i, s)
			}
		}
	}
}

// TestDrillTurnsAreLearnt checks that every assistant turn of an example
// is learnt, and nothing else but the answer: the learnt tokens decode to
// the history's assistant turns and the answer, each with its end token.
func TestDrillTurnsAreLearnt(t *testing.T) {
	f, err := builtin.File()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(t, Options{Seed: 5, Budget: 384, Count: func(s string) int { return len(tok.Encode(s)) }})
	drills := 0
	for i := range int64(300) {
		ex := g.Example(i)
		ids, learn, err := ex.Tokens(tok, engine.ChatML)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, m := range ex.Prompt.Messages {
			if m.Role == "assistant" {
				want = append(want, m.Content)
			}
		}
		want = append(want, ex.Answer)
		var got []string
		var span []int
		for j, id := range ids {
			if !learn[j] {
				continue
			}
			if tok.Type(id) != tokenizer.TypeNormal {
				got = append(got, tok.Decode(span))
				span = nil
				continue
			}
			span = append(span, id)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("example %d: learnt turns %q, want %q", i, got, want)
		}
		if ex.Drills > 0 {
			drills++
		}
	}
	t.Logf("%d of 300 examples with drill turns", drills)
	if drills < 100 {
		t.Errorf("%d of 300 examples have drill turns, want about 150", drills)
	}
}

// TestChoices checks the replies offered to constrained decoding: each a
// sentence of the snippet its marker names, the expected answer among
// them, and "I don't know" last.
func TestChoices(t *testing.T) {
	g := newGen(t, Options{Seed: 9, Knowledge: []string{demoKB}})
	for i := range int64(500) {
		ex := g.Example(i)
		c := ex.Choices()
		if c[len(c)-1] != Unknown || !slices.Contains(c, ex.Answer) {
			t.Fatalf("example %d: choices %q lack the answer %q or end otherwise than Unknown", i, c, ex.Answer)
		}
		for _, choice := range c[:len(c)-1] {
			m := markerRE.FindStringSubmatch(choice)
			if m == nil {
				t.Fatalf("example %d: choice %q has no marker", i, choice)
			}
			k := int(m[1][0] - '1')
			body := strings.TrimSuffix(choice, m[0])
			if k >= len(ex.Prompt.Snippets) || !strings.Contains(ex.Prompt.Snippets[k].Text, body) {
				t.Fatalf("example %d: choice %q is not a sentence of snippet [%d]", i, choice, k+1)
			}
		}
	}
}

package knowledge

import (
	"bufio"
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// This file holds what the learned tables (Associations, Repeats) share:
// the training pairs they are learned from, the options, the file format
// and the search's own tables.

// A QAPair is one training question and the article sentence that
// answers it; Source names the help centre it comes from.
type QAPair struct {
	Source, Question, Answer string
}

// ByLanguage learns a table from the pairs of each language apart (of
// each Source, as LanguageOf tells its answers' language) and merges
// them, the language with most pairs first: a term learned in it keeps
// its entry. Learned together, German, French and Spanish questions
// moved the English tables' averages and shared terms (numbers), and
// English sets lost answers that the German one gained.
func ByLanguage[T ~map[string]V, V any](pairs []QAPair, learn func([]QAPair) T) T {
	var text = map[string]*strings.Builder{}
	for _, p := range pairs {
		if text[p.Source] == nil {
			text[p.Source] = &strings.Builder{}
		}
		text[p.Source].WriteString(p.Answer + "\n")
	}
	lang := map[string]string{}
	for src, b := range text {
		lang[src] = LanguageOf(b.String())
	}
	groups := map[string][]QAPair{}
	for _, p := range pairs {
		groups[lang[p.Source]] = append(groups[lang[p.Source]], p)
	}
	order := slices.SortedFunc(maps.Keys(groups), func(a, b string) int {
		return cmp.Or(len(groups[b])-len(groups[a]), strings.Compare(a, b))
	})
	out := T{}
	for _, l := range order {
		for term, v := range learn(groups[l]) {
			if _, ok := out[term]; !ok {
				out[term] = v
			}
		}
	}
	return out
}

// ReadQAPairs reads the answer questions that give their answer sentence
// from the questions.jsonl of every folder in dir (configs/train) but
// those named in skip, each with its folder's name as Source.
func ReadQAPairs(dir string, skip ...string) ([]QAPair, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "questions.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("read question pairs: %w", err)
	}
	var out []QAPair
	for _, f := range files {
		src := filepath.Base(filepath.Dir(f))
		if slices.Contains(skip, src) {
			continue
		}
		qs, err := LoadQuestions(f)
		if err != nil {
			return nil, fmt.Errorf("read question pairs: %w", err)
		}
		for _, q := range qs {
			if q.Kind == KindAnswer && q.Answer != "" {
				out = append(out, QAPair{Source: src, Question: q.Q, Answer: q.Answer})
			}
		}
	}
	return out, nil
}

// LearnOptions bound what LearnAssociations and LearnRepeats keep. The
// zero value gives the defaults, chosen on the twenty training help
// centres by learning from nineteen and measuring on the twentieth, for
// each in turn (see Index and the extractive answerer for the numbers).
type LearnOptions struct {
	// MinCount is the fewest questions a pair (for LearnRepeats, a term)
	// must come from; zero means 3.
	MinCount int
	// MinSources is the fewest help centres those questions must come
	// from, so that one centre's wording is not taken for the language's;
	// zero means 3.
	MinSources int
	// MinP is the least P kept; zero means 0.1.
	MinP float64
	// MinLift is the least ratio of P to the share of all answers holding
	// the associate, so that words every answer says ("days", "can") are
	// no one's associate; zero means 3.
	MinLift float64
	// Smoothing is how many questions' worth of the average share
	// LearnRepeats adds to each term's own count, so that a term asked
	// in few questions stays near the average; zero means 5.
	Smoothing float64
	// Floor is the least Repeats value; zero means 0.25.
	Floor float64
}

func (o LearnOptions) withDefaults() LearnOptions {
	if o.MinCount <= 0 {
		o.MinCount = 3
	}
	if o.MinSources <= 0 {
		o.MinSources = 3
	}
	if o.MinP <= 0 {
		o.MinP = 0.1
	}
	if o.MinLift <= 0 {
		o.MinLift = 3
	}
	if o.Smoothing <= 0 {
		o.Smoothing = 5
	}
	if o.Floor <= 0 {
		o.Floor = 0.25
	}
	return o
}

// readTable calls fn with the fields of every line of r that is neither
// empty nor a # comment, after checking that it has n fields, the last
// a share in (0, 1], which it passes parsed.
func readTable(r io.Reader, n int, fn func(fields []string, share float64)) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != n {
			return fmt.Errorf("line %d: want %d fields, have %d", line, n, len(f))
		}
		p, err := strconv.ParseFloat(f[n-1], 64)
		if err != nil || p <= 0 || p > 1 {
			return fmt.Errorf("line %d: share %q is not in (0, 1]", line, f[n-1])
		}
		fn(f, p)
	}
	return sc.Err()
}

// The search's tables, learned from configs/train over QuestionTerms and
// IndexTerms; TestLearnedTables regenerates them with -update.
var (
	//go:embed associations.txt
	searchAssociationsFile string
	//go:embed repeats.txt
	searchRepeatsFile string
)

var (
	searchAssociations = sync.OnceValue(func() Associations {
		return mustRead(ReadAssociations(strings.NewReader(searchAssociationsFile)))
	})
	searchRepeats = sync.OnceValue(func() Repeats {
		return mustRead(ReadRepeats(strings.NewReader(searchRepeatsFile)))
	})
)

func mustRead[T any](t T, err error) T {
	if err != nil {
		panic(err) // the files are embedded and tested
	}
	return t
}

// QuestionTerms returns the distinct terms a search for question looks
// up, in order.
func QuestionTerms(question string) []string {
	return distinctTerms(withoutAskWords(question))
}

// IndexTerms returns the distinct terms the index holds for text, in
// order.
func IndexTerms(text string) []string { return distinctTerms(text) }

func distinctTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	analyzeWords(text, func(term, _ string) {
		if !seen[term] {
			seen[term] = true
			out = append(out, term)
		}
	})
	return out
}

package knowledge

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"human", "human", 2, 0},
		{"humna", "human", 2, 1}, // a swap of neighbours is one edit
		{"agnet", "agent", 1, 1},
		{"represenative", "representative", 2, 1},
		{"person", "parcel", 1, 2}, // above the limit: limit+1
		{"person", "parcel", 5, 4},
		{"", "abc", 5, 3},
		{"abc", "", 2, 3},
		{"", "", 0, 0},
		{"ca", "abc", 3, 3},              // OSA, not Damerau: no edit of a swapped pair
		{"remboursé", "rembourse", 1, 1}, // one rune, two bytes
		{"日本語", "日本", 1, 1},
		{"kitten", "sitting", -1, 1}, // a negative limit is 0
		{strings.Repeat("a", 50), strings.Repeat("a", 50), 3, 0},
		{strings.Repeat("ab", 30), strings.Repeat("ba", 30), 2, 2}, // drop the first a, add one at the end
		{strings.Repeat("ab", 30), strings.Repeat("ba", 30), 1, 2},
	} {
		if got := EditDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

// TestEditDistanceLongInput: the band keeps a huge input cheap.
func TestEditDistanceLongInput(t *testing.T) {
	a := strings.Repeat("x", 1<<18)
	start := time.Now()
	if got := EditDistance(a, a, 2); got != 0 {
		t.Errorf("EditDistance(long, long) = %d, want 0", got)
	}
	if got := EditDistance(a, a[1:]+"yz", 2); got != 2 {
		t.Errorf("EditDistance(long, shifted) = %d, want 2", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two distances of 256 KiB strings took %v", d)
	}
}

// fullOSA is the textbook optimal string alignment distance over the
// whole matrix, the reference of the fuzz test.
func fullOSA(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func FuzzEditDistance(f *testing.F) {
	f.Add("humna", "human", 2)
	f.Add("represenative", "representative", 1)
	f.Add("abcdef", "badcfe", 3)
	f.Add("日本語", "日語本", 1)
	f.Fuzz(func(t *testing.T, a, b string, limit int) {
		if len(a) > 64 || len(b) > 64 {
			return
		}
		limit = ((limit % 6) + 6) % 6
		want := min(fullOSA([]rune(a), []rune(b)), limit+1)
		if got := EditDistance(a, b, limit); got != want {
			t.Fatalf("EditDistance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
		if got := EditDistance(b, a, limit); got != want {
			t.Fatalf("EditDistance(%q, %q, %d) = %d, want %d (not symmetric)", b, a, limit, got, want)
		}
	})
}

// TestTypoIndexCorrect checks corrections, including a multi-byte
// deletion, and that a word stored under a variant hash is found.
func TestTypoIndexCorrect(t *testing.T) {
	words := map[string]string{"refund": "refund", "password": "password", "remboursé": "rembours", "cat": "cat",
		"month": "month", "year": "year", "lost": "lost", "normal": "normal", "format": "format", "mail": "mail"}
	ti := newTypoIndex(words, func(string) int { return 1 })
	for _, tt := range []struct {
		word string
		want typoFix
	}{
		{"refnud", typoFix{"refund", "refund", 1, true}},
		{"pasword", typoFix{"password", "password", 1, true}},
		{"paswordd", typoFix{"password", "password", 2, true}},
		{"paswrod", typoFix{}}, // seven runes: one edit at most
		{"rembourse", typoFix{"rembours", "remboursé", 1, true}},
		{"refund", typoFix{}}, // already a word
		{"zebra", typoFix{}},
		{"cst", typoFix{}},                               // too short to correct
		{"mnth", typoFix{"month", "month", 1, true}},     // a short word missing a letter
		{"near", typoFix{"year", "year", 1, false}},      // another first letter
		{"lots", typoFix{"lost", "lost", 1, false}},      // short, and as long as the word
		{"formal", typoFix{"format", "format", 1, true}}, // same first letter beats "normal"
		{"email", typoFix{"mail", "mail", 1, false}},     // the first letter dropped
	} {
		if got := ti.correct(tt.word); got != tt.want {
			t.Errorf("correct(%q) = %+v; want %+v", tt.word, got, tt.want)
		}
	}
}

// TestDecodeTyposRefusesBadTables checks that an index file's typo
// variants are checked before use.
func TestDecodeTyposRefusesBadTables(t *testing.T) {
	blob := []byte("refund")
	str := func(s [2]uint32) (string, bool) {
		if uint64(s[0])+uint64(s[1]) > uint64(len(blob)) {
			return "", false
		}
		return string(blob[s[0] : s[0]+s[1]]), true
	}
	byChunk := &inverted{units: 1, postings: [][]posting{{{unit: 0}}}}
	words := [][3]uint32{{0, 6, 0}}
	for name, tt := range map[string]struct {
		words    [][3]uint32
		variants []typoVariant
		ok       bool
	}{
		"good":          {words, []typoVariant{{hash: 1}, {hash: 2}}, true},
		"id too large":  {words, []typoVariant{{hash: 1, id: 1}}, false},
		"unsorted":      {words, []typoVariant{{hash: 2}, {hash: 1}}, false},
		"word too long": {[][3]uint32{{0, 7, 0}}, nil, false},
		"bad term":      {[][3]uint32{{0, 6, 1}}, nil, false},
	} {
		_, err := decodeTypos(tt.words, tt.variants, str, []string{"refund"}, byChunk)
		if (err == nil) != tt.ok {
			t.Errorf("%s: decodeTypos error = %v, want ok %v", name, err, tt.ok)
		}
	}
}

// TestUnlikelyCorrectionWeights checks that an unlikely correction counts
// for little in ranking but at its distance's weight in confidence, and a
// likely one fully at that weight in both.
func TestUnlikelyCorrectionWeights(t *testing.T) {
	chunks := []Chunk{
		{DocID: "a.md", Title: "Yearly plans", Text: "A year of parcels costs less."},
		{DocID: "b.md", Title: "Refunds", Text: "A refund reaches your account within a week."},
	}
	ix, err := Build(context.Background(), chunks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query                 string
		term                  string
		wantWeight, wantCover float64
	}{
		{"near", "year", unlikelyTypoWeight, 0.8}, // another first letter
		{"refnud", "refund", 0.8, 0.8},            // a swap
	} {
		ix.repeats = Repeats{} // the correction's weights alone
		qt := ix.queryTerms(Query{Text: tt.query})
		if len(qt) != 1 || qt[0].id != ix.terms[tt.term] {
			t.Fatalf("queryTerms(%q) = %+v, want one term %q", tt.query, qt, tt.term)
		}
		if got := qt[0]; got.weight != tt.wantWeight || got.cover != tt.wantCover {
			t.Errorf("queryTerms(%q): weight %v, cover %v; want %v, %v", tt.query, got.weight, got.cover, tt.wantWeight, tt.wantCover)
		}
	}
}

func TestSpell(t *testing.T) {
	chunks := []Chunk{{DocID: "a.md", Title: "Plans", Source: "a.md",
		Text: "You can cancel your subscription at any time. Your password must have 10 characters. You can share your plan. " +
			"Your Wi-Fi name is on the router's sticker. Sign up for the E-Bike plan."}}
	ix, err := Build(context.Background(), chunks, Options{Dense: DenseOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"How do I cancle my subscripton?": "How do I cancel my subscription?",
		"pasword rules":                   "password rules",
		"can I cancel it":                 "can I cancel it",       // spelt right
		"how tall is the shard":           "how tall is the shard", // too short to correct: "shard" is a word too
		"Wie kündige ich?":                "Wie kündige ich?",
		// Written as the articles hyphenate it, so that the answerer
		// finds the word in the sentences as the search did.
		"where is my wifi name": "where is my wi-fi name",
		"Ebike or signup?":      "e-bike or signup?", // "signup" is no compound: "sign up" has no hyphen
	} {
		if got := ix.Spell(in); got != want {
			t.Errorf("Spell(%q) = %q, want %q", in, got, want)
		}
	}
}

package knowledge

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/google/go-cmp/cmp"
)

func TestStem(t *testing.T) {
	tests := []struct{ word, want string }{
		{"refunds", "refund"},
		{"refunded", "refund"},
		{"refunding", "refund"},
		{"shipping", "ship"},
		{"shipped", "ship"},
		{"cancellation", "cancel"},
		{"cancelled", "cancel"},
		{"canceled", "cancel"},
		{"running", "run"},
		{"hopping", "hop"},
		{"hoped", "hope"},
		{"caresses", "caress"},
		{"ponies", "poni"},
		{"ties", "tie"},
		{"cries", "cri"},
		{"gas", "gas"},
		{"gaps", "gap"},
		{"kiwis", "kiwi"},
		{"agreed", "agre"},
		{"feed", "feed"},
		{"generously", "generous"},
		{"communication", "communic"},
		{"consolingly", "consol"},
		{"knightly", "knight"},
		{"happily", "happili"},
		{"cry", "cri"},
		{"say", "say"},
		{"skies", "sky"},
		{"dying", "die"},
		{"news", "news"},
		{"succeeding", "succeed"},
		{"customer's", "custom"},
		{"by", "by"},
		{"café", "café"}, // not ASCII: left alone (folding happens first in analyze)
	}
	for _, tt := range tests {
		if got := stem(tt.word); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

// TestStemMatchesSnowball checks the stemmer against the Snowball project's
// own generated Go code (as vendored by Bleve) on a few thousand words.
func TestStemMatchesSnowball(t *testing.T) {
	f, err := os.Open("testdata/stemwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		w := sc.Text()
		env := snowballstem.NewEnv(w)
		english.Stem(env)
		if got, want := stem(w), env.Current(); got != want {
			t.Errorf("stem(%q) = %q, want %q (Snowball)", w, got, want)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("read %d words from testdata/stemwords.txt, want at least 1000", n)
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Café", "cafe"},
		{"CRÈME Brûlée", "creme brulee"},
		{"Straße", "strasse"},
		{"Œuvre", "oeuvre"},
		{"ＡＢＣ１２３", "abc123"},
		{"cafe\u0301", "cafe"}, // decomposed accent
		{"ﬁnance", "finance"},
		{"plain ascii", "plain ascii"},
		{"Łódź", "lodz"},
		{"ẞ STRASSE Straße", "ss strasse strasse"},
		{"Ærø Ångström", "aero angstrom"},
		{"Șosea Țară", "sosea tara"}, // Romanian comma below (NFKD)
		{"Tiếng Việt", "tieng viet"}, // stacked marks (NFKD)
		{"ΛΟΓΑΡΙΑΣΜΟΣ λογαριασμός", "λογαριασμοσ λογαριασμοσ"}, // tonos dropped, one sigma
		{"Ёлка", "елка"},
		{"ﬁle ½ ™ ①", "file 1⁄2 tm 1"}, // compatibility forms
		{"ガギグ パスワード", "ガギグ パスワード"},     // kana keep their voicing marks
		{"한국어", "한국어"},                 // Hangul syllables are not decomposed
		{"退款政策", "退款政策"},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"stop words and stems", "How do I cancel my subscriptions?", []string{"cancel", "subscript"}},
		{"prices and durations", "Plus costs €9.99 for 14 days, 1,000 sends", []string{"plus", "cost", "9.99", "14", "day", "1,000", "send"}},
		{"trailing full stop", "It takes 3.", []string{"take", "3"}},
		{"accents fold", "Résumé CAFÉ", []string{"resum", "cafe"}},
		{"apostrophes", "the customer's parcel isn't here", []string{"custom", "parcel"}},
		{"CJK bigrams", "退款政策", []string{"退款", "款政", "政策"}},
		{"single CJK char", "税 tax", []string{"税", "tax"}},
		{"mixed scripts", "refund返金です", []string{"refund", "返金", "金で", "です"}},
		{"hyphen splits", "e-mail sign-in", []string{"mail", "sign"}},
		{"empty", "", nil},
		{"only punctuation", "?!... --", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, analyze(tt.in)); diff != "" {
				t.Errorf("analyze(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestAnalyzeQueryClips(t *testing.T) {
	long := strings.Repeat("refund ", MaxQueryBytes) // far over the limit
	got := analyzeQuery(long)
	if max := MaxQueryBytes/len("refund ") + 1; len(got) > max {
		t.Errorf("analyzeQuery(%d bytes) gave %d terms, want at most %d", len(long), len(got), max)
	}
	// Cutting inside a multi-byte rune must not produce invalid UTF-8.
	q := strings.Repeat("é", MaxQueryBytes)
	if c := clipQuery(q); !utf8.ValidString(c) || len(c) > MaxQueryBytes {
		t.Errorf("clipQuery cut %d bytes of é into %d bytes (valid %v)", len(q), len(c), utf8.ValidString(c))
	}
}

// FuzzAnalyzeQuery checks that any query analyses without panicking into
// non-empty, valid UTF-8 terms without spaces, and deterministically.
func FuzzAnalyzeQuery(f *testing.F) {
	for _, s := range []string{"How much is Plus per year?", "退款政策", "9.99€", "can't log in!!", "ｃａｆｅ\u0301", "\xff\xfe", "1.2.3,4", "'''s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := analyzeQuery(q)
		for _, term := range terms {
			if term == "" || !utf8.ValidString(term) || strings.ContainsAny(term, " \t\n") {
				t.Fatalf("analyzeQuery(%q) produced bad term %q", q, term)
			}
		}
		if again := analyzeQuery(q); !cmp.Equal(terms, again) {
			t.Fatalf("analyzeQuery(%q) not deterministic: %q then %q", q, terms, again)
		}
	})
}

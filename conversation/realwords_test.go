package conversation

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite realwords.txt from the word lists in SB_DICT_DIR")

// dictionaries are Debian's word lists (in /usr/share/dict) of the
// languages other than English that the bot reads.
var dictionaries = []struct{ lang, file string }{
	{"de", "ngerman"}, {"fr", "french"}, {"es", "spanish"}, {"it", "italian"}, {"pt", "portuguese"}, {"nl", "dutch"},
}

// TestRealWordsFile checks that every word of realwords.txt is still one
// slip from a handoff keyword and not a form of it. With SB_DICT_DIR set
// to a folder of Debian's word lists it also checks the file against
// them, and rewrites it with -update:
//
//	apt-get download wngerman wfrench wspanish witalian wportuguese wdutch
//	for f in w*.deb; do dpkg-deb -x $f x; done
//	SB_DICT_DIR=$PWD/x/usr/share/dict go test ./conversation -run RealWordsFile -update
func TestRealWordsFile(t *testing.T) {
	kws := handoffKeywords()
	for lang, words := range realWordsIn {
		if !slices.Contains(languageCodes(), lang) {
			t.Errorf("realwords.txt: unknown language %q", lang)
		}
		for w := range words {
			if len(slipsOf(w, kws)) == 0 {
				t.Errorf("realwords.txt: %s %q is no slip of a keyword that is not a form of it; regenerate the file", lang, w)
			}
		}
	}
	if len(realWordsIn["es"]) == 0 || !realWordsIn["es"]["pagar"] {
		t.Errorf("realwords.txt lacks Spanish \"pagar\" (one slip from \"pasar\")")
	}
	dir := os.Getenv("SB_DICT_DIR")
	if dir == "" {
		t.Log("SB_DICT_DIR not set: realwords.txt not compared with its word lists")
		return
	}
	golden.Check(t, "realwords.txt", realWordsGen{dir: dir, kws: kws}, *update,
		"rerun with SB_DICT_DIR and -update (see TestRealWordsFile)")
}

func languageCodes() []string {
	var out []string
	for _, d := range dictionaries {
		out = append(out, d.lang)
	}
	return out
}

// handoffKeywords returns the words WantsHuman looks for with slips
// allowed.
func handoffKeywords() map[string]bool {
	kws := make(map[string]bool)
	for _, list := range [][]string{strongNouns, weakNouns, strongVerbs, weakVerbs, germanVerbs} {
		for _, w := range list {
			kws[w] = true
		}
	}
	for _, p := range handoffPhrases {
		for _, w := range strings.Fields(p) {
			kws[w] = true
		}
	}
	return kws
}

// slipsOf returns the keywords w is a slip of and not a form of: a word
// sharing all but the last two letters of the shorter of the two is
// taken for an inflection ("pasarme" of "pasame", "parlez" of "parler"),
// which users do type for the keyword.
func slipsOf(w string, kws map[string]bool) []string {
	if kws[w] {
		return nil
	}
	var out []string
	for k := range kws {
		if slip(w, k) && commonPrefix(w, k) < min(len(w), len(k))-2 {
			out = append(out, k)
		}
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// realWordsGen writes realwords.txt from the word lists in dir.
type realWordsGen struct {
	dir string
	kws map[string]bool
}

func (g realWordsGen) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, d := range dictionaries {
		words, err := g.read(filepath.Join(g.dir, d.file))
		if err != nil {
			return n, err
		}
		if len(words) == 0 {
			continue
		}
		k, err := fmt.Fprintf(w, "%s %s\n", d.lang, strings.Join(words, " "))
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// read returns the words of the word list at path that are slips of a
// keyword, sorted.
func (g realWordsGen) read(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read word list: %w", err)
	}
	defer f.Close()
	seen := make(map[string]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ws := grounding.Words(sc.Text())
		if len(ws) != 1 || seen[ws[0]] {
			continue
		}
		if len(slipsOf(ws[0], g.kws)) > 0 {
			seen[ws[0]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read word list %s: %w", path, err)
	}
	out := make([]string, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	slices.Sort(out)
	return out, nil
}

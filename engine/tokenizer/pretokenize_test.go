package tokenizer

import (
	"errors"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func words(s splitter, text string) []string {
	var out []string
	s(text, func(w string) { out = append(out, w) })
	return out
}

func mustSplitter(t testing.TB, pre string) splitter {
	t.Helper()
	s, _, err := splitterFor(pre)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The reference vocabularies are too small to show digit grouping or some
// whitespace rules in ids, so the words themselves are checked here. Each
// want follows the regular expression by hand (backtracking, first
// alternative wins) and agrees with FuzzPretokenize's regexp oracle.
func TestPretokenize(t *testing.T) {
	tests := []struct {
		name, pre, text string
		want            []string
	}{
		{"gpt2 digits one run", "gpt-2", "a 1234567", []string{"a", " 1234567"}},
		{"llama3 digits by three", "llama-bpe", "a 1234567", []string{"a", " ", "123", "456", "7"}},
		{"qwen2 digits one by one", "qwen2", "x42", []string{"x", "4", "2"}},
		{"smollm digits isolated", "smollm", "ab 12c", []string{"ab", " ", "1", "2", "c"}},
		{"gpt2 contraction case-sensitive", "gpt-2", "DON'T don't", []string{"DON", "'", "T", " don", "'t"}},
		{"llama3 contraction case-insensitive", "llama-bpe", "DON'T", []string{"DON", "'T"}},
		{"gpt2 space run before word", "gpt-2", "a   b", []string{"a", "  ", " b"}},
		{"gpt2 trailing spaces", "gpt-2", "a  ", []string{"a", "  "}},
		{"gpt2 newline then word", "gpt-2", "a\nb", []string{"a", "\n", "b"}},
		{"llama3 spaces through newline", "llama-bpe", "a  \n  b", []string{"a", "  \n", " ", " b"}},
		{"llama3 punctuation keeps newlines", "llama-bpe", "a!?\n\nb", []string{"a", "!?\n\n", "b"}},
		{"llama3 any non-letter leads a word", "llama-bpe", "\tab $cd", []string{"\tab", " $", "cd"}},
		{"llama3 CRLF", "llama-bpe", "x\r\ny", []string{"x", "\r\n", "y"}},
		{"unicode letters and numbers", "gpt-2", "naïve ٣٤ 你好", []string{"naïve", " ٣٤", " 你好"}},
		{"unicode spaces", "gpt-2", "a\u3000\u3000b", []string{"a", "\u3000", "\u3000", "b"}},
		{"invalid byte is other", "gpt-2", "a\xffb", []string{"a", "\xff", "b"}},
		{"empty", "llama-bpe", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := words(mustSplitter(t, tc.pre), tc.text)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("words(%s, %q) diff (-want +got):\n%s", tc.pre, tc.text, diff)
			}
		})
	}
}

// oracle splits text the way a backtracking engine runs expr, using Go's
// regexp (leftmost-first, like Oniguruma and PCRE) for every alternative
// but the trailing \s+(?!\S)|\s+, which it does by hand. \s is spelled as
// Unicode White_Space, which Go's \s is not.
func oracle(t testing.TB, expr string) splitter {
	const tail = `|\s+(?!\S)|\s+`
	if !strings.HasSuffix(expr, tail) {
		t.Fatalf("oracle: %q does not end with %q", expr, tail)
	}
	head := strings.TrimSuffix(expr, tail)
	head = strings.ReplaceAll(head, `\s*`, `[\t-\r\x{85}\p{Z}]*`)
	head = strings.ReplaceAll(head, `[^\s`, `[^\t-\r\x{85}\p{Z}`)
	if strings.Contains(head, `\s`) {
		t.Fatalf("oracle: %q has a \\s it cannot translate", head)
	}
	re := regexp.MustCompile(`^(?:` + head + `)`)
	isSpace := regexp.MustCompile(`^[\t-\r\x{85}\p{Z}]`)
	return func(text string, emit func(string)) {
		for i := 0; i < len(text); {
			if m := re.FindStringIndex(text[i:]); m != nil && m[1] > 0 {
				emit(text[i : i+m[1]])
				i += m[1]
				continue
			}
			// \s+(?!\S)|\s+
			j, runes := i, 0
			for j < len(text) && isSpace.MatchString(text[j:]) {
				_, size := utf8.DecodeRuneInString(text[j:])
				j += size
				runes++
			}
			if runes == 0 {
				t.Fatalf("oracle: nothing matches at %q", text[i:])
			}
			if j < len(text) && runes > 1 {
				_, size := utf8.DecodeLastRuneInString(text[:j])
				j -= size
			}
			emit(text[i:j])
			i = j
		}
	}
}

func FuzzPretokenize(f *testing.F) {
	for _, s := range []string{
		"Hello world", " Hello  world  ", "I'm sure we can't", "Order #12345 costs $1,299.99",
		"tabs\tand\nnewlines\n\n    indented code", "line1\r\nline2\r\n", "a  \n  b", "DON'T SHOUT'S",
		"naïve café", "你好，世界", "emoji 😀👍🏽", "\u00a0\u2009x\u3000", "!!!\n\n\nx", "a\xffb",
	} {
		f.Add(s)
	}
	kinds := []struct {
		pre, expr string
	}{
		{"gpt-2", regexGPT2},
		{"llama-bpe", regexLlama3},
		{"qwen2", regexQwen2},
	}
	var oracles []splitter
	for _, k := range kinds {
		oracles = append(oracles, oracle(f, k.expr))
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // the originals take Unicode strings
		}
		for i, k := range kinds {
			got := words(mustSplitter(t, k.pre), text)
			want := words(oracles[i], text)
			if !slices.Equal(got, want) {
				t.Fatalf("%s words(%q):\ngot  %q\nwant %q", k.pre, text, got, want)
			}
			if strings.Join(got, "") != text {
				t.Fatalf("%s words(%q) do not cover the text: %q", k.pre, text, got)
			}
		}
	})
}

// TestPretokenizeRandom compares the scanners with the regexp oracle on
// random strings over an alphabet of every class that matters: letters,
// digits (ASCII and not), each kind of whitespace, apostrophes and
// contraction letters, punctuation, CJK and emoji.
func TestPretokenizeRandom(t *testing.T) {
	alpha := []rune{'a', 'B', '1', '٣', ' ', ' ', '\n', '\r', '\t', '\'', 's', 'S', 'l', 'e', '!', '$', '\u3000', '\u00a0', 'ſ', '你', '😀', '\u0085', '\v'}
	kinds := []struct{ pre, expr string }{{"gpt-2", regexGPT2}, {"llama-bpe", regexLlama3}, {"qwen2", regexQwen2}}
	var sp, or []splitter
	for _, k := range kinds {
		sp = append(sp, mustSplitter(t, k.pre))
		or = append(or, oracle(t, k.expr))
	}
	rng := rand.New(rand.NewSource(1))
	for it := 0; it < 20000; it++ {
		n := rng.Intn(12)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alpha[rng.Intn(len(alpha))]
		}
		text := string(rs)
		for k := range kinds {
			got := words(sp[k], text)
			want := words(or[k], text)
			if !slices.Equal(got, want) {
				t.Fatalf("%s words(%q) = %q, want %q", kinds[k].pre, text, got, want)
			}
		}
	}
}

// TestGenericRegex runs the regexp fallback on spellings of the known
// expressions that the scanners do not recognise, and expects the
// scanners' words: the fallback's \s+(?!\S) tail and Unicode classes are
// right too.
func TestGenericRegex(t *testing.T) {
	kinds := []struct{ pre, expr string }{
		{"gpt-2", strings.Replace(regexGPT2, ` ?\p{N}+`, ` ?[\p{N}]+`, 1)},
		{"llama-bpe", strings.Replace(regexLlama3, `\p{N}{1,3}`, `[\p{N}]{1,3}`, 1)},
		{"qwen2", strings.Replace(regexQwen2, `|\p{N}|`, `|[\p{N}]|`, 1)},
	}
	texts := []string{"Hello  world  \n\n x", "a\u3000\u3000b\u0085\u0085c", "x\xff\xfe y"}
	for _, c := range readReference(t)["gpt2"].Cases {
		texts = append(texts, c.Text)
	}
	alpha := []rune{'a', 'B', '1', '٣', ' ', '\n', '\r', '\t', '\'', 's', 'L', 'e', '!', '\u3000', '\u00a0', 'ſ', '你', '\u0085', '\v'}
	rng := rand.New(rand.NewSource(2))
	for range 3000 {
		rs := make([]rune, rng.Intn(10))
		for i := range rs {
			rs[i] = alpha[rng.Intn(len(alpha))]
		}
		texts = append(texts, string(rs))
	}
	for _, k := range kinds {
		generic, name, err := regexSplitter(k.expr)
		if err != nil || name != "" {
			t.Fatalf("regexSplitter(%q) = %q, %v; want the generic splitter", k.expr, name, err)
		}
		scanner := mustSplitter(t, k.pre)
		for _, s := range texts {
			if got, want := words(generic, s), words(scanner, s); !slices.Equal(got, want) {
				t.Fatalf("%s generic words(%q) = %q, want %q", k.pre, s, got, want)
			}
		}
	}
}

func TestGenericRegexErrors(t *testing.T) {
	for _, expr := range []string{`a(?=b)`, `[^\S]`, `(?<=a)b|\s+(?!\S)|\s+`} {
		if _, _, err := regexSplitter(expr); !errors.Is(err, ErrUnsupported) {
			t.Errorf("regexSplitter(%q) error = %v, want ErrUnsupported", expr, err)
		}
	}
}

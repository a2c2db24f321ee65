package knowledge

import (
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

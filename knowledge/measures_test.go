package knowledge

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestMeasures(t *testing.T) {
	for text, want := range map[string][]string{
		"im 76 can i get an annual policy":        {"76"},
		"ordered it 20mins ago, box is 7kg":       {"20", "7"},
		"do you do a discount for over 65s":       {"65"},
		"my bill was £1,250.50 this month":        {"1,250.50"},
		"whats the warranty on the WM-7500":       nil,
		"form P60, gig2 and the 2-year contract":  nil,
		"error 404 on the über-3 page, 12 times?": {"404", "12"},
		"and for 12": {"12"},
		"":           nil,
	} {
		got := slices.Sorted(maps.Keys(Measures(text)))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Measures(%q) = %q, want %q", text, got, want)
		}
	}
}

// FuzzMeasures: any question reads without a panic, and every measure is
// a run of digits that the question holds.
func FuzzMeasures(f *testing.F) {
	for _, s := range []string{"im 76", "WM-7500", "£1,250.50", "and for 12", "12.", "ü3", "-5-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for m := range Measures(text) {
			if !strings.Contains(text, m) || !isDigitAt(m, 0) || !isDigitAt(m, len(m)-1) {
				t.Errorf("Measures(%q) holds %q", text, m)
			}
		}
	})
}

package knowledge

import (
	"slices"
	"testing"
)

// TestKeepClearLead: BM25's best chunk goes first when it leads BM25's
// second by clearLead, wherever fusion put it; otherwise the fused order
// stands.
func TestKeepClearLead(t *testing.T) {
	fused := func() []hit { return []hit{{1, 0.03}, {2, 0.029}, {3, 0.028}, {4, 0.016}} }
	docs := func(hs []hit) []int32 {
		var out []int32
		for _, h := range hs {
			out = append(out, h.doc)
		}
		return out
	}
	tests := []struct {
		name    string
		lexical []hit
		want    []int32
	}{
		{"clear lead", []hit{{4, 12.97}, {2, 5.41}}, []int32{4, 1, 2, 3}},
		{"close second", []hit{{4, 6}, {2, 5.41}}, []int32{1, 2, 3, 4}},
		{"already first", []hit{{1, 9}, {2, 3}}, []int32{1, 2, 3, 4}},
		{"one result", []hit{{4, 9}}, []int32{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if got := docs(keepClearLead(fused(), tt.lexical)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: order %v, want %v", tt.name, got, tt.want)
		}
	}
}

package tokenizer

import (
	"fmt"
	"testing"
)

// TestIDIndex checks lookups against a map built the way the index
// promises: first id wins among equal keys, ids not kept are absent, keys
// not present (empty, prefixes, extensions) are not found.
func TestIDIndex(t *testing.T) {
	keys := []string{"a", "b", "ab", "a", "", "abc", "b"}
	for i := 0; i < 1000; i++ { // enough to collide and wrap around
		keys = append(keys, fmt.Sprintf("w%d", i%700))
	}
	keep := func(id int) bool { return id != 1 }
	want := map[string]int32{}
	for id, k := range keys {
		if _, dup := want[k]; !dup && keep(id) {
			want[k] = int32(id)
		}
	}
	x := newIDIndex(strs(keys), keep)
	tx := newTexts(len(keys), func(id int) string { return keys[id] })
	xb := newIDIndex(&tx, keep)
	for _, k := range append(keys, "abcd", "c", "w700", "w70") {
		id, ok := x.get(k)
		idb, okb := xb.get(k)
		w, wok := want[k]
		if id != w || ok != wok || idb != w || okb != wok {
			t.Errorf("get(%q) = %d, %v (texts %d, %v), want %d, %v", k, id, ok, idb, okb, w, wok)
		}
	}
	for id, k := range keys {
		if got := tx.at(id); got != k {
			t.Errorf("texts.at(%d) = %q, want %q", id, got, k)
		}
	}
	var zero idIndex[strs]
	if id, ok := zero.get("a"); ok {
		t.Errorf("zero index get = %d, true", id)
	}
}

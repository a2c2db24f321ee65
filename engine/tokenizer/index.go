package tokenizer

import "strings"

// An idIndex finds ids by their keys (a token's text, or its decoded
// bytes): an open-addressing hash table of ids whose keys are read from
// keys, the slice or texts the ids index. It takes 4 to 8 bytes per id,
// where a map[string]int32 takes about 35 plus a copy of each key:
// 50k-token vocabularies keep two of them for the life of a model. The
// zero value finds nothing.
type idIndex[K keyList] struct {
	slots []int32 // id+1 of the entry in each slot, 0 when empty; a power of two long, under half full
	keys  K
}

// A keyList gives the key of each id.
type keyList interface {
	at(id int) string
	len() int
}

// strs is a []string as a keyList.
type strs []string

func (s strs) at(id int) string { return s[id] }
func (s strs) len() int         { return len(s) }

// newIDIndex indexes the ids of keys for which keep returns true (all of
// them when keep is nil); of equal keys the first id wins.
func newIDIndex[K keyList](keys K, keep func(id int) bool) idIndex[K] {
	n := keys.len()
	size := 16
	for size < 2*n {
		size <<= 1
	}
	x := idIndex[K]{slots: make([]int32, size), keys: keys}
	for id := 0; id < n; id++ {
		if keep != nil && !keep(id) {
			continue
		}
		i := x.probe(keys.at(id))
		if x.slots[i] == 0 {
			x.slots[i] = int32(id) + 1
		}
	}
	return x
}

// texts holds a byte string for each id in one allocation: the texts of
// a 50k-token vocabulary cost their bytes and 4 more per id, where a
// [][]byte takes 24 more per id.
type texts struct {
	data string
	off  []uint32 // text i is data[off[i]:off[i+1]]
}

func (x *texts) at(id int) string { return x.data[x.off[id]:x.off[id+1]] }
func (x *texts) len() int         { return len(x.off) - 1 }

// newTexts returns the texts text(0), ..., text(n-1).
func newTexts(n int, text func(id int) string) texts {
	off := make([]uint32, n+1)
	var b strings.Builder
	for id := 0; id < n; id++ {
		b.WriteString(text(id))
		off[id+1] = uint32(b.Len())
	}
	return texts{data: b.String(), off: off}
}

// probe returns the slot holding key, or the empty slot where it would go.
func (x *idIndex[K]) probe(key string) int {
	mask := len(x.slots) - 1
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	for i := int(h) & mask; ; i = (i + 1) & mask {
		id := x.slots[i]
		if id == 0 || x.keys.at(int(id-1)) == key {
			return i
		}
	}
}

// get returns the id of key.
func (x *idIndex[K]) get(key string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	id := x.slots[x.probe(key)]
	if id == 0 {
		return 0, false
	}
	return id - 1, true
}

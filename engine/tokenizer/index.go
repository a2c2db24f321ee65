package tokenizer

// An idIndex finds ids by their keys (a token's text, or its decoded
// bytes): an open-addressing hash table of ids whose keys are read from
// keys, the slice the ids index. It takes 4 to 8 bytes per id, where a
// map[string]int32 takes about 35 plus a copy of each key: 50k-token
// vocabularies keep two of them for the life of a model. The zero value
// finds nothing.
type idIndex[K string | []byte] struct {
	slots []int32 // id+1 of the entry in each slot, 0 when empty; a power of two long, under half full
	keys  []K
}

// newIDIndex indexes the ids of keys for which keep returns true (all of
// them when keep is nil); of equal keys the first id wins.
func newIDIndex[K string | []byte](keys []K, keep func(id int) bool) idIndex[K] {
	size := 16
	for size < 2*len(keys) {
		size <<= 1
	}
	x := idIndex[K]{slots: make([]int32, size), keys: keys}
	for id, k := range keys {
		if keep != nil && !keep(id) {
			continue
		}
		i := x.probe(string(k))
		if x.slots[i] == 0 {
			x.slots[i] = int32(id) + 1
		}
	}
	return x
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
		if id == 0 || string(x.keys[id-1]) == key {
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

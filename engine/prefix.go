package engine

import "sync"

// minPrefix is the shortest shared prompt prefix worth reusing.
const minPrefix = 16

// DefaultPrefixCacheBytes is the prefix cache's memory when
// Options.PrefixCacheBytes is zero.
const DefaultPrefixCacheBytes = 64 << 20

// A prefixCache keeps the KV caches of recent prompts, so that a prompt
// sharing a prefix with one of them (the system prompt and instructions
// every conversation of a bot starts with, or the earlier turns of the
// same conversation) starts from a copy of those positions instead of
// running them through the model again. The keys and values of a
// position depend only on the tokens up to it, so the longest common
// prefix of two prompts has the same cache in both. Entries are evicted
// least recently used first to stay within the budget. Safe for
// concurrent use.
type prefixCache struct {
	mu      sync.Mutex
	budget  int64          // bytes; zero or negative: off
	used    int64          // guarded by mu
	entries []*prefixEntry // guarded by mu; least recently used first
}

// A prefixEntry is the KV cache of the positions of tokens, laid out
// (Layers, KVHeads, len(tokens), HeadDim).
type prefixEntry struct {
	tokens       []int
	keys, values []uint16 // 16-bit words, as in a State
}

func (e *prefixEntry) bytes() int64 {
	return int64(len(e.keys)+len(e.values))*2 + int64(len(e.tokens))*8
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []int) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// restore copies into s (which must be empty) the cached positions of the
// longest prefix of prompt found in the cache, leaving at least the last
// token of prompt to run, and returns how many positions it copied.
func (pc *prefixCache) restore(prompt []int, s *State) int {
	if pc.budget <= 0 || len(prompt) <= minPrefix {
		return 0
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	best, n := -1, 0
	for i, e := range pc.entries {
		if l := commonPrefix(e.tokens, prompt); l > n {
			best, n = i, l
		}
	}
	n = min(n, len(prompt)-1, s.capacity)
	if n < minPrefix {
		return 0
	}
	e := pc.entries[best]
	s.copyKV(e.keys, e.values, len(e.tokens), n, false)
	s.pos = n
	// Most recently used last.
	pc.entries = append(append(pc.entries[:best], pc.entries[best+1:]...), e)
	return n
}

// save stores the first positions of s, which hold prompt, unless the
// cache already holds all of them; as many as fit in the budget.
func (pc *prefixCache) save(prompt []int, s *State) {
	if pc.budget <= 0 || len(prompt) < minPrefix || s.pos < len(prompt) {
		return
	}
	c := &s.m.Config
	perPos := int64(2*2*s.m.kvWords()*c.Layers*c.KVHeads*c.HeadDim + 8)
	n := int(min(int64(len(prompt)), pc.budget/perPos))
	if n < minPrefix {
		return
	}
	prompt = prompt[:n]
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for i := 0; i < len(pc.entries); i++ {
		e := pc.entries[i]
		switch l := commonPrefix(e.tokens, prompt); {
		case l == n:
			return // already held
		case l == len(e.tokens):
			// The new entry holds all of this one: drop it.
			pc.used -= e.bytes()
			pc.entries = append(pc.entries[:i], pc.entries[i+1:]...)
			i--
		}
	}
	// Make room, keeping the smallest evicted buffers that can hold the
	// new entry: a steady stream of prompts then reuses memory instead of
	// allocating a cache's worth per prompt.
	size := s.m.kvWords() * c.Layers * c.KVHeads * n * c.HeadDim // words
	need := int64(2*size)*2 + int64(n)*8
	var spare *prefixEntry
	for pc.used+need > pc.budget && len(pc.entries) > 0 {
		old := pc.evictOldest()
		if cap(old.keys) >= size && cap(old.values) >= size && (spare == nil || cap(old.keys) < cap(spare.keys)) {
			spare = old
		}
	}
	e := &prefixEntry{tokens: make([]int, n)}
	copy(e.tokens, prompt)
	if spare != nil {
		e.keys, e.values = spare.keys[:size], spare.values[:size]
	} else {
		e.keys, e.values = make([]uint16, size), make([]uint16, size)
	}
	s.copyKV(e.keys, e.values, n, n, true)
	for pc.used+e.bytes() > pc.budget && len(pc.entries) > 0 {
		pc.evictOldest() // a reused buffer larger than needed
	}
	pc.entries = append(pc.entries, e)
	pc.used += e.bytes()
}

// evictOldest drops the least recently used entry and returns it.
func (pc *prefixCache) evictOldest() *prefixEntry {
	old := pc.entries[0]
	pc.used -= old.bytes()
	pc.entries[0] = nil
	pc.entries = pc.entries[1:]
	return old
}

// copyKV copies the first n positions of each (layer, kv head) between s's
// cache and keys/values laid out alike with room for stride positions per
// head: out of s when save, into it otherwise.
func (s *State) copyKV(keys, values []uint16, stride, n int, save bool) {
	c := &s.m.Config
	w := s.m.kvWords()
	hd := w * c.HeadDim // words per position
	for l := 0; l < c.Layers; l++ {
		for h := 0; h < c.KVHeads; h++ {
			at := w * s.cacheIndex(l, h, 0)
			off := (l*c.KVHeads + h) * stride * hd
			if save {
				copy(keys[off:off+n*hd], s.keys[at:at+n*hd])
				copy(values[off:off+n*hd], s.values[at:at+n*hd])
			} else {
				copy(s.keys[at:at+n*hd], keys[off:off+n*hd])
				copy(s.values[at:at+n*hd], values[off:off+n*hd])
			}
		}
	}
}

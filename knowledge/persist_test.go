package knowledge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSaveMapRoundTrip saves indexes and checks that the mapped and the
// read copies answer every evaluation question exactly as the original.
func TestSaveMapRoundTrip(t *testing.T) {
	ctx := context.Background()
	chunks, qs := loadDemo(t)
	chunks[0].URL = "https://help.example.com/hc/articles/1" // an exported article's page
	chunks[1].Links = []Link{{Text: "status page", URL: "https://status.example.com"}, {Text: "Refunds", Source: "refunds.md#how-long"}}
	for _, v := range []struct {
		name string
		opts Options
	}{{"hybrid", Options{}}, {"bm25 no typos", Options{NoTypos: true, Dense: DenseOptions{Off: true}}}} {
		t.Run(v.name, func(t *testing.T) {
			ix, err := Build(ctx, chunks, v.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "kb.idx")
			if err := ix.Save(path); err != nil {
				t.Fatal(err)
			}
			mapped, release, err := MapFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			read, err := ReadIndex(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ix.Chunks(), mapped.Chunks()); diff != "" {
				t.Fatalf("mapped chunks differ (-want +got):\n%s", diff)
			}
			for _, q := range append(qs, EvalQuestion{Q: "refnud pasword"}) {
				query := Query{Text: q.Q, History: q.History, K: 5}
				want, _ := ix.Retrieve(ctx, query)
				for name, other := range map[string]*Index{"mapped": mapped, "read": read} {
					got, err := other.Retrieve(ctx, query)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("%s Retrieve(%q) differs (-want +got):\n%s", name, q.Q, diff)
					}
				}
			}
		})
	}
}

// TestIndexFileCorrupt checks that damaged files are refused, not trusted.
func TestIndexFileCorrupt(t *testing.T) {
	ix := openTestKB(t, Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "kb.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":      {},
		"magic":      append([]byte("NOTANIDX"), good[8:]...),
		"truncated":  good[:len(good)/2],
		"header":     good[:20],
		"huge count": withU64(good, 8, 1<<40),
		"bad rank":   withU64(good, 32, 1<<20),
	}
	for i := 0; i < len(good); i += max(1, len(good)/64) {
		flipped := append([]byte(nil), good...)
		flipped[i] ^= 0xff
		cases[fmt.Sprintf("flip byte %d", i)] = flipped
	}
	for name, data := range cases {
		p := filepath.Join(dir, "bad.idx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Must not panic; structural damage must be an ErrIndexFormat. A
		// flipped byte inside text or a score may still decode.
		got, err := ReadIndex(p)
		if err == nil {
			got.Search(context.Background(), "refund password invoice", 5)
			continue
		}
		if name == "empty" || name == "magic" || name == "truncated" || name == "header" || name == "huge count" || name == "bad rank" {
			if !errors.Is(err, ErrIndexFormat) {
				t.Errorf("%s: ReadIndex error = %v, want ErrIndexFormat", name, err)
			}
		}
	}
}

// TestIndexFileOldVersion: a file an older version wrote says so and how
// to rebuild it; "not an index file" sent upgraders looking elsewhere.
func TestIndexFileOldVersion(t *testing.T) {
	ix := openTestKB(t, Options{})
	path := filepath.Join(t.TempDir(), "kb.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, "SBKIDX03")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIndex(path); !errors.Is(err, ErrIndexFormat) || !strings.Contains(err.Error(), "rebuild it with switchboard index") {
		t.Errorf("ReadIndex of an older version's file = %v, want ErrIndexFormat saying to rebuild it", err)
	}
}

func withU64(b []byte, off int, v uint64) []byte {
	out := append([]byte(nil), b...)
	copy(out[off:], uint64s(v))
	return out
}

func FuzzDecodeIndex(f *testing.F) {
	ix, err := Build(context.Background(), synonymCorpus(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "seed.idx")
	if err := ix.Save(path); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		aligned := make([]uint64, (len(data)+7)/8)
		buf := asBytes(aligned)[:len(data)]
		copy(buf, data)
		got, err := decodeIndex(buf)
		if err == nil {
			got.Search(context.Background(), "refund money", 5)
		}
	})
}

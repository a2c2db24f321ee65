package knowledge

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unsafe"
)

// An index file holds a built Index so that a large help centre starts
// without re-analysing it. Layout (little endian, every section padded to
// 8 bytes so arrays can be used in place from a memory map):
//
//	magic "SBKIDX05", then u64 counts: chunks, terms, articles, rank,
//	typo words, blob bytes, chunk postings, article postings, typo
//	variants; f64 options: K1, B, title, section, article and dense
//	weights; u64 flags (bit 0: no typos); the source folder: u64
//	fingerprint, u64 offset and length of its path in the blob; then the
//	sections: string blob, chunk strings (7 × u32 offset and length
//	each: DocID, Title, Section, Source, Text, URL and the links), term strings, typo words (offset, length, term id; sorted),
//	typo variants (u64 hash, u32 word id, u32 zero; sorted), idf (f64 per
//	term), chunk posting offsets (u32 per term + 1) and postings (i32
//	unit, f32 saturation), the same for articles, chunk article numbers
//	(i32), dense term vectors (f32, rank each) and chunk vectors
//	(tensor.Q8_0 rows of the rank rounded up to 32).
//
// Every count and offset is checked against the file size before use: an
// index file is not trusted.
const indexMagic = "SBKIDX05"

// ErrIndexFormat reports a malformed or foreign index file.
var ErrIndexFormat = errors.New("knowledge: bad index file")

// MaxIndexFileBytes bounds the index files MapFile accepts.
const MaxIndexFileBytes = 8 << 30

// chunkFields is how many strings a chunk has in the file: DocID, Title,
// Section, Source, Text, URL and Links (see encodeLinks).
const chunkFields = 7

// sectionSep joins a chunk's heading path in the file.
const sectionSep = "\x1f"

// Links are written as one string: each link's text, URL and source
// parted by linkFieldSep, the links by linkSep (characters a link's
// fields never hold: see sectionLinks).
const (
	linkSep      = "\x1e"
	linkFieldSep = "\x1f"
)

func encodeLinks(links []Link) string {
	parts := make([]string, len(links))
	for i, l := range links {
		parts[i] = l.Text + linkFieldSep + l.URL + linkFieldSep + l.Source
	}
	return strings.Join(parts, linkSep)
}

// decodeLinks reads encodeLinks' string; a malformed link is skipped.
func decodeLinks(s string) []Link {
	if s == "" {
		return nil
	}
	var out []Link
	for _, part := range strings.Split(s, linkSep) {
		f := strings.Split(part, linkFieldSep)
		if len(f) == 3 {
			out = append(out, Link{Text: strings.Clone(f[0]), URL: strings.Clone(f[1]), Source: strings.Clone(f[2])})
		}
	}
	return out
}

// WriteTo writes the index in the index file format.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	var blob strings.Builder
	addString := func(s string) [2]uint32 {
		off := blob.Len()
		blob.WriteString(s)
		return [2]uint32{uint32(off), uint32(len(s))}
	}
	source := addString(ix.source)
	chunkStr := make([][2]uint32, 0, chunkFields*len(ix.chunks))
	for _, c := range ix.chunks {
		for _, s := range []string{c.DocID, c.Title, strings.Join(c.Section, sectionSep), c.Source, c.Text, c.URL, encodeLinks(c.Links)} {
			chunkStr = append(chunkStr, addString(s))
		}
	}
	termStr := make([][2]uint32, len(ix.terms))
	for t, id := range ix.terms {
		termStr[id] = addString(t)
	}
	var typo [][3]uint32
	var variants []typoVariant
	if ix.typos != nil {
		variants = ix.typos.variants
		for i, w := range ix.typos.words {
			ws := addString(w)
			typo = append(typo, [3]uint32{ws[0], ws[1], uint32(ix.terms[ix.typos.terms[i]])})
		}
	}
	if blob.Len() > math.MaxUint32 {
		return cw.n, fmt.Errorf("write index: %d bytes of text is over the format's 4 GiB", blob.Len())
	}
	rank := 0
	dw := 0.0
	if ix.dense != nil {
		rank, dw = ix.dense.rank, ix.dense.weight
	}
	var flags uint64
	if ix.typos == nil {
		flags |= 1
	}
	cw.write([]byte(indexMagic))
	cw.write(uint64s(uint64(len(ix.chunks)), uint64(len(ix.terms)), uint64(ix.byArticle.units), uint64(rank),
		uint64(len(typo)), uint64(blob.Len()), uint64(countPostings(ix.byChunk)), uint64(countPostings(ix.byArticle)),
		uint64(len(variants))))
	o := ix.opts
	cw.write(float64s(o.K1, o.B, o.TitleWeight, o.SectionWeight, o.ArticleWeight, dw))
	cw.write(uint64s(flags, ix.stamp, uint64(source[0]), uint64(source[1])))
	cw.section([]byte(blob.String()))
	cw.section(asBytes(chunkStr))
	cw.section(asBytes(termStr))
	cw.section(asBytes(typo))
	cw.section(asBytes(variants))
	cw.section(asBytes(ix.idf))
	for _, v := range []*inverted{ix.byChunk, ix.byArticle} {
		offs := make([]uint32, 0, len(v.postings)+1)
		n := 0
		for _, ps := range v.postings {
			offs = append(offs, uint32(n))
			n += len(ps)
		}
		offs = append(offs, uint32(n))
		cw.section(asBytes(offs))
		flat := make([]posting, 0, n)
		for _, ps := range v.postings {
			flat = append(flat, ps...)
		}
		cw.section(asBytes(flat))
	}
	cw.section(asBytes(ix.article))
	if ix.dense != nil {
		cw.section(asBytes(ix.dense.terms))
		cw.section(ix.dense.rows)
	}
	if cw.err == nil {
		cw.err = cw.w.(*bufio.Writer).Flush()
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("write index: %w", cw.err)
	}
	return cw.n, nil
}

// Save writes the index to the file path (via a temporary file and a
// rename, so a reader never sees half a file).
func (ix *Index) Save(path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	if _, err := ix.WriteTo(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save index: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	return nil
}

func countPostings(v *inverted) int {
	n := 0
	for _, ps := range v.postings {
		n += len(ps)
	}
	return n
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
}

// section writes a length-prefixed byte section padded to 8 bytes.
func (c *countWriter) section(b []byte) {
	c.write(uint64s(uint64(len(b))))
	c.write(b)
	if pad := (8 - len(b)%8) % 8; pad > 0 {
		c.write(make([]byte, pad))
	}
}

func uint64s(vs ...uint64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func float64s(vs ...float64) []byte {
	u := make([]uint64, len(vs))
	for i, v := range vs {
		u[i] = math.Float64bits(v)
	}
	return uint64s(u...)
}

// asBytes views a slice of fixed-size values as bytes (little-endian
// machines only; see nativeLittleEndian).
func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// fromBytes views b as a slice of T; b must be aligned for T and a
// multiple of its size.
func fromBytes[T any](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size)
}

var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// reader walks an index file held in memory, checking every bound.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s (at byte %d)", ErrIndexFormat, fmt.Sprintf(format, args...), r.off)
	}
}

func (r *reader) u64() uint64 {
	if r.err != nil || r.off+8 > len(r.b) {
		r.fail("truncated header")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }

// section returns the next section, which must hold want bytes.
func (r *reader) section(name string, want uint64) []byte {
	n := r.u64()
	if r.err != nil {
		return nil
	}
	if n != want || n > uint64(len(r.b)-r.off) {
		r.fail("section %s has %d bytes, want %d within the file", name, n, want)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n) + int((8-n%8)%8)
	return s
}

// decodeIndex makes an Index that uses data in place; data must stay
// valid and unchanged for the life of the index.
func decodeIndex(data []byte) (*Index, error) {
	if !nativeLittleEndian {
		return nil, fmt.Errorf("%w: index files need a little-endian machine", ErrIndexFormat)
	}
	if len(data) >= len(indexMagic) && string(data[:6]) == indexMagic[:6] && string(data[:len(indexMagic)]) != indexMagic {
		// An upgrade changed the format: say so, not "not an index".
		return nil, fmt.Errorf("%w: written by another version of switchboard (%s, this one reads %s): rebuild it with switchboard index", ErrIndexFormat, data[:len(indexMagic)], indexMagic)
	}
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		return nil, fmt.Errorf("%w: not an index file (knowledge is a folder of articles, or a file written by switchboard index)", ErrIndexFormat)
	}
	r := &reader{b: data, off: len(indexMagic)}
	nChunks, nTerms, nArticles, rank := r.u64(), r.u64(), r.u64(), r.u64()
	nTypo, blobLen, nChunkPost, nArtPost := r.u64(), r.u64(), r.u64(), r.u64()
	nVariants := r.u64()
	var o Options
	o.K1, o.B, o.TitleWeight, o.SectionWeight, o.ArticleWeight = r.f64(), r.f64(), r.f64(), r.f64(), r.f64()
	denseWeight := r.f64()
	flags := r.u64()
	stamp, sourceOff, sourceLen := r.u64(), r.u64(), r.u64()
	o.NoTypos = flags&1 != 0
	o.Dense.Weight = denseWeight
	if r.err != nil {
		return nil, r.err
	}
	limit := uint64(len(data))
	for _, c := range []uint64{nChunks, nTerms, nArticles, nTypo, blobLen, nChunkPost, nArtPost, nVariants} {
		if c > limit {
			return nil, fmt.Errorf("%w: count %d larger than the file", ErrIndexFormat, c)
		}
	}
	if rank > 4096 || nArticles > nChunks || (nChunks > 0 && nArticles == 0) {
		return nil, fmt.Errorf("%w: bad rank %d or %d articles for %d chunks", ErrIndexFormat, rank, nArticles, nChunks)
	}
	blob := r.section("strings", blobLen)
	chunkStr := fromBytes[[2]uint32](r.section("chunks", nChunks*chunkFields*8))
	termStr := fromBytes[[2]uint32](r.section("terms", nTerms*8))
	typo := fromBytes[[3]uint32](r.section("typo words", nTypo*12))
	variants := fromBytes[typoVariant](r.section("typo variants", nVariants*16))
	idfs := fromBytes[float64](r.section("idf", nTerms*8))
	byChunk := readInverted(r, "chunk", nTerms, nChunkPost, nChunks)
	byArticle := readInverted(r, "article", nTerms, nArtPost, nArticles)
	article := fromBytes[int32](r.section("articles", nChunks*4))
	var denseTerms []float32
	var denseRows []byte
	if rank > 0 {
		denseTerms = fromBytes[float32](r.section("dense terms", nTerms*rank*4))
		denseRows = r.section("dense chunks", nChunks*uint64(rowBytes(blocksFor(int(rank)))))
	}
	if r.err != nil {
		return nil, r.err
	}
	str := func(s [2]uint32) (string, bool) {
		end := uint64(s[0]) + uint64(s[1])
		if end > uint64(len(blob)) {
			return "", false
		}
		if s[1] == 0 {
			return "", true
		}
		return unsafe.String(&blob[s[0]], int(s[1])), true
	}
	ix := &Index{opts: o, terms: make(map[string]int32, nTerms), idf: idfs, byChunk: byChunk, byArticle: byArticle, article: article, stamp: stamp}
	if sourceOff > math.MaxUint32 || sourceLen > math.MaxUint32 {
		return nil, fmt.Errorf("%w: source folder out of range", ErrIndexFormat)
	}
	source, ok := str([2]uint32{uint32(sourceOff), uint32(sourceLen)})
	if !ok {
		return nil, fmt.Errorf("%w: source folder out of range", ErrIndexFormat)
	}
	ix.source = strings.Clone(source) // outlives a mapping
	ix.weight = [numFields]float64{o.TitleWeight, o.SectionWeight, 1}
	ix.chunks = make([]Chunk, nChunks)
	for i := range ix.chunks {
		var f [chunkFields]string
		for j := range f {
			s, ok := str(chunkStr[chunkFields*i+j])
			if !ok {
				return nil, fmt.Errorf("%w: chunk %d string out of range", ErrIndexFormat, i)
			}
			f[j] = s
		}
		c := Chunk{DocID: f[0], Title: f[1], Source: f[3], Text: f[4], URL: f[5], Links: decodeLinks(f[6])}
		if f[2] != "" {
			c.Section = strings.Split(f[2], sectionSep)
		}
		ix.chunks[i] = c
		if a := article[i]; a < 0 || uint64(a) >= nArticles {
			return nil, fmt.Errorf("%w: chunk %d has article %d of %d", ErrIndexFormat, i, a, nArticles)
		}
	}
	termOf := make([]string, nTerms)
	for id, ts := range termStr {
		s, ok := str(ts)
		if !ok {
			return nil, fmt.Errorf("%w: term %d out of range", ErrIndexFormat, id)
		}
		ix.terms[s] = int32(id)
		termOf[id] = s
	}
	if flags&1 == 0 {
		ti, err := decodeTypos(typo, variants, str, termOf, ix.byChunk)
		if err != nil {
			return nil, err
		}
		ix.typos = ti
	}
	if rank > 0 {
		dm, err := newDenseModel(int(rank), denseTerms, denseRows, denseWeight)
		if err != nil {
			return nil, err
		}
		ix.dense = dm
	}
	n, articles := int(nChunks), int(nArticles)
	ix.scratch.New = func() any {
		return &scratch{chunk: make([]float64, n), article: make([]float64, articles)}
	}
	return ix, nil
}

// decodeTypos makes the typo table of an index file, using its variants
// in place after checking they are sorted and name words that exist.
func decodeTypos(typo [][3]uint32, variants []typoVariant, str func([2]uint32) (string, bool), termOf []string, byChunk *inverted) (*typoIndex, error) {
	ti := &typoIndex{words: make([]string, len(typo)), terms: make([]string, len(typo)), df: make([]int, len(typo)), variants: variants}
	for i, tw := range typo {
		w, ok := str([2]uint32{tw[0], tw[1]})
		if !ok || int(tw[2]) >= len(termOf) {
			return nil, fmt.Errorf("%w: typo word %d out of range", ErrIndexFormat, i)
		}
		ti.words[i], ti.terms[i], ti.df[i] = w, termOf[tw[2]], byChunk.df(int32(tw[2]))
	}
	for i, v := range variants {
		if int(v.id) >= len(typo) || (i > 0 && variants[i-1].hash > v.hash) {
			return nil, fmt.Errorf("%w: typo variant %d out of range or order", ErrIndexFormat, i)
		}
	}
	return ti, nil
}

// readInverted reads posting offsets and postings, checking that offsets
// grow, stay in range, and units are in range and ascending per term.
func readInverted(r *reader, name string, nTerms, nPost, units uint64) *inverted {
	offs := fromBytes[uint32](r.section(name+" posting offsets", (nTerms+1)*4))
	flat := fromBytes[posting](r.section(name+" postings", nPost*8))
	if r.err != nil {
		return nil
	}
	v := &inverted{units: int(units), postings: make([][]posting, nTerms)}
	if offs[0] != 0 || uint64(offs[nTerms]) != nPost {
		r.fail("%s posting offsets do not cover the postings", name)
		return nil
	}
	for t := range v.postings {
		lo, hi := offs[t], offs[t+1]
		if hi < lo || uint64(hi) > nPost {
			r.fail("%s posting offsets of term %d out of order", name, t)
			return nil
		}
		ps := flat[lo:hi:hi]
		for i, p := range ps {
			if p.unit < 0 || uint64(p.unit) >= units || (i > 0 && ps[i-1].unit >= p.unit) {
				r.fail("%s posting of term %d has bad unit %d", name, t, p.unit)
				return nil
			}
		}
		v.postings[t] = ps
	}
	return v
}

// ReadIndex reads an index file into memory.
func ReadIndex(path string) (*Index, error) {
	data, err := readFileLimited(path, MaxIndexFileBytes)
	if err != nil {
		return nil, err
	}
	// Copy into 8-byte aligned memory so arrays can be used in place.
	aligned := make([]uint64, (len(data)+7)/8)
	buf := asBytes(aligned)[:len(data)]
	copy(buf, data)
	ix, err := decodeIndex(buf)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", path, err)
	}
	return ix, nil
}

func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read index %s: %w: over %d bytes", path, ErrIndexFormat, max)
	}
	return data, nil
}

package knowledge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	utf16 "golang.org/x/text/encoding/unicode"
)

// Default limits of LoadOptions.
const (
	DefaultMaxFileBytes  = 1 << 20 // 1 MiB per file
	DefaultMaxFiles      = 20000
	DefaultMaxChunkRunes = 1200
	DefaultMaxFAQEntries = 10000
)

// Sentinel errors of Load, wrapped in a *FileError naming the file.
var (
	ErrFileTooLarge = errors.New("knowledge: file too large")
	ErrInvalidFAQ   = errors.New("knowledge: invalid FAQ or article export")
	ErrTooManyFiles = errors.New("knowledge: too many files")
	ErrNotText      = errors.New("knowledge: not a text file")
)

// A FileError is a problem with one file of a knowledge folder.
type FileError struct {
	Path string // relative to the folder, with forward slashes
	Err  error
}

func (e *FileError) Error() string { return "knowledge file " + e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// A Chunk is one indexable passage: a bounded piece of one section of an
// article, or one FAQ entry.
type Chunk struct {
	DocID   string   // file path relative to the knowledge folder, forward slashes
	Title   string   // article title (first "#" heading, else from the file name); an FAQ entry's question
	Section []string // heading path below the title ("Billing", "Invoices"); empty for the intro and FAQ entries
	Source  string   // DocID plus "#anchor" of the section, GitHub-style
	// URL is the article's own page on the help centre, when an export
	// gives it (a Zendesk article's "html_url"); citations link there
	// rather than to Source. Empty for files of the knowledge folder.
	URL  string
	Text string // the passage, plain text
	// Links are the links of the passage's text (see Link).
	Links []Link
}

// Snippet returns the chunk as a search result with the given score.
func (c Chunk) Snippet(score float64) Snippet {
	return Snippet{DocID: c.DocID, Title: c.Title, Section: strings.Join(c.Section, " > "), Source: c.Source, URL: c.URL, Text: c.Text, Links: c.Links, Score: score}
}

// LoadOptions bounds what Load reads. The zero value uses the defaults.
type LoadOptions struct {
	// MaxFileBytes is the largest file read. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxFiles is the most files a folder may hold. Zero means DefaultMaxFiles.
	MaxFiles int
	// MaxChunkRunes bounds a chunk's text. Zero means DefaultMaxChunkRunes.
	// Longer sections are split at paragraphs, then sentences, then words.
	MaxChunkRunes int
	// MaxFAQEntries is the most entries one FAQ file may hold. Zero means
	// DefaultMaxFAQEntries.
	MaxFAQEntries int
	// Warn, when set, is told of a file that loads but looks wrong: one
	// with no text to index (empty, or headings or front matter only), an
	// FAQ that asks a question twice (both answers are quoted), an entry
	// of an FAQ or export without a title or a body (left out), or a JSON
	// or YAML file with no question or article in it (a site's
	// configuration), which is left out. Nil means no one is told.
	Warn func(path, problem string)
}

func (o LoadOptions) withDefaults() LoadOptions {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.MaxChunkRunes <= 0 {
		o.MaxChunkRunes = DefaultMaxChunkRunes
	}
	if o.MaxFAQEntries <= 0 {
		o.MaxFAQEntries = DefaultMaxFAQEntries
	}
	return o
}

// fileKind says how a file is parsed, by extension; "" means skip it.
func fileKind(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".mdx": // .mdx: Docusaurus's Markdown with JSX
		return "markdown"
	case ".txt":
		return "text"
	case ".html", ".htm":
		return "html"
	case ".json":
		return "json"
	case ".yaml", ".yml":
		return "yaml"
	case ".csv", ".tsv":
		return "csv"
	case ".docx":
		return "docx"
	case ".odt":
		return "odt"
	case ".xlsx":
		return "xlsx"
	}
	return ""
}

// FileLimit is the size limit of the file name, given the limit of
// articles: a Word or OpenDocument text is mostly its images, so it may
// be as large as its text may unpack to (its parts are bounded when
// read).
func FileLimit(name string, limit int64) int64 {
	if k := fileKind(name); k == "docx" || k == "odt" {
		return max(limit, maxOfficePart)
	}
	return limit
}

// IsFAQ reports whether the file name is an FAQ or help-centre export
// (JSON, YAML, CSV or Excel) rather than an article: its entries are
// what is indexed, and the file as it is holds drafts and the
// platform's internal fields.
func IsFAQ(name string) bool {
	switch fileKind(name) {
	case "json", "yaml", "csv", "xlsx":
		return true
	}
	return false
}

// IsText reports whether the file name is read as text, rather than
// unpacked as an office archive (.docx, .odt, .xlsx) is.
func IsText(name string) bool {
	switch fileKind(name) {
	case "docx", "odt", "xlsx", "":
		return false
	}
	return true
}

// Load reads every article and FAQ file under dir, recursively, and returns
// their chunks in file order (sorted paths), then document order. Files and
// folders whose names start with "." are skipped, and so are files of other
// types. A file over the size limit, an invalid FAQ or export file, a file of
// binary data or one whose front matter or comment is never closed
// (ErrBrokenMarkup, with its line) fails the whole load with a *FileError
// naming it: a help centre that silently loses an article answers
// wrongly. Reads are confined to dir (os.OpenRoot): a
// symlink pointing outside it fails the load; use LoadFS with os.DirFS to
// follow such links on purpose.
func Load(ctx context.Context, dir string, opts LoadOptions) ([]Chunk, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	defer root.Close()
	return LoadFS(ctx, root.FS(), opts)
}

// LoadFS is Load on a file system (rooted at the knowledge folder).
func LoadFS(ctx context.Context, fsys fs.FS, opts LoadOptions) ([]Chunk, error) {
	opts = opts.withDefaults()
	files, err := listFiles(fsys, opts.MaxFiles)
	if err != nil {
		return nil, err
	}
	var chunks []Chunk
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("load knowledge: %w", err)
		}
		data, err := readLimited(fsys, name, FileLimit(name, opts.MaxFileBytes))
		if err != nil {
			return nil, &FileError{Path: name, Err: err}
		}
		cs, err := parseFile(name, data, opts)
		if errors.Is(err, errNotFAQ) {
			if opts.Warn != nil {
				opts.Warn(name, "no FAQ entry or article in it (nothing has a question, or a title and a body); left out")
			}
			continue
		}
		if err != nil {
			return nil, &FileError{Path: name, Err: err}
		}
		opts.warn(name, data, cs)
		chunks = append(chunks, cs...)
	}
	resolveArticleLinks(chunks)
	if err := linkReferences(ctx, chunks); err != nil {
		return nil, err
	}
	return chunks, nil
}

// warn tells opts.Warn what looks wrong with file name, read as cs.
func (o LoadOptions) warn(name string, data []byte, cs []Chunk) {
	if o.Warn == nil {
		return
	}
	switch {
	case len(cs) > 0:
	case len(bytes.TrimSpace(data)) == 0:
		// An empty article is one left to write, or lost in a copy; its
		// questions are answered from the others.
		o.Warn(name, "no text to index (the file is empty)")
	case IsFAQ(name):
		o.Warn(name, "no text to index (every article a draft?)")
	default:
		o.Warn(name, "no text to index (headings or front matter only?)")
	}
	if !IsFAQ(name) {
		return
	}
	// An entry's chunks share its source; two entries asking the same
	// question have two.
	sources := make(map[string]string)
	for _, c := range cs {
		q := strings.ToLower(c.Title)
		if src, ok := sources[q]; ok && src != c.Source {
			o.Warn(name, fmt.Sprintf("the question %q is asked twice; both answers are quoted", c.Title))
			continue
		}
		sources[q] = c.Source
	}
}

// listFiles returns the loadable files of fsys in sorted order.
func listFiles(fsys fs.FS, max int) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || fileKind(p) == "" {
			return nil
		}
		if len(files) >= max {
			return fmt.Errorf("list knowledge files: %w (limit %d)", ErrTooManyFiles, max)
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

func readLimited(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		if rl, ok := fsys.(fs.ReadLinkFS); ok {
			if target, lerr := rl.ReadLink(name); lerr == nil {
				return nil, fmt.Errorf("open: it is a link to %s, and links are followed only within the knowledge folder: %w", target, err)
			}
		}
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrFileTooLarge, max)
	}
	return data, nil
}

// parseFile turns one file into chunks according to its kind.
func parseFile(name string, data []byte, opts LoadOptions) ([]Chunk, error) {
	switch fileKind(name) { // zip archives, binary by nature
	case "docx", "odt":
		article := docxArticle
		if fileKind(name) == "odt" {
			article = odtArticle
		}
		md, err := article(data)
		if err != nil {
			return nil, err
		}
		return parseMarkdown(name, withoutQAMarks(md), opts.MaxChunkRunes)
	case "xlsx":
		entries, err := parseFAQ(name, data, opts.MaxFAQEntries, opts.Warn)
		if err != nil {
			return nil, err
		}
		return faqChunks(name, entries, opts.MaxChunkRunes), nil
	}
	data = UTF8Text(data)
	if binaryData(data) {
		// An image or a PDF saved as .md read as text makes chunks of
		// noise that match questions by chance, quoted as answers.
		return nil, fmt.Errorf("%w: it holds binary data (an image, a PDF or an executable renamed?)", ErrNotText)
	}
	switch fileKind(name) {
	case "markdown":
		return parseMarkdown(name, withoutQAMarks(string(data)), opts.MaxChunkRunes)
	case "text":
		return parseArticle(name, "", textHeadings(withoutQAMarks(string(data))), opts.MaxChunkRunes), nil
	case "html":
		return parseArticle(name, "", withoutQAMarks(htmlArticle(string(data))), opts.MaxChunkRunes), nil
	case "json", "yaml", "csv":
		entries, err := parseFAQ(name, data, opts.MaxFAQEntries, opts.Warn)
		if err != nil {
			return nil, err
		}
		return faqChunks(name, entries, opts.MaxChunkRunes), nil
	}
	return nil, nil
}

// UTF8Text returns an article's bytes as UTF-8. Files saved by Windows
// tools come as UTF-16 with a byte-order mark ("Unicode" in Notepad and
// Excel) or in Windows-1252 ("café" as one byte é): both are decoded
// rather than read as broken UTF-8, whose every accented letter became
// U+FFFD and matched no question. Bytes invalid in UTF-8 are otherwise
// read as Windows-1252, which gives every byte a character.
func UTF8Text(data []byte) []byte {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		if out, err := utf16.UTF16(utf16.LittleEndian, utf16.UseBOM).NewDecoder().Bytes(data); err == nil {
			return out
		}
	}
	if utf8.Valid(data) {
		return data
	}
	if out, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
		return out
	}
	return []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
}

// textHeadings marks the headings of a plain-text article as Markdown
// ones. A heading is a paragraph of one short line that ends without
// punctuation and has text after it ("Sedation", then a paragraph about
// it), or a line numbered as a section ("5. WHAT IS NOT COVERED", "5.1
// Pre-existing conditions") with text after it, a blank line between or
// not, which is one level deeper for each part of its number. The first
// paragraph, when it is one to three such lines, is the title. Without
// them the title line was read as the article's first sentence, and a
// policy wording's numbered headings as one-item lists, quoted glued to
// the clause after them and renumbered "1.".
func textHeadings(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	blank := func(i int) bool { return i < 0 || i >= len(lines) || strings.TrimSpace(lines[i]) == "" }
	out := make([]string, 0, len(lines)+8)
	titled := false
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" || !blank(i-1) {
			out = append(out, lines[i])
			continue
		}
		end := i // the paragraph is lines[i:end+1]
		for !blank(end + 1) {
			end++
		}
		rest := !blank(end+2) || end+2 < len(lines) && hasTextAfter(lines[end+1:])
		if !titled {
			if n := titleLines(lines[i : end+1]); n > 0 && rest && (n == end-i+1 || !blank(i+n)) {
				out = append(out, "# "+strings.Join(trimAll(lines[i:i+n]), " "))
				if i+n <= end {
					out = append(out, "") // the rest of the paragraph is text
				}
				i, titled = i+n-1, true
				continue
			}
		}
		depth := sectionDepth(t)
		switch {
		case depth > 0 && isTextHeading(headingText(t)) && (i < end && sectionDepth(strings.TrimSpace(lines[i+1])) == 0 || i == end && rest):
			// "5.1 Pre-existing conditions", its clause on the next line.
			out = append(out, strings.Repeat("#", min(depth+1, 6))+" "+t, "")
			titled = true
		case i == end && rest && isTextHeading(t):
			level := "## "
			if !titled {
				level = "# "
			}
			out = append(out, level+t)
			titled = true
		default:
			out = append(out, lines[i])
		}
	}
	return strings.Join(out, "\n")
}

// sectionNumber begins a line numbered as a section: "5.", "5.1", "4.2.1".
var sectionNumber = regexp.MustCompile(`^(\d{1,2}(?:\.\d{1,2})*)\.?\s+\S`)

// sectionDepth returns how many parts the section number that begins t
// has, 0 when it begins with none.
func sectionDepth(t string) int {
	m := sectionNumber.FindStringSubmatch(t)
	if m == nil {
		return 0
	}
	return strings.Count(m[1], ".") + 1
}

// headingText returns t without the section number that begins it.
func headingText(t string) string {
	if loc := sectionNumber.FindStringSubmatchIndex(t); loc != nil {
		return strings.TrimLeft(strings.TrimPrefix(t[loc[3]:], "."), " \t")
	}
	return t
}

// hasTextAfter reports whether lines hold a non-blank line.
func hasTextAfter(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

// titleLines returns how many of the first lines of an article's first
// paragraph are its title: the first line when it reads as a heading,
// and up to two more in capitals after one in capitals ("BLUEFERN GADGET
// COVER", "ADD-ON WORDING"), not the version line after them.
func titleLines(lines []string) int {
	first := strings.TrimSpace(lines[0])
	if !isTextHeading(first) {
		return 0
	}
	n := 1
	for n < min(len(lines), 3) {
		l := strings.TrimSpace(lines[n])
		if !isTextHeading(l) || !isCapitals(first) || !isCapitals(l) {
			break
		}
		n++
	}
	if n < len(lines) && !isCapitals(first) {
		return 0 // a first line with text under it is a sentence's start
	}
	return n
}

// isCapitals reports whether t has letters and no lowercase one.
func isCapitals(t string) bool {
	return strings.IndexFunc(t, unicode.IsLower) < 0 && strings.IndexFunc(t, unicode.IsLetter) >= 0
}

func trimAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// isTextHeading reports whether paragraph t reads as a heading: one line
// of at most eight words, beginning with a capital, without a colon
// ("Hours: 9 to 5" is a fact) and ending without punctuation.
func isTextHeading(t string) bool {
	if t == "" || strings.ContainsAny(t, "\n:") || len(strings.Fields(t)) > 8 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(t)
	last, _ := utf8.DecodeLastRuneInString(t)
	return unicode.IsUpper(first) && (unicode.IsLetter(last) || unicode.IsDigit(last) || last == ')')
}

// binaryData reports whether text, decoded, holds control characters that
// no article has: a NUL, or more than one in a hundred of its first 8 KB
// other than tabs, line breaks and form feeds.
func binaryData(text []byte) bool {
	head := text[:min(len(text), 8<<10)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	control := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			control++
		}
	}
	return control*100 > len(head)
}

// TitleFromName makes a title of a file name: "shipping-times.md" becomes
// "Shipping times".
func TitleFromName(name string) string {
	base := path.Base(filepath.ToSlash(name))
	base = strings.TrimSuffix(base, path.Ext(base))
	base = strings.Join(strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || unicode.IsSpace(r) }), " ")
	if base == "" {
		return name
	}
	r, size := utf8.DecodeRuneInString(base)
	return string(unicode.ToUpper(r)) + base[size:]
}

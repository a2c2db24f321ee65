// Package knowledge loads an operator's help-centre articles, splits them
// into chunks, indexes them and finds the passages that answer a question.
//
// # Loading
//
// Load reads a folder of Markdown (.md, .markdown, and Docusaurus's .mdx),
// plain text (.txt), HTML, and FAQ files and help-centre exports (.json,
// .yaml, .yml lists of {question, answer} or {title, body} objects, as
// Zendesk, Intercom, Help Scout and Freshdesk export them, drafts left
// out). An article's title is its first "#" heading (else its file
// name); it is split at its headings, and long sections at paragraphs and
// sentences, into Chunks of bounded size whose Source is the file path
// plus the GitHub-style anchor of the section. Each FAQ entry is a chunk
// titled by its question; an exported article is read as an HTML one,
// and keeps its public URL for citations. Markdown is read as a documentation site renders
// it: comments dropped, MDX's code and component tags dropped, a tab's
// content a section headed by its label.
//
// # Searching
//
// Build (or Open) makes an immutable Index. Text is analysed the same way
// on both sides: Unicode folding (accents and compatibility forms, NFKD),
// lowercasing, stop words, stemming (Porter2 for English; Snowball for
// text recognised as German, French or Spanish), numbers kept whole, CJK
// as character bigrams. Chunks are ranked by BM25F over title, heading
// path and body, raised by their article's score, and fused by reciprocal
// rank with latent semantic (LSA) vectors from a randomized truncated SVD
// of the TF-IDF matrix, which find passages that share no word with the
// question. The chunk vectors are kept as 8-bit quantized rows and scanned
// with the engine's SIMD integer kernels, across several goroutines on
// large indexes. Misspelt query words are corrected against the
// vocabulary, corrections of unlikely kinds (another first letter, a
// short word swapped for another as long) counting for little, since a
// question put in other words than the article's is full of real words
// the knowledge does not use; Query.History lets a follow-up be searched with the turns
// before it. Result.Confidence, compared with DefaultConfidenceThreshold,
// tells answerable questions from others.
//
// # Operations
//
// Live follows a folder and swaps rebuilt indexes atomically. Save,
// ReadIndex and MapFile store an index in a file and memory-map it back;
// the file records the folder it was built from, and OpenLiveFile starts
// from the file and keeps it up to date as the folder changes. EvalRetrieval
// and Calibrate measure a Searcher on a questions.jsonl set.
package knowledge

// A Snippet is one retrieved chunk of an article.
type Snippet struct {
	DocID  string `json:"doc_id"`
	Title  string `json:"title"`
	Source string `json:"source"` // file path relative to the knowledge folder, "#heading-anchor" allowed
	// URL is the article's page on the help centre when an export gave
	// it (see Chunk.URL), else empty.
	URL   string  `json:"url,omitempty"`
	Text  string  `json:"text"`
	Score float64 `json:"score"`
	// Section is the heading path of the chunk below the title, joined by
	// " > " ("Billing > Invoices"); empty for an article's introduction and
	// for FAQ entries.
	Section string `json:"section,omitempty"`
	// Links are the links of Text.
	Links []Link `json:"links,omitempty"`
}

// A Citation names an article a reply used.
type Citation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
}

// Citation returns the citation for s.
// Its URL is the article's own page when the snippet has one; else it is
// left to the caller to make from Source.
func (s Snippet) Citation() Citation { return Citation{Title: s.Title, Source: s.Source, URL: s.URL} }

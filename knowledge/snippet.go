// Package knowledge loads an operator's help-centre articles, splits them
// into chunks, indexes them and finds the passages that answer a question.
package knowledge

// A Snippet is one retrieved chunk of an article.
type Snippet struct {
	DocID  string  `json:"doc_id"`
	Title  string  `json:"title"`
	Source string  `json:"source"` // file path relative to the knowledge folder, "#heading-anchor" allowed
	Text   string  `json:"text"`
	Score  float64 `json:"score"`
	// Section is the heading path of the chunk below the title, joined by
	// " > " ("Billing > Invoices"); empty for an article's introduction and
	// for FAQ entries.
	Section string `json:"section,omitempty"`
}

// A Citation names an article a reply used.
type Citation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
}

// Citation returns the citation for s.
func (s Snippet) Citation() Citation { return Citation{Title: s.Title, Source: s.Source} }

package extractive

import (
	"strings"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// A candidate is one sentence of one snippet.
type candidate struct {
	snippet int // rank of its snippet
	line    int // line number within the snippet
	pos     int // sentence number within the snippet
	text    string
	terms   map[string]bool
	context map[string]bool // terms of the snippet's title and section and of a table header
	// own is the terms of the heading that is the sentence's own: its
	// section's, or the title's in a snippet without sections.
	own       map[string]bool
	numbers   bool
	intro     bool // ends with ':' and introduces the lines after it
	introLine int  // for a list item or table row: the line of its intro; -1 when none
	item      bool // a list item or table row: short, and read with its intro
	row       bool // a table row (an item whose list starts with a header row)
	code      bool // a line of a code block, quoted as written between fences
	numbered  bool // a numbered list item: a step of a procedure
	list      int  // for an item: its list (a run of item lines), unique within the snippet; -1 otherwise
	steps     bool // the last sentence before a numbered list (its intro or lead-in)
	step      int  // on the first sentence of a numbered item: its number in the list; else 0
	question  bool // ends with '?': it asks, and the sentences after it answer
	about     bool // says what the article covers (aboutTheArticle)
	score     float64
	selected  bool
}

// candidates splits the top snippets into sentences, headings excluded,
// reading their terms in the language lang.
func (a *Answerer) candidates(snippets []knowledge.Snippet, lang string) []*candidate {
	var out []*candidate
	for i, s := range snippets {
		if i >= a.opts.Snippets {
			break
		}
		pos := 0
		heading := grounding.TermSetIn(s.Title+"\n"+s.Section, lang)
		own := heading
		if s.Section != "" {
			own = grounding.TermSetIn(s.Section, lang)
		}
		lines := grounding.Lines(s.Text)
		list, step := -1, 0
		// asked holds the terms of a question the article asks ("Can I
		// return a sale item?"), as FAQ-style articles do; the rest of its
		// line and the next line answer it.
		var asked map[string]bool
		askedLine := -1
		for li, l := range lines {
			if l.Heading {
				list, asked = -1, nil
				continue
			}
			if li > askedLine+1 {
				asked = nil
			}
			switch {
			case !l.Item:
				list = -1
			case list < 0 || !lines[li-1].Item || l.CodeStart:
				// Two code blocks one after the other ("pip install",
				// then the Python) are two: quoted as one, neither ran.
				list = li
				step = 0
			}
			if l.Numbered {
				step++
			}
			if l.Header {
				// A table's header row names the columns: it answers
				// nothing on its own, and its rows carry it as context.
				continue
			}
			// The sentence before a numbered list leads into the steps.
			leadsIn := !l.Item && li+1 < len(lines) && lines[li+1].Numbered
			context := heading
			if l.Context != "" {
				context = grounding.TermSetIn(s.Title+"\n"+s.Section+"\n"+l.Context, lang)
			}
			// A line ending with ':' introduces its list with its last
			// sentence; a paragraph before a table ("Every locker has
			// three compartment sizes. Your parcel must fit…") with all.
			colon := strings.HasSuffix(l.Sentences[len(l.Sentences)-1], ":")
			for k, text := range l.Sentences {
				ctx := context
				if asked != nil {
					ctx = union(context, asked)
				}
				c := &candidate{
					snippet:   i,
					line:      li,
					pos:       pos,
					text:      text,
					terms:     grounding.TermSetIn(text, lang),
					context:   ctx,
					own:       own,
					numbers:   len(grounding.Numbers(text)) > 0,
					intro:     l.ListIntro && (k == len(l.Sentences)-1 || !colon),
					introLine: l.Intro,
					item:      l.Item,
					row:       l.Item && list >= 0 && lines[list].Header,
					code:      l.Code,
					numbered:  l.Numbered,
					list:      list,
					steps:     leadsIn && k == len(l.Sentences)-1,
				}
				if l.Numbered && k == 0 {
					c.step = step
				}
				if strings.HasSuffix(text, "?") {
					c.question = true
					asked, askedLine = c.terms, li
				}
				out = append(out, c)
				pos++
			}
		}
	}
	return out
}

// union returns the terms of a and b, a new set.
func union(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for t := range a {
		out[t] = true
	}
	for t := range b {
		out[t] = true
	}
	return out
}

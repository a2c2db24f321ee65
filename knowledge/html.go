package knowledge

import (
	"regexp"
	"strings"
)

// Help centres exported to Markdown (Zendesk, Intercom, Confluence) keep
// their tables as HTML. Their tags used to be stripped, gluing the cells
// of a row into one word ("UKUnit 4"), so a question about a row found
// nothing; they are rewritten as Markdown tables, which the rest of the
// pipeline reads row by row under the header.
var (
	htmlTable = regexp.MustCompile(`(?is)<table\b[^>]*>.*?</table\s*>`)
	htmlBreak = regexp.MustCompile(`(?i)<(?:br|hr|/p|/div|/li|/h[1-6]|/td|/th|/tr|/dt|/dd|/summary|/details)\b[^>]*>`)
)

// htmlTables rewrites the HTML tables of Markdown text outside code
// fences as Markdown tables.
func htmlTables(text string) string {
	if !strings.Contains(text, "<table") && !strings.Contains(text, "<TABLE") {
		return text
	}
	var out, seg strings.Builder
	flush := func() {
		out.WriteString(htmlTable.ReplaceAllStringFunc(seg.String(), markdownTable))
		seg.Reset()
	}
	inFence := ""
	for _, line := range strings.SplitAfter(text, "\n") {
		m := fenceLine.FindStringSubmatch(line)
		switch {
		case m != nil && inFence == "":
			flush()
			inFence = m[1]
			out.WriteString(line)
		case inFence != "":
			if m != nil && m[1] == inFence {
				inFence = ""
			}
			out.WriteString(line)
		default:
			seg.WriteString(line)
		}
	}
	flush()
	return out.String()
}

// markdownTable turns one HTML table in a Markdown article into a
// Markdown table on lines of its own, as an HTML article's tables are
// (see htmlArticle).
func markdownTable(table string) string {
	return "\n\n" + htmlArticle(table) + "\n\n"
}

package knowledge

import (
	"html"
	"regexp"
	"strings"
)

// Help centres exported to Markdown (Zendesk, Intercom, Confluence) keep
// their tables as HTML. Their tags used to be stripped, gluing the cells
// of a row into one word ("UKUnit 4"), so a question about a row found
// nothing; they are rewritten as Markdown tables, which the rest of the
// pipeline reads row by row under the header.
var (
	htmlTable    = regexp.MustCompile(`(?is)<table\b[^>]*>(.*?)</table\s*>`)
	htmlRowOpen  = regexp.MustCompile(`(?i)<tr\b[^>]*>`)
	htmlCellOpen = regexp.MustCompile(`(?i)<t[dh]\b[^>]*>`)
	htmlBreak    = regexp.MustCompile(`(?i)<(?:br|hr|/p|/div|/li|/h[1-6]|/td|/th|/tr|/dt|/dd)\b[^>]*>`)
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

// markdownTable turns one HTML table into a Markdown table, its first row
// the header, on lines of its own. Closing tags may be left out, as HTML
// allows. Text before the first row (a caption) is kept as a line above.
func markdownTable(table string) string {
	table = htmlTable.FindStringSubmatch(table)[1]
	parts := htmlRowOpen.Split(table, -1)
	var b strings.Builder
	b.WriteString("\n\n")
	if caption := htmlText(parts[0]); caption != "" {
		b.WriteString(caption + "\n")
	}
	rows := 0
	for _, row := range parts[1:] {
		cells := htmlCellOpen.Split(row, -1)[1:]
		if len(cells) == 0 {
			continue
		}
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(htmlText(c), "|", `\|`) + " |")
		}
		b.WriteString("\n")
		if rows == 0 {
			b.WriteString("|" + strings.Repeat("---|", len(cells)) + "\n")
		}
		rows++
	}
	b.WriteString("\n")
	return b.String()
}

// htmlText is the text of an HTML fragment on one line: tags go (those
// that end a block leave a space), entities are decoded.
func htmlText(s string) string {
	s = htmlBreak.ReplaceAllString(s, " ")
	s = htmlTag.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

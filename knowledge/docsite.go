package knowledge

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Documentation sites write Markdown with syntax that their renderer
// turns into something else, or into nothing: comments (HTML's "<!-- -->",
// MDX's "{/* */}"), MDX's import and export lines and JSX components
// (Docusaurus's <Tabs> and <TabItem label="iOS">), and notes and tabs
// (Docusaurus's ":::tip Title", MkDocs's `!!! note "Title"` and
// `=== "iOS"`, their content indented; GitBook's `{% hint %}` and
// `{% tab title="iOS" %}`; Obsidian's `> [!tip] Title`). Read as text, a writer's comment
// ("<!-- Legal asked us not to promise when managers respond. -->") was
// quoted to customers, and a tab's content lost the label that said which
// app it was about.

// ErrBrokenMarkup is a file whose markup opens something it never closes
// (front matter, a comment): where it ends is a guess, and a wrong guess
// either indexes the writer's notes or loses the article.
var ErrBrokenMarkup = errors.New("knowledge: broken markup")

// A markupError is broken markup at one line of a file; it matches
// ErrBrokenMarkup.
type markupError struct {
	line int // 1-based
	what string
}

func (e *markupError) Error() string {
	return "line " + strconv.Itoa(e.line) + ": " + ErrBrokenMarkup.Error() + ": " + e.what
}
func (e *markupError) Unwrap() error { return ErrBrokenMarkup }

// Lines that stand for tabs in the text parseMarkdown reads: each tab of
// a group opens a section headed by its label, one level below the
// section the group is in, and the text after the group continues that
// section. No article's text holds a NUL (binaryData refuses a file with
// one near its start); one that does makes at worst a section.
const (
	tabMark = "\x00tab "
	tabsEnd = "\x00tabs end"
)

// How many lines an MDX import or export statement, and a JSX tag, may
// run to: past them it is read as text. They bound the work a line that
// never ends one costs: a megabyte of "export const x = (" lines, or of
// `<A b="` ones, is read about as fast as a megabyte of prose (0.7 s).
const (
	maxStatementLines = 50
	maxTagLines       = 20
)

var (
	// frontKey is a YAML front matter line ("title: Refunds"); sites'
	// keys are lowercase, a sentence's first word ("Note: ...") is not.
	frontKey = regexp.MustCompile(`^[a-z_][\w-]*:(?:[ \t]|$)`)
	// admonition is a Docusaurus or VuePress note's opening (":::tip
	// Title", ":::tip[Title]") or closing (":::") line.
	admonition = regexp.MustCompile(`^ {0,3}:::+\s*(?:[A-Za-z][\w-]*)?(.*)$`)
	// mkdocsNote opens an MkDocs admonition (`!!! note "Title"`, or
	// "??? tip" folded), its content indented below it.
	mkdocsNote = regexp.MustCompile(`^ {0,3}(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*(?:[ \t]+"(.*)")?[ \t]*$`)
	// mkdocsTab opens an MkDocs content tab (`=== "iOS"`).
	mkdocsTab = regexp.MustCompile(`^ {0,3}===[!+]?[ \t]+"(.*)"[ \t]*$`)
	// liquidTags is a line of GitBook's (Liquid) block tags only:
	// `{% hint style="info" %}`, `{% endhint %}`, `{% tabs %}`.
	liquidTags = regexp.MustCompile(`^[ \t]*(?:\{%-?[^%]*-?%\}[ \t]*)+$`)
	// liquidTab opens a GitBook tab: `{% tab title="iOS" %}`.
	liquidTab = regexp.MustCompile(`^[ \t]*\{%-?\s*tab\s+title="([^"]*)"\s*-?%\}[ \t]*$`)
	// calloutMark opens an Obsidian callout, a note written as a
	// quote: `> [!tip] Title`.
	calloutMark = regexp.MustCompile(`^([ \t]*>[ \t]*)\[![\w-]+\][+-]?[ \t]*(.*)$`)
	// jsxTag begins a line with a JSX component's tag (capitalised, as
	// MDX tells them from HTML's) or a fragment's.
	jsxTag = regexp.MustCompile(`^[ \t]*</?(?:[A-Z][\w.]*|>)`)
	// jsxName is a tag's name.
	jsxName = regexp.MustCompile(`^</?([A-Za-z][\w.]*)`)
	// esmImport and esmExport begin MDX's JavaScript lines.
	esmImport = regexp.MustCompile(`^import[ \t]+(?:['"]|[\w$*{])`)
	esmExport = regexp.MustCompile(`^export[ \t]+(?:const|let|var|function|class|default|async|\{|\*)`)
	// esmModule ends an import with the module it names.
	esmModule = regexp.MustCompile(`['"][^'"\n]+['"][ \t]*;?[ \t]*$`)
	// jsxAttr is a tab's label or value attribute, quoted or a string
	// in braces.
	jsxAttr = regexp.MustCompile(`\b(label|value|title)=(?:"([^"]*)"|'([^']*)'|\{\s*["'` + "`" + `]([^"'` + "`" + `]*)["'` + "`" + `]\s*\})`)
	// tabsValue is one tab of Docusaurus's older <Tabs values={[{label:
	// 'iOS', value: 'ios'}]}>, whose <TabItem> has no label.
	tabsValue = regexp.MustCompile(`\{[^{}]*\}`)
	jsField   = regexp.MustCompile(`\b(label|value)\s*:\s*["'` + "`" + `]([^"'` + "`" + `]*)["'` + "`" + `]`)
)

// cutFrontMatter splits YAML front matter ("---" ... "---" or "...") off
// text. Front matter that is never closed is an error; a first "---" line
// not followed by a "key:" line is a rule, not front matter.
func cutFrontMatter(text string) (rest, fm string, err error) {
	if !strings.HasPrefix(text, "---\n") {
		return text, "", nil
	}
	lines := strings.Split(text, "\n")
	for i := 1; i < len(lines); i++ {
		if l := strings.TrimRight(lines[i], " \t"); l == "---" || l == "..." {
			return strings.Join(lines[i+1:], "\n"), strings.Join(lines[1:i], "\n"), nil
		}
	}
	if len(lines) > 1 && frontKey.MatchString(lines[1]) {
		// Read as text, "title: Refunds sidebar_position: 1" and the
		// article after it were one paragraph quoted as an answer.
		return "", "", &markupError{1, `front matter opened with "---" is never closed`}
	}
	return text, "", nil
}

// commentMarks open and close the comments a renderer drops.
var commentMarks = [][2]string{{"<!--", "-->"}, {"{/*", "*/}"}}

// stripComments removes HTML and MDX comments from Markdown text, on one
// line or many, outside code fences and code spans. A line that held only
// a comment is left blank, as the block it was ends a paragraph. A
// comment never closed is an error at the line that opens it: a renderer
// hides the rest of the article, or refuses it.
func stripComments(text string, firstLine int) (string, error) {
	if !strings.Contains(text, "<!--") && !strings.Contains(text, "{/*") {
		return text, nil
	}
	lines := strings.Split(text, "\n")
	out := make([]string, 0, len(lines))
	inFence := ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if f := fenceAfter(inFence, line); f != "" || inFence != "" {
			inFence = f
			out = append(out, line)
			continue
		}
		var b strings.Builder
		for {
			at, mark := openingComment(line)
			if at < 0 {
				b.WriteString(line)
				break
			}
			b.WriteString(line[:at])
			open, rest := i, line[at+len(mark[0]):]
			for {
				if j := strings.Index(rest, mark[1]); j >= 0 {
					line = rest[j+len(mark[1]):]
					break
				}
				if i++; i == len(lines) {
					return "", &markupError{firstLine + open, fmt.Sprintf("comment opened with %q is never closed with %q", mark[0], mark[1])}
				}
				rest = lines[i]
			}
		}
		out = append(out, b.String())
	}
	return strings.Join(out, "\n"), nil
}

// openingComment returns where the first comment of line opens outside a
// code span ("`<!-- more -->`" is an example, not a comment), and its
// marks; -1 when none does.
func openingComment(line string) (int, [2]string) {
	code := false
	for i := 0; i < len(line); i++ {
		if line[i] == '`' {
			code = !code
			continue
		}
		if code || line[i] != '<' && line[i] != '{' {
			continue
		}
		for _, m := range commentMarks {
			if strings.HasPrefix(line[i:], m[0]) {
				return i, m
			}
		}
	}
	return -1, [2]string{}
}

// siteBlocks rewrites the documentation-site blocks of lines outside code
// fences as plain Markdown: notes as a paragraph led by their title
// ("Lost your phone?", "Good to know:"), tabs as tabMark lines before
// their content and tabsEnd after the group, MDX's import and export
// lines (at top level only) and JSX tags gone, their content kept.
// Indented content (MkDocs's notes and tabs) is read as a document of its
// own, so that a fence or note inside it is one.
func siteBlocks(lines []string, top bool) []string {
	var out []string
	labels := map[string]string{} // <Tabs values>: a tab's label by its value
	inFence := ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if f := fenceAfter(inFence, line); f != "" || inFence != "" {
			inFence = f
			out = append(out, line)
			continue
		}
		if top && (esmImport.MatchString(line) || esmExport.MatchString(line)) {
			if end, ok := esmEnd(lines, i); ok {
				i = end
				continue
			}
		}
		// A note or tab has indented content: without, "!!! Read this
		// first" is a line of text.
		if m := mkdocsNote.FindStringSubmatch(line); m != nil && hasTextAfter(indentedBody(lines, i+1)) {
			body, next := indented(lines, i+1)
			out = append(out, "")
			if t := leadIn(m[1]); t != "" {
				out = append(out, t)
			}
			out = append(append(out, siteBlocks(body, false)...), "")
			i = next - 1
			continue
		}
		if m := mkdocsTab.FindStringSubmatch(line); m != nil && hasTextAfter(indentedBody(lines, i+1)) {
			body, next := indented(lines, i+1)
			out = append(out, "", tabMark+cleanInline(m[1]))
			out = append(append(out, siteBlocks(body, false)...), "")
			if !nextIsTab(lines, next) {
				out = append(out, tabsEnd)
			}
			i = next - 1
			continue
		}
		if m := admonition.FindStringSubmatch(line); m != nil {
			// ":::note Title" opens a note and ":::" closes it: only a
			// title is text, leading into the note's first paragraph.
			out = append(out, "")
			if t := leadIn(m[1]); t != "" {
				out = append(out, t)
			}
			continue
		}
		if jsxTag.MatchString(line) {
			var kept []string
			kept, i = jsxLines(lines, i, labels)
			out = append(out, kept...)
			continue
		}
		if liquidTags.MatchString(line) {
			// GitBook's tags render as boxes and tabs: a tab opens
			// a section headed by its title, the end of the tabs
			// closes them, and the other tags are paragraph breaks.
			switch m := liquidTab.FindStringSubmatch(line); {
			case m != nil:
				out = append(out, "", tabMark+cleanInline(m[1]))
			case strings.Contains(line, "endtabs"):
				out = append(out, "", tabsEnd)
			default:
				out = append(out, "")
			}
			continue
		}
		if m := calloutMark.FindStringSubmatch(line); m != nil {
			// Its title leads into the note, as a Docusaurus note's does.
			out = append(out, m[1]+leadIn(m[2]))
			continue
		}
		out = append(out, line)
	}
	return out
}

// leadIn returns a note's title as the words that lead into it: "Good to
// know:" (a colon added unless it ends in punctuation), "" for none.
func leadIn(title string) string {
	t := strings.TrimSpace(strings.Trim(strings.TrimSpace(title), "[]"))
	if t == "" {
		return ""
	}
	if !strings.ContainsAny(t[len(t)-1:], ".:!?") {
		t += ":"
	}
	return t
}

// indented returns the lines from lines[from] that are blank or indented
// by four spaces or a tab, without that indent, and the index of the
// first line after them.
func indented(lines []string, from int) (body []string, next int) {
	next = from
	for ; next < len(lines); next++ {
		l := lines[next]
		switch {
		case strings.TrimSpace(l) == "":
			body = append(body, "")
		case strings.HasPrefix(l, "    "):
			body = append(body, l[4:])
		case strings.HasPrefix(l, "\t"):
			body = append(body, l[1:])
		default:
			return body, next
		}
	}
	return body, next
}

// indentedBody returns the body indented returns.
func indentedBody(lines []string, from int) []string {
	body, _ := indented(lines, from)
	return body
}

// nextIsTab reports whether the first non-blank line from lines[i] opens
// another tab of the same group.
func nextIsTab(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			m := mkdocsTab.FindStringSubmatch(lines[i])
			return m != nil && !strings.HasPrefix(strings.TrimSpace(lines[i]), "===!")
		}
	}
	return false
}

// esmEnd returns the last line of the import or export statement that
// begins at lines[i]: where its brackets close (and, for an import, the
// module is named). ok is false when it never ends, which is prose that
// began with the word.
func esmEnd(lines []string, i int) (end int, ok bool) {
	depth := 0
	for j := i; j < len(lines) && j < i+maxStatementLines; j++ {
		depth += bracketDepth(lines[j])
		if depth > 0 {
			continue
		}
		if strings.HasPrefix(lines[i], "import") && !esmModule.MatchString(lines[j]) {
			return 0, false
		}
		return j, true
	}
	return 0, false
}

// bracketDepth returns how many more brackets line opens than it closes,
// outside quotes.
func bracketDepth(line string) int {
	depth, quote := 0, rune(0)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '{' || r == '[' || r == '(':
			depth++
		case r == '}' || r == ']' || r == ')':
			depth--
		}
	}
	return depth
}

// jsxLines reads the JSX tags that begin lines[i], across lines when their
// attributes run on, and returns what stands for them (a tab's mark, the
// end of a tab group, a blank line for any other tag) followed by the text
// after them on their last line, and the index of that line.
func jsxLines(lines []string, i int, labels map[string]string) ([]string, int) {
	var out []string
	rest := strings.TrimLeft(lines[i], " \t")
	for jsxTag.MatchString(rest) {
		tag, after, last, ok := jsxTagAt(lines, i, rest)
		if !ok {
			break // "<Foo" never closed: text, for cleanInline
		}
		out = append(out, tabLine(tag, labels)...)
		rest, i = strings.TrimLeft(after, " \t"), last
	}
	if strings.TrimSpace(rest) != "" {
		out = append(out, rest)
	}
	return out, i
}

// jsxTagAt returns the tag that begins s (lines[i] or the rest of it), up
// to its ">" outside quotes and braces, reading on into the lines after
// it; after is what follows it on its last line, lines[last].
func jsxTagAt(lines []string, i int, s string) (tag, after string, last int, ok bool) {
	var b strings.Builder
	depth, quote := 0, rune(0)
	for last = i; last < len(lines) && last < i+maxTagLines; last++ {
		if last > i {
			s = lines[last]
			b.WriteByte('\n')
		}
		for k, r := range s {
			switch {
			case quote != 0:
				if r == quote {
					quote = 0
				}
			case r == '"' || r == '\'' || (r == '`' && depth > 0):
				quote = r
			case r == '{':
				depth++
			case r == '}':
				depth--
			case r == '>' && depth <= 0:
				b.WriteString(s[:k+1])
				return b.String(), s[k+1:], last, true
			}
		}
		b.WriteString(s)
	}
	return "", "", i, false
}

// tabLine returns the lines that stand for a JSX tag: a tab's mark for
// <TabItem label="iOS"> (Docusaurus, Starlight) or <Tab title="iOS">
// (Mintlify), the group's end for </Tabs>, and for any other a blank
// line (the end of a paragraph), then the title of a component that has
// one, leading into its content: Mintlify's <Accordion title="Can I
// cancel?">, <Step title="Install the app">, Starlight's <Aside
// title="Did you know?">. An accordion's title is an FAQ's question;
// left out, its answer answered nothing.
func tabLine(tag string, labels map[string]string) []string {
	name := ""
	if m := jsxName.FindStringSubmatch(tag); m != nil {
		name = m[1]
	}
	closing := strings.HasPrefix(tag, "</")
	attrs := map[string]string{}
	for _, m := range jsxAttr.FindAllStringSubmatch(tag, -1) {
		attrs[m[1]] = m[2] + m[3] + m[4]
	}
	switch {
	case name == "Tabs" && closing:
		return []string{tabsEnd}
	case name == "Tabs":
		for _, v := range tabsValue.FindAllString(tag, -1) {
			f := map[string]string{}
			for _, m := range jsField.FindAllStringSubmatch(v, -1) {
				f[m[1]] = m[2]
			}
			if f["label"] != "" && f["value"] != "" {
				labels[f["value"]] = f["label"]
			}
		}
	case (name == "TabItem" || name == "Tab") && !closing:
		label := attrs["label"]
		if label == "" {
			label = attrs["title"]
		}
		if label == "" {
			label = labels[attrs["value"]]
		}
		if label == "" {
			label = attrs["value"]
		}
		if label = cleanInline(label); label != "" {
			return []string{tabMark + label}
		}
	case !closing && attrs["title"] != "":
		if t := leadIn(cleanInline(attrs["title"])); t != "" {
			return []string{"", t}
		}
	}
	return []string{""}
}

// fenceAfter returns the code fence open after line ("" for none), given
// the one open before it.
func fenceAfter(open, line string) string {
	m := fenceLine.FindStringSubmatch(line)
	switch {
	case m == nil:
		return open
	case open == "":
		return m[1]
	case open == m[1]:
		return ""
	}
	return open
}

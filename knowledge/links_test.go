package knowledge

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestArticleLinks: a chunk keeps the links of its text, inline,
// reference and HTML ones, with their words as the chunk says them; a
// link to another article names its file (a documentation site's link
// may leave out the extension), and images, code, links out of the
// folder, site paths and scripts are no links.
func TestArticleLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"docs/support.md": file("# Support\n\nCheck the [**status page**](https://status.example.com \"Status\") first, or " +
			"[email us](mailto:help@example.com).\nSee [Rate limits](../api/rate-limits) and [bursts](../api/rate-limits.md#bursts), " +
			"the [glossary][g] and <a href=\"faq.md\">our FAQ</a>.\n\n![the status page](status.png)\n\n" +
			"[Outside](../../etc/passwd), [site page](/pricing), [run](javascript:alert(1)), [ghost](ghost.md).\n\n" +
			"```\n[not a link](https://example.com)\n```\n\n[g]: https://example.com/glossary\n"),
		"api/rate-limits.md": file("# Rate limits\n\n## Bursts\n\nUp to 10 a second.\n"),
		"docs/faq.md":        file("# FAQ\n\nAnswers.\n"),
	}
	chunks, err := LoadFS(context.Background(), fsys, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Link
	for _, c := range chunks {
		if c.DocID == "docs/support.md" {
			got = append(got, c.Links...)
		}
	}
	want := []Link{
		{Text: "status page", URL: "https://status.example.com"},
		{Text: "email us", URL: "mailto:help@example.com"},
		{Text: "Rate limits", Source: "api/rate-limits.md"},
		{Text: "bursts", Source: "api/rate-limits.md#bursts"},
		{Text: "glossary", URL: "https://example.com/glossary"},
		{Text: "our FAQ", Source: "docs/faq.md"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// TestLinksQuoted: a reply carries the links whose words it quotes as
// words of their own.
func TestLinksQuoted(t *testing.T) {
	snippets := []Snippet{{Links: []Link{{Text: "status page", URL: "https://status.example.com"}, {Text: "Plus", Source: "plans.md#plus"}}}}
	got := LinksQuoted("Check the status page; Plusnet is not us.", snippets)
	if want := []Link{{Text: "status page", URL: "https://status.example.com"}}; !cmp.Equal(got, want) {
		t.Errorf("LinksQuoted = %+v, want %+v", got, want)
	}
}

// TestHTMLArticleLinks: an HTML article's links are kept like a Markdown
// one's, its text unchanged; a link around blocks (a card) is read as
// its blocks, and a row of links stays furniture.
func TestHTMLArticleLinks(t *testing.T) {
	page := `<html><body><main><h1>Contact us</h1>
<p>Call <a href="tel:03301234567">0330 123 4567</a>, or use the <a href="/returns">returns form</a> or the <a href="https://x.example/r?a=(1)">returns portal</a>.</p>
<a href="/cards/1"><div><h2>Delivery</h2><p>Where is my order?</p></div></a>
<p><a href="/">Home</a> | <a href="/help">Help</a></p></main></body></html>`
	chunks, err := LoadFS(context.Background(), fstest.MapFS{"contact.html": file(page)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var got []Link
	for _, c := range chunks {
		text += c.Text + "\n"
		got = append(got, c.Links...)
	}
	want := []Link{{Text: "0330 123 4567", URL: "tel:03301234567"}, {Text: "returns portal", URL: "https://x.example/r?a=%281%29"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	for _, w := range []string{"Call 0330 123 4567, or use the returns form or the returns portal.", "Where is my order?"} {
		if !strings.Contains(text, w) {
			t.Errorf("text %q lacks %q", text, w)
		}
	}
	if strings.Contains(text, "Home") || strings.Contains(text, "](") {
		t.Errorf("text %q holds the link row or link markup", text)
	}
}

// TestLinkTargetsWithParentheses: a target holding a pair of parentheses
// (Wikipedia's) is read whole, so is a text holding a pair of brackets,
// a quoted attribute holding '>' does not end its tag, and a script's
// link leaves no stray parenthesis behind.
func TestLinkTargetsWithParentheses(t *testing.T) {
	doc := "# Plans\n\nOpen the <a href=\"https://example.com/account\" title=\"Account > Plans\">account page</a>. " +
		"Compare the [plan chart](https://en.wikipedia.org/wiki/Plan_(business)) first. Never click [x](javascript:alert(1)) links. " +
		"See [a+b [x]](https://example.com/ab).\n"
	chunks, err := LoadFS(context.Background(), fstest.MapFS{"plans.md": file(doc)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 {
		t.Fatalf("%d chunks", len(chunks))
	}
	if want := "Open the account page. Compare the plan chart first. Never click x links. See a+b [x]."; chunks[0].Text != want {
		t.Errorf("text %q, want %q", chunks[0].Text, want)
	}
	want := []Link{{Text: "plan chart", URL: "https://en.wikipedia.org/wiki/Plan_(business)"}, {Text: "a+b [x]", URL: "https://example.com/ab"},
		{Text: "account page", URL: "https://example.com/account"}}
	if diff := cmp.Diff(want, chunks[0].Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// TestExportLinks: an article of a help-centre export knows its page
// (html_url), so its links to the help centre's own pages, site paths
// and relative ones alike, lead there; an entry without headings keeps
// its links too, and a script's link, or one to the page itself ("#"),
// is still none.
func TestExportLinks(t *testing.T) {
	export := `{"articles": [
{"id": 1, "title": "Refunds", "html_url": "https://help.example.com/hc/en-us/articles/1-Refunds",
 "body": "<p>Refunds arrive within 5 days. Check the <a href=\"https://status.example.com\">status page</a>, <a href=\"/hc/en-us/articles/2-Contact\">contact us</a> or read <a href=\"3-Fees#cards\">card fees</a>. Never <a href=\"javascript:alert(1)\">click here</a>. <a href=\"#\">Chat with us</a>.</p>"},
{"id": 2, "title": "Contact", "html_url": "https://help.example.com/hc/en-us/articles/2-Contact",
 "body": "<h2>Phone</h2><p>Call us, or see <a href=\"/hc/en-us/articles/1-Refunds\">our refund policy</a>.</p>"},
{"id": 3, "title": "Fees", "body": "<p>See the <a href=\"/fees\">fee table</a> and the <a href=\"https://example.com/fees\">price list</a>.</p>"}]}`
	chunks, err := LoadFS(context.Background(), fstest.MapFS{"articles.json": file(export)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Link{}
	for _, c := range chunks {
		got[c.Title] = append(got[c.Title], c.Links...)
	}
	want := map[string][]Link{
		"Refunds": {
			{Text: "status page", URL: "https://status.example.com"},
			{Text: "contact us", URL: "https://help.example.com/hc/en-us/articles/2-Contact"},
			{Text: "card fees", URL: "https://help.example.com/hc/en-us/articles/3-Fees#cards"},
		},
		"Contact": {{Text: "our refund policy", URL: "https://help.example.com/hc/en-us/articles/1-Refunds"}},
		// No page of its own: a site path leads nowhere known.
		"Fees": {{Text: "price list", URL: "https://example.com/fees"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// TestReferenceLinks: an article that refers to another by its title
// after "see" (or "read the article", "check", "siehe"…) links the title
// to it, the longest title that fits; a title without such a word, the
// article's own, one two articles share in any case, one that runs into
// a longer word, one in code, or one of a single character or of
// punctuation is not linked.
func TestReferenceLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"access.md": file("# Access and security\n\nEntrances are covered by CCTV (see *Privacy, CCTV and your data* for how long recordings are kept). " +
			"Lost fobs: see refunds and deposits. Refunds are rare. Read Refunds first. See Access and security. " +
			"Check Opening hours. Visit Fees. Read the article Wi-Fi and printing. Check X. See ...\n\n" +
			"```\n# see Printing guide for the token\n```\n"),
		"privacy.md":  file("# Privacy, CCTV and your data\n\nRecordings are kept for 30 days.\n"),
		"refunds.md":  file("# Refunds and deposits\n\nDeposits come back within 14 days.\n"),
		"refund.md":   file("# Refunds\n\nSee the Refunds and deposits article.\n"),
		"hours.md":    file("# Opening hours\n\nWe open at 8.\n"),
		"hours-2.md":  file("# Opening Hours\n\nWeekends: 10 to 4.\n"),
		"hour.md":     file("# Opening hour\n\nThe first hour.\n"),
		"wifi.md":     file("# Wi-Fi and printing\n\nThe network is Guest.\n"),
		"guide.md":    file("# Printing guide\n\nPrint from the app.\n"),
		"x.md":        file("# X\n\nX marks the spot.\n"),
		"dots.md":     file("# ...\n\nNothing.\n"),
		"export.json": file(`{"articles": [{"title": "Fees", "html_url": "https://help.example.com/fees", "body": "<p>See Privacy, CCTV and your data.</p>"}]}`),
	}
	chunks, err := LoadFS(context.Background(), fsys, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Link{}
	for _, c := range chunks {
		if len(c.Links) > 0 {
			got[c.DocID] = append(got[c.DocID], c.Links...)
		}
	}
	want := map[string][]Link{
		"access.md": {
			{Text: "Privacy, CCTV and your data", Source: "privacy.md"},
			{Text: "refunds and deposits", Source: "refunds.md"},
			{Text: "Refunds", Source: "refund.md"},
			{Text: "Fees", URL: "https://help.example.com/fees"},
			{Text: "Wi-Fi and printing", Source: "wifi.md"},
		},
		"refund.md":   {{Text: "Refunds and deposits", Source: "refunds.md"}},
		"export.json": {{Text: "Privacy, CCTV and your data", Source: "privacy.md"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// TestFAQMarkdownAnswers: a Markdown answer of a YAML or JSON FAQ reads as
// an article's text does: a fenced block with a language is code between
// fences (its link no link), and a reference link leads to its target,
// whose definition line is no text.
func TestFAQMarkdownAnswers(t *testing.T) {
	faq := "faq:\n  - question: How do I install the client?\n    answer: |\n      Install it:\n\n" +
		"      ```bash\n      pip install parcelio  # [docs](https://x.example/docs)\n      ```\n\n" +
		"      Read the [setup guide][g] next.\n\n      [g]: https://example.com/guide\n"
	chunks, err := LoadFS(context.Background(), fstest.MapFS{"faq.yaml": file(faq)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 {
		t.Fatalf("%d chunks, want 1: %+v", len(chunks), chunks)
	}
	c := chunks[0]
	want := "Install it:\n\n```\npip install parcelio  # [docs](https://x.example/docs)\n```\n\nRead the setup guide next."
	if c.Text != want {
		t.Errorf("text %q, want %q", c.Text, want)
	}
	if links := []Link{{Text: "setup guide", URL: "https://example.com/guide"}}; !cmp.Equal(c.Links, links) {
		t.Errorf("links %+v, want %+v", c.Links, links)
	}
}

package knowledge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// brief is a chunk without its text, for comparing structure.
type brief struct {
	DocID, Title, Section, Source string
}

func briefs(cs []Chunk) []brief {
	out := make([]brief, len(cs))
	for i, c := range cs {
		out[i] = brief{c.DocID, c.Title, strings.Join(c.Section, " > "), c.Source}
	}
	return out
}

func TestLoadStructure(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
		want []brief
	}{
		{
			name: "title and nested anchors",
			fs: fstest.MapFS{"refunds.md": file(`# Refunds

Intro text.

## How long a refund takes

Five days.

### Card payments

Ten days.

## Who can ask?

Anyone.
`)},
			want: []brief{
				{"refunds.md", "Refunds", "", "refunds.md"},
				{"refunds.md", "Refunds", "How long a refund takes", "refunds.md#how-long-a-refund-takes"},
				{"refunds.md", "Refunds", "How long a refund takes > Card payments", "refunds.md#card-payments"},
				{"refunds.md", "Refunds", "Who can ask?", "refunds.md#who-can-ask"},
			},
		},
		{
			name: "title from file name, repeated headings numbered",
			fs: fstest.MapFS{"sub/shipping-times.markdown": file(`Some intro.

## Europe

Two days.

## Europe

Again.

## Europe

Third.
`)},
			want: []brief{
				{"sub/shipping-times.markdown", "Shipping times", "", "sub/shipping-times.markdown"},
				{"sub/shipping-times.markdown", "Shipping times", "Europe", "sub/shipping-times.markdown#europe"},
				{"sub/shipping-times.markdown", "Shipping times", "Europe", "sub/shipping-times.markdown#europe-1"},
				{"sub/shipping-times.markdown", "Shipping times", "Europe", "sub/shipping-times.markdown#europe-2"},
			},
		},
		{
			name: "setext headings, inline markup, code fences",
			fs:   fstest.MapFS{"a.md": file("Account **help**\n================\n\nHello.\n\nSign-in `codes` & [links](http://x)\n-----------------------\n\n```\n# not a heading\n```\n")},
			want: []brief{
				{"a.md", "Account help", "", "a.md"},
				{"a.md", "Account help", "Sign-in codes & links", "a.md#sign-in-codes--links"},
			},
		},
		{
			name: "front matter title, empty sections dropped",
			fs:   fstest.MapFS{"x.txt": file("---\ntitle: \"Contact hours\"\n---\n## Phone\n\n## Chat\n\nNine to five.\n")},
			want: []brief{
				{"x.txt", "Contact hours", "Chat", "x.txt#chat"},
			},
		},
		{
			name: "plain text with heading lines",
			fs:   fstest.MapFS{"nervous.txt": file("Nervous patients\n\nTell us when you book.\n\nSedation\n\nIV sedation costs £295.\n\nHours: 9 to 5\n\nCall us first.\n")},
			want: []brief{
				{"nervous.txt", "Nervous patients", "", "nervous.txt"},
				{"nervous.txt", "Nervous patients", "Sedation", "nervous.txt#sedation"},
			},
		},
		{
			name: "plain-text policy wording with numbered headings",
			fs: fstest.MapFS{"policy.txt": file("GADGET COVER\nADD-ON WORDING\nVersion 7, effective 1 March 2026\n\nAn add-on to any policy.\n\n" +
				"4. WHAT IS NOT COVERED\n\n4.4 Drones in flight\nWe do not pay for a drone while it is flying.\n\n" +
				"5. HOW TO CLAIM\n\n1. Call the police.\n2. Block your phone.\n")},
			want: []brief{
				{"policy.txt", "GADGET COVER ADD-ON WORDING", "", "policy.txt"},
				{"policy.txt", "GADGET COVER ADD-ON WORDING", "4. WHAT IS NOT COVERED > 4.4 Drones in flight", "policy.txt#44-drones-in-flight"},
				{"policy.txt", "GADGET COVER ADD-ON WORDING", "5. HOW TO CLAIM", "policy.txt#5-how-to-claim"},
			},
		},
		{
			name: "front matter title repeated as the first heading",
			fs:   fstest.MapFS{"p.md": file("---\ntitle: Plans and prices\n---\n\n# Plans and Prices\n\nAll prices include VAT.\n\n## Our plans\n\nFibre 500 costs £32.\n")},
			want: []brief{
				{"p.md", "Plans and prices", "", "p.md"},
				{"p.md", "Plans and prices", "Our plans", "p.md#our-plans"},
			},
		},
		{
			name: "FAQ yaml list and json object, hidden and other files skipped",
			fs: fstest.MapFS{
				"faq.yaml":        file("- question: Do you ship to Norway?\n  answer: Yes, in 4 days.\n- q: Is it free?\n  a: No.\n"),
				"more/faq.json":   file(`{"faqs": [{"question": "Can I pay by **card**?", "answer": "Yes."}]}`),
				"more/help.yml":   file("version: 2\nitems_v2:\n  - title: Where is my parcel?\n    body: Track it in the app.\n"),
				".hidden.md":      file("# Hidden\n\ntext"),
				".git/config.md":  file("# Git\n\ntext"),
				"logo.png":        file("\x89PNG"),
				"notes/README.MD": file("# Notes\n\nRead me."),
			},
			want: []brief{
				{"faq.yaml", "Do you ship to Norway?", "", "faq.yaml#do-you-ship-to-norway"},
				{"faq.yaml", "Is it free?", "", "faq.yaml#is-it-free"},
				{"more/faq.json", "Can I pay by card?", "", "more/faq.json#can-i-pay-by-card"},
				{"more/help.yml", "Where is my parcel?", "", "more/help.yml#where-is-my-parcel"},
				{"notes/README.MD", "Notes", "", "notes/README.MD"},
			},
		},
		{
			name: "unicode headings keep letters",
			fs:   fstest.MapFS{"u.md": file("# Über uns\n\nText.\n\n## Préparer l'envoi\n\nText.\n")},
			want: []brief{
				{"u.md", "Über uns", "", "u.md"},
				{"u.md", "Über uns", "Préparer l'envoi", "u.md#préparer-lenvoi"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := LoadFS(context.Background(), tt.fs, LoadOptions{})
			if err != nil {
				t.Fatalf("LoadFS: %v", err)
			}
			if diff := cmp.Diff(tt.want, briefs(cs)); diff != "" {
				t.Errorf("LoadFS chunks mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadText(t *testing.T) {
	fs := fstest.MapFS{"a.md": file("# A\n\nSee *Refunds* and __this__.\nSecond line.\n\n- one\n- two\n\n| Plan | Price |\n|---|---|\n| Plus | €9.99 |\n")}
	cs, err := LoadFS(context.Background(), fs, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "See Refunds and this. Second line.\n\n- one\n- two\n\n| Plan | Price |\n| Plus | €9.99 |"
	if len(cs) != 1 || cs[0].Text != want {
		t.Fatalf("LoadFS text = %q, want one chunk %q", texts(cs), want)
	}
}

// GitHub's tables may leave out the outer pipes; their rows must still
// be rows, not one run-on line, and a line with a pipe that no delimiter
// row follows stays prose.
func TestLoadTableWithoutOuterPipes(t *testing.T) {
	doc := "# A\n\nOption | Price\n--- | :---:\nStandard | £3.95\nExpress | £7.95\nAfter the table.\n\nEither this | or that.\n"
	cs, err := LoadFS(context.Background(), fstest.MapFS{"a.md": file(doc)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "| Option | Price |\n| Standard | £3.95 |\n| Express | £7.95 |\nAfter the table.\n\nEither this | or that."
	if len(cs) != 1 || cs[0].Text != want {
		t.Fatalf("LoadFS text = %q, want one chunk %q", texts(cs), want)
	}
}

// What help-centre exports put in Markdown: HTML tables (rewritten as
// Markdown tables, not glued into one word per row), reference links and
// their targets, Docusaurus notes, entities and <br>, and code blocks
// kept as written, line by line, between fences.
func TestLoadExportedMarkup(t *testing.T) {
	doc := "# A\n\nLog in to [your account][acct].<br>Then press Go &amp; wait.\n\n[acct]: https://example.com/account\n\n" +
		":::note Good to know\nSale items can only be exchanged.\n:::\n\n" +
		"<table>\n<caption>Return addresses</caption>\n<tr><th>Country</th><th>Address</th></tr>\n" +
		"<tr><td>UK</td><td><b>Unit 4</b>, Leeds</td></tr>\n<tr><td>Ireland<td>Dock Road | Dublin\n</table>\n\n" +
		"```html\n<table><tr><td>kept as code</td></tr></table>\n```\n"
	cs, err := LoadFS(context.Background(), fstest.MapFS{"a.md": file(doc)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Log in to your account. Then press Go & wait.\n\nGood to know: Sale items can only be exchanged.\n\n" +
		"Return addresses\n| Country | Address |\n| UK | Unit 4, Leeds |\n| Ireland | Dock Road \\| Dublin |\n\n" +
		"```\n<table><tr><td>kept as code</td></tr></table>\n```" // a code block is kept as written
	if len(cs) != 1 || cs[0].Text != want {
		t.Fatalf("LoadFS text = %q,\nwant one chunk %q", texts(cs), want)
	}
}

// Headings written in HTML, or with Pandoc/MkDocs attributes, are
// headings: they open sections, and an id attribute is the anchor.
func TestLoadHeadingForms(t *testing.T) {
	doc := "# Returns\n\n## Damaged items {#damaged .faq}\n\nText one.\n\n<h3 class=\"q\">What if it <em>broke</em>?</h3>\n\nText two.\n\n## Using {placeholders}\n\nText three.\n"
	cs, err := LoadFS(context.Background(), fstest.MapFS{"r.md": file(doc)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Source+" "+strings.Join(c.Section, " > ")+": "+c.Text)
	}
	want := []string{
		"r.md#damaged Damaged items: Text one.",
		"r.md#what-if-it-broke Damaged items > What if it broke?: Text two.",
		"r.md#using-placeholders Using {placeholders}: Text three.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("chunks:\n%q\nwant\n%q", got, want)
	}
}

// An HTML article, as help-centre platforms export it, is read like the
// same article in Markdown: the <main> part only, headings as sections
// (their id the anchor), lists and tables line by line, and the page's
// scripts, navigation and footer left out.
func TestLoadHTMLArticle(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>Returns - Acme Help</title><script>var x = "<p>hidden</p>";</script></head>
<body><header><nav><a href="/">Home</a></nav></header>
<main><h1>Returns &amp; refunds</h1>
<p>You have <strong>30 days</strong> to return an item.<br>Items must be unused.</p>
<h2 id="how">How to return an item</h2>
<ol><li>Log in to <a href="/a">your account</a>.</li><li>Choose <b>Return an item</b>:<ul><li>pick the item</li><li>pick a reason</li></ul></li><li>Print the label.</li></ol>
<h2>Refund times</h2>
<table><thead><tr><th>Method</th><th>Time</th></tr></thead><tbody><tr><td>Card</td><td>3–5 days</td></tr><tr><td>Gift card | voucher</td><td>instantly</td></tr></tbody></table>
</main><footer>© Acme · Privacy</footer></body></html>`
	cs, err := LoadFS(context.Background(), fstest.MapFS{"returns.html": file(page), "skip.css": file("p{}")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Title+" | "+c.Source+" | "+c.Text)
	}
	want := []string{
		"Returns & refunds | returns.html | You have 30 days to return an item.\nItems must be unused.", // a <br> ends a line
		"Returns & refunds | returns.html#how | 1. Log in to your account.\n2. Choose Return an item:\n- pick the item\n- pick a reason\n3. Print the label.",
		"Returns & refunds | returns.html#refund-times | | Method | Time |\n| Card | 3–5 days |\n| Gift card \\| voucher | instantly |",
	}
	if !slices.Equal(got, want) {
		t.Errorf("chunks:\n%q\nwant\n%q", got, want)
	}
}

// Broken markup leaves a heading open over the blocks after it: they are
// the section's body, not its title.
func TestLoadHTMLUnclosedHeading(t *testing.T) {
	page := `<html><body><h1>Router lights
<p>Each light shows the Hub's state.</p>
<h2 id="blue">Blue <b>light</b></p>
<p>A blue light means pairing mode for 2 minutes.</p>
<h2>Purple light</h2><p>Purple means updating firmware.</p></body></html>`
	var got []string
	for _, c := range parseArticle("x.html", "", htmlArticle(page), 200) {
		got = append(got, c.Title+" | "+c.Source+" | "+c.Text)
	}
	want := []string{
		"Router lights | x.html | Each light shows the Hub's state.",
		"Router lights | x.html#blue | A blue light means pairing mode for 2 minutes.",
		"Router lights | x.html#purple-light | Purple means updating firmware.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("chunks:\n%q\nwant\n%q", got, want)
	}
}

// A saved page carries furniture around its article: a cookie notice, a
// breadcrumb trail, a sidebar, an <aside> of related links. A section
// about cookies is article, and so are a collapsed FAQ answer, hidden
// until opened, and an <aside> within the section.
func TestLoadHTMLFurniture(t *testing.T) {
	page := `<html><body><div id="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<div class="cookieConsent">Accept all cookies?</div>
<ol class="breadcrumbs"><li>Help</li><li>Privacy</li></ol>
<h1>Privacy</h1>
<aside role="complementary"><p>Related: delivery times</p></aside>
<section id="cookies"><h2>Cookies</h2><p>We keep analytics cookies for 13 months.</p>
<div class="answer" hidden><p>You can turn them off under Settings.</p></div>
<aside><p>Tip: clearing your browser removes them too.</p></aside></section>
<aside class="related"><h2>Related articles</h2><ul><li><a href="/c">Contact us</a></li></ul></aside>
</body></html>`
	var got []string
	for _, c := range parseArticle("p.html", "", htmlArticle(page), 200) {
		got = append(got, c.Source+" | "+c.Text)
	}
	want := []string{"p.html#cookies | We keep analytics cookies for 13 months.\n\nYou can turn them off under Settings.\n\nTip: clearing your browser removes them too."}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %q, want %q", got, want)
	}
}

// Help-desk themes frame the article with more furniture: the "Was this
// article helpful?" vote with its hidden thanks and counts, the "Last
// updated" line, and, on old knowledge-base pages with no names to go
// by, rows of links and a copyright notice. A sentence with links, and a
// long section named like furniture, are article.
func TestLoadHTMLFurnitureRows(t *testing.T) {
	page := `<html><body><main><article><h1>Price match</h1>
<p class="article-meta"><span>Last updated 2 May</span> · <span>4 min read</span></p>
<p><a href="/">Home</a> &raquo; <a href="/offers">Offers</a> &raquo; Price match</p>
<p>We match any UK shop. See <a href="/r">returns</a> or <a href="/c">contact us</a>.</p>
<div class="ratings-table">` + strings.Repeat("<p>Star ratings come from verified buyers only.</p>", 12) + `</div>
<p><b>Was this article helpful?</b> <a href="?y">Yes</a> / <a href="?n">No</a><br>
<b>Related:</b> <a href="/s">Student discount</a> &middot; <a href="/r">Returns</a></p>
</article>
<section class="article-votes"><p>Was this article helpful?</p><button>Yes</button>
<p hidden>Thanks for letting us know!</p><p class="vote-count">41 out of 57 found this helpful</p></section>
<div id="articleFeedbackForm">Tell us more</div>
</main>
<center>Copyright &copy; 2009-2026 Acme Ltd. All rights reserved.</center></body></html>`
	var got []string
	for _, c := range mustParseMarkdown(t, "p.html", htmlArticle(page), 2000) {
		got = append(got, c.Text)
	}
	want := []string{"We match any UK shop. See returns or contact us.\n\n" +
		strings.TrimSpace(strings.Repeat("Star ratings come from verified buyers only.\n\n", 12))}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %q,\nwant %q", got, want)
	}
}

func TestLinkRow(t *testing.T) {
	link := func(s string) string { return linkStart + s + linkEnd }
	tests := []struct {
		name, line string
		want       bool
	}{
		{"header bar", link("Home") + " | " + link("Glossary") + " | " + link("Log In"), true},
		{"vote", "Was this article helpful? " + link("Yes") + " / " + link("No"), true},
		{"related", "Related: " + link("Returns") + " · " + link("Refunds"), true},
		{"breadcrumb", link("Home") + " » " + link("Offers") + " » Price match", true},
		{"one link", "Call us: " + link("0330 123 4567"), false},
		{"sentence", "Email " + link("help@acme.test") + " or call " + link("0330 123 4567") + ".", false},
		{"long lead", "You can pay with any of these cards: " + link("Visa") + ", " + link("Amex"), false},
		{"text after", link("Visa") + ", " + link("Amex") + " and cash", false},
	}
	for _, tt := range tests {
		if got := linkRow(tt.line); got != tt.want {
			t.Errorf("%s: linkRow(%q) = %v, want %v", tt.name, tt.line, got, tt.want)
		}
	}
}

// A <br> ends a line, in a paragraph or an <address>, and two end the
// paragraph; in a list item it goes on as the item. In Markdown a line
// ending in a backslash (CommonMark's hard line break) ends one too.
func TestLoadHTMLLineBreaks(t *testing.T) {
	page := `<html><body><h1>Contact</h1><h2>Phone</h2>
<p>Opening hours<br>
Monday to Friday: 8am &ndash; 8pm<br>Saturday: 9am &ndash; 6pm</p>
<address>Acme Ltd<br>Unit 4<br>MK10 0BA</address>
<p>Line one<br><br>Paragraph two</p>
<ul><li><b>Standard</b><br>3&ndash;5 days</li></ul></body></html>`
	fs := fstest.MapFS{"c.html": file(page), "m.md": file("# M\n\nOpening hours\\\nSaturday: 9am\nand more\n")}
	cs, err := LoadFS(context.Background(), fs, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Opening hours\nMonday to Friday: 8am – 8pm\nSaturday: 9am – 6pm\n\nAcme Ltd\nUnit 4\nMK10 0BA\n\nLine one\n\nParagraph two\n\n- Standard 3–5 days",
		"Opening hours\nSaturday: 9am and more",
	}
	if got := texts(cs); !slices.Equal(got, want) {
		t.Errorf("chunks %q,\nwant %q", got, want)
	}
}

// Old knowledge-base templates lay the page out in tables: a header bar
// of links, a navigation column and the article in cells, the article's
// data table inside. The article is read as its blocks, its headings as
// sections, and a bold lead ended by a <br> as a sub-heading while its
// block lasts; the data tables stay tables, their cells apart.
func TestLoadHTMLLayoutTables(t *testing.T) {
	page := `<html><head><title>Support :: Price match</title></head><body>
<table width="100%" id="kbHeader"><tr><td><a href="/"><img src="l.gif" alt="Acme"></a></td>
<td><a href="/">Knowledgebase Home</a> | <a href="/g">Glossary</a></td></tr></table>
<table width="100%"><tr><td class="left"><b>Categories</b><br><a href="/1">Ordering</a><br><a href="/2">Delivery</a></td>
<td><font size="2"><h2>Price match</h2>
<b>Found it cheaper?</b><br>We match it.<br><br>
<table border="1"><tr><th>Example</th><th>Matched?</th></tr><tr><td>Argos</td><td>Yes</td></tr></table>
</font></td></tr></table>
<table><tr><th>Plan</th><th>Includes</th></tr><tr><td>Care</td><td><table><tr><td>Repairs</td><td>Loan phone</td></tr></table></td></tr></table>
</body></html>`
	var got []string
	for _, c := range mustParseMarkdown(t, "p.html", htmlArticle(page), 2000) {
		got = append(got, c.Source+" "+strings.Join(c.Section, " > ")+": "+c.Text)
	}
	want := []string{
		"p.html#found-it-cheaper Price match > Found it cheaper?: We match it.\n\n| Example | Matched? |\n| Argos | Yes |",
		"p.html#price-match-1 Price match: | Plan | Includes |\n| Care | Repairs Loan phone |",
	}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %q,\nwant %q", got, want)
	}
}

// Tab panels are read after their tab's label, whether the panel names
// its tab (aria-labelledby) or the tab its panel (aria-controls).
func TestLoadHTMLTabPanels(t *testing.T) {
	page := `<html><body><h1>Delivery</h1><h2 id="by-country">By country</h2>
<div role="tablist"><button role="tab" id="t-uk" aria-controls="p-uk">UK</button><a role="tab" aria-controls="p-ie">Ireland</a></div>
<div role="tabpanel" id="p-uk" aria-labelledby="t-uk"><p>UK delivery costs £4.</p></div>
<div role="tabpanel" id="p-ie" hidden><p>Delivery costs €12.</p></div>
<p>Prices include VAT.</p></body></html>`
	var got []string
	for _, c := range mustParseMarkdown(t, "d.html", htmlArticle(page), 2000) {
		got = append(got, c.Source+" "+strings.Join(c.Section, " > ")+": "+c.Text)
	}
	want := []string{"d.html#by-country By country: UK\n\nUK delivery costs £4.\n\nIreland\n\nDelivery costs €12.\n\nPrices include VAT."}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %q,\nwant %q", got, want)
	}
}

// Articles saved by Windows tools, in UTF-16 with a byte-order mark or in
// Windows-1252, are read with their accents, not as broken UTF-8.
func TestLoadWindowsEncodings(t *testing.T) {
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range "# Café\n\nThe café opens at 8.\n" {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	cp1252 := []byte("# Caf\xe9\n\nThe caf\xe9 costs \x8010 \x96 cash only.\n")
	fs := fstest.MapFS{"a.md": &fstest.MapFile{Data: utf16le}, "b.md": &fstest.MapFile{Data: cp1252}}
	cs, err := LoadFS(context.Background(), fs, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Title+": "+c.Text)
	}
	want := []string{"Café: The café opens at 8.", "Café: The café costs €10 – cash only."}
	if !slices.Equal(got, want) {
		t.Errorf("chunks %q, want %q", got, want)
	}
}

// A help-centre API export (Zendesk's {"articles": [{"title", "body"}]})
// is an FAQ file whose answers are HTML articles: they are read as
// articles.
func TestLoadExportedFAQWithHTML(t *testing.T) {
	export := `{"articles": [{"id": 1, "title": "Gift cards", "html_url": "https://help.example.com/1",
		"body": "<p>A gift card is valid for <b>24 months</b>.</p><h2>Where to use it</h2><ul><li>Online</li><li>In our shops</li></ul>"}],
		"count": 1, "next_page": null}`
	cs, err := LoadFS(context.Background(), fstest.MapFS{"export.json": file(export)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The body's headings open sections of the article, as in an article
	// file; every chunk cites the article's entry.
	var got []string
	for _, c := range cs {
		got = append(got, c.Title+" | "+strings.Join(c.Section, " > ")+" | "+c.Source+" | "+c.Text)
	}
	want := []string{
		"Gift cards |  | export.json#gift-cards | A gift card is valid for 24 months.",
		"Gift cards | Where to use it | export.json#gift-cards | - Online\n- In our shops",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("chunks:\n%q\nwant\n%q", got, want)
	}
}

func texts(cs []Chunk) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text
	}
	return out
}

func TestLoadChunkBounds(t *testing.T) {
	para := strings.Repeat("The parcel arrives in two days. ", 20) // 640 runes
	long := strings.Repeat("x", 500)                               // one word longer than the limit
	doc := "# Big\n\n" + para + "\n\n" + para + "\n\n" + strings.Repeat("word ", 300) + "\n\n" + long + "\n\n## Small\n\nShort.\n"
	for _, max := range []int{100, 250, 700, 5000} {
		cs, err := LoadFS(context.Background(), fstest.MapFS{"big.md": file(doc)}, LoadOptions{MaxChunkRunes: max})
		if err != nil {
			t.Fatal(err)
		}
		var total int
		for _, c := range cs {
			n := utf8.RuneCountInString(c.Text)
			if n > max || n == 0 {
				t.Errorf("max %d: chunk of %d runes: %.40q", max, n, c.Text)
			}
			total += len(strings.Fields(c.Text))
		}
		// Every word survives splitting (the long word may be cut in pieces).
		if want := len(strings.Fields(doc)) - 4; total < want { // minus "#", "Big", "##", "Small"
			t.Errorf("max %d: %d words in chunks, want at least %d", max, total, want)
		}
		if last := cs[len(cs)-1]; last.Text != "Short." || last.Source != "big.md#small" {
			t.Errorf("max %d: last chunk = %q at %s, want the Small section", max, last.Text, last.Source)
		}
		if max >= 700 && !strings.HasPrefix(cs[0].Text, para[:len(para)-1]) {
			t.Errorf("max %d: first chunk does not start with the whole first paragraph", max)
		}
	}
}

// A table or list longer than a chunk is cut between its rows and items,
// not inside them, and every piece of a table starts with its header
// row: a reply quoting a row must still say what its columns are.
func TestLoadChunkLongTableAndList(t *testing.T) {
	var table, list strings.Builder
	table.WriteString("| Plan | Price | What you get |\n|---|---|---|\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&table, "| Plan %d | £%d.00 a month | %d users and %d GB of storage |\n", i, 3*i, i, 10*i)
		fmt.Fprintf(&list, "- Step %d: open the page and press the button number %d.\n", i, i)
	}
	doc := "# Prices\n\n## All plans\n\nEvery plan is billed monthly:\n" + table.String() + "\n## Steps\n\n" + list.String()
	cs, err := LoadFS(context.Background(), fstest.MapFS{"prices.md": file(doc)}, LoadOptions{MaxChunkRunes: 400})
	if err != nil {
		t.Fatal(err)
	}
	rows, items := map[string]int{}, map[string]int{}
	for _, c := range cs {
		if n := utf8.RuneCountInString(c.Text); n > 400 {
			t.Errorf("chunk of %d runes", n)
		}
		for i, l := range strings.Split(c.Text, "\n") {
			switch {
			case strings.HasPrefix(l, "| Plan |"):
			case strings.HasPrefix(l, "| Plan "):
				rows[l]++
				if !strings.Contains(c.Text, "| Plan | Price | What you get |\n") {
					t.Errorf("a piece of the table lacks its header: %.60q", c.Text)
				}
			case strings.HasPrefix(l, "- Step "):
				items[l]++
			case strings.HasPrefix(l, "|"), i > 0 && !strings.HasSuffix(l, ":"):
				t.Errorf("line %q of chunk %.40q is neither a whole row nor a whole item", l, c.Text)
			}
		}
	}
	if len(rows) != 40 || len(items) != 40 {
		t.Fatalf("%d whole rows and %d whole items in the chunks, want 40 and 40", len(rows), len(items))
	}
	for l, n := range rows {
		if n != 1 {
			t.Errorf("row %q in %d chunks", l, n)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		fs      fstest.MapFS
		opts    LoadOptions
		wantErr error
		path    string
	}{
		{"file over limit", fstest.MapFS{"ok.md": file("# ok"), "big.md": file(strings.Repeat("a", 101))}, LoadOptions{MaxFileBytes: 100}, ErrFileTooLarge, "big.md"},
		{"FAQ one entry without an answer", fstest.MapFS{"faq.yaml": file("question: a\nanswer: ''\n")}, LoadOptions{}, ErrInvalidFAQ, "faq.yaml"},
		{"FAQ two lists", fstest.MapFS{"faq.yaml": file("x: [{q: a, a: b}]\ny: [{q: c, a: d}]\n")}, LoadOptions{}, ErrInvalidFAQ, "faq.yaml"},
		{"FAQ bad json", fstest.MapFS{"f/faq.json": file(`[{"question": "a",`)}, LoadOptions{}, ErrInvalidFAQ, "f/faq.json"},
		{"FAQ bad yaml", fstest.MapFS{"faq.yml": file("- question: [unclosed\n")}, LoadOptions{}, ErrInvalidFAQ, "faq.yml"},
		{"FAQ no entry with an answer", fstest.MapFS{"faq.json": file(`[{"question": "a", "answer": ""}, {"question": "c"}]`)}, LoadOptions{}, ErrInvalidFAQ, "faq.json"},
		{"FAQ entry not object", fstest.MapFS{"faq.json": file(`[{"q": "a", "a": "b"}, "c"]`)}, LoadOptions{}, ErrInvalidFAQ, "faq.json"},
		{"FAQ too many entries", fstest.MapFS{"faq.json": file(`[{"q":"a","a":"b"},{"q":"c","a":"d"}]`)}, LoadOptions{MaxFAQEntries: 1}, ErrInvalidFAQ, "faq.json"},
		{"binary renamed .md", fstest.MapFS{"ok.md": file("# ok"), "logo.md": file("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")}, LoadOptions{}, ErrNotText, "logo.md"},
		{"control bytes", fstest.MapFS{"x.html": file(strings.Repeat("ab\x01\x02c", 50))}, LoadOptions{}, ErrNotText, "x.html"},
		{"too many files", fstest.MapFS{"a.md": file("a"), "b.md": file("b")}, LoadOptions{MaxFiles: 1}, ErrTooManyFiles, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFS(context.Background(), tt.fs, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadFS error = %v, want %v", err, tt.wantErr)
			}
			if tt.path == "" {
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != tt.path || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("LoadFS error = %v, want a *FileError naming %s", err, tt.path)
			}
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := Load(context.Background(), "testdata/no-such-dir", LoadOptions{}); err == nil {
		t.Fatal("Load(missing dir) succeeded, want an error")
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadFS(ctx, fstest.MapFS{"a.md": file("# a")}, LoadOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadFS(cancelled) = %v, want context.Canceled", err)
	}
}

func FuzzParseMarkdown(f *testing.F) {
	f.Add("# T\n\n## A\n\ntext\n\nB\n---\n\n```\n# x\n```\n")
	f.Add("---\ntitle: x\n---\n# y")
	f.Add("import Tabs from '@theme/Tabs';\n\n# T\n\n<!-- note -->\n<Tabs>\n<TabItem value=\"a\" label=\"A\">\n\nx\n\n</TabItem>\n</Tabs>\n\n=== \"B\"\n\n    y\n\n!!! note \"N\"\n    z\n")
	f.Fuzz(func(t *testing.T, doc string) {
		cs, err := parseMarkdown("f.md", doc, 50)
		if err != nil && !errors.Is(err, ErrBrokenMarkup) {
			t.Fatalf("parseMarkdown error %v, want nil or ErrBrokenMarkup", err)
		}
		for _, c := range cs {
			if n := utf8.RuneCountInString(c.Text); n == 0 || n > 50 {
				t.Fatalf("chunk of %d runes", n)
			}
			if !strings.HasPrefix(c.Source, "f.md") || c.Title == "" {
				t.Fatalf("bad chunk %+v", c)
			}
		}
	})
}

func FuzzHTMLArticle(f *testing.F) {
	f.Add("<html><body><h1>T</h1><p>a<br>b</p><ol><li>x<ul><li>y</li></ul></li></ol><table><tr><td>a|b</td></tr></table></body></html>")
	f.Add("<main><h2 id=\"x\">A</h2><pre>code\n</pre></main>")
	f.Fuzz(func(t *testing.T, page string) {
		for _, c := range parseArticle("f.html", "", htmlArticle(page), 50) {
			if n := utf8.RuneCountInString(c.Text); n == 0 || n > 50 {
				t.Fatalf("chunk of %d runes", n)
			}
		}
	})
}

func FuzzParseFAQ(f *testing.F) {
	f.Add([]byte(`[{"question":"a","answer":"b"}]`), true)
	f.Add([]byte("- question: a\n  answer: b\n"), false)
	f.Add([]byte(`[{"name":"c","folders":[{"articles":[{"title":"t","description":"<p>d</p>","status":2},{"title":null,"body":"x"}]}]}]`), true)
	f.Add([]byte(`{"articles":{"items":[{"name":"n","text":"<p>t</p>","publicUrl":"https://x/a"}]}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "f.yaml"
		if isJSON {
			name = "f.json"
		}
		entries, err := parseFAQ(name, data, 100, nil)
		if err != nil {
			// errNotFAQ: a file with no entry in it ("0") is left out.
			if !errors.Is(err, ErrInvalidFAQ) && !errors.Is(err, errNotFAQ) {
				t.Fatalf("parseFAQ error %v is neither ErrInvalidFAQ nor errNotFAQ", err)
			}
			return
		}
		for _, e := range entries {
			if e.Question == "" || e.Answer == "" {
				t.Fatalf("parseFAQ returned empty entry %+v", e)
			}
		}
	})
}

// A file that loads but looks wrong is reported to LoadOptions.Warn: an
// article of headings only (or front matter only), an empty one, an FAQ
// that asks a question twice.
func TestLoadWarnings(t *testing.T) {
	fs := fstest.MapFS{
		"empty.md": file("# Gift vouchers\n\n## Buying one\n"),
		"faq.yaml": file("- q: Do you sell toothbrushes?\n  a: Yes.\n- q: do you sell toothbrushes?\n  a: No, we stopped.\n- q: Do you open on Sundays?\n  a: No.\n"),
		"ok.md":    file("# Fine\n\nText.\n"),
		"blank.md": file("\n\n"),
		"new.mdx":  file(""),
		"front.md": file("---\ntitle: Vouchers\n---\n"),
	}
	var got []string
	if _, err := LoadFS(context.Background(), fs, LoadOptions{Warn: func(path, problem string) { got = append(got, path+": "+problem) }}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"blank.md: no text to index (the file is empty)",
		"empty.md: no text to index (headings or front matter only?)",
		`faq.yaml: the question "do you sell toothbrushes?" is asked twice; both answers are quoted`,
		"front.md: no text to index (headings or front matter only?)",
		"new.mdx: no text to index (the file is empty)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// TestLoadLeavesOutConfigFiles: a JSON or YAML file with no question or
// answer in it (a site's configuration beside its articles) is left out
// with a warning rather than failing the load.
func TestLoadLeavesOutConfigFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"refunds.md":   {Data: []byte("# Refunds\n\nRefunds take 5 days.\n")},
		"mkdocs.yml":   {Data: []byte("site_name: Help\nnav:\n  - Home: index.md\n  - Refunds: refunds.md\ntheme:\n  name: material\n")},
		"_config.yml":  {Data: []byte("title: Help centre\ndescription: Answers\nexclude: [vendor]\n")},
		"package.json": {Data: []byte(`{"name": "docs", "scripts": {"build": "x"}, "files": ["a", "b"]}`)},
	}
	var warned []string
	chunks, err := LoadFS(context.Background(), fsys, LoadOptions{Warn: func(path, problem string) { warned = append(warned, path) }})
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	if len(chunks) != 1 || chunks[0].DocID != "refunds.md" {
		t.Errorf("chunks %v; want only refunds.md's", chunks)
	}
	slices.Sort(warned)
	if want := []string{"_config.yml", "mkdocs.yml", "package.json"}; !slices.Equal(warned, want) {
		t.Errorf("warned of %v; want %v", warned, want)
	}
}

// TestLoadTwoRowTableHeader: group labels with gaps above the delimiter
// and bold column labels below it are one header row; a table whose
// first row is data is left alone.
func TestLoadTwoRowTableHeader(t *testing.T) {
	doc := "# Overdrafts\n\n| | Interest rate | |\n|---|---|---|\n| **Band** | **EAR** | **Daily cost** |\n| A | 19.90% | 5p |\n\n" +
		"| Plan | Price |\n|---|---|\n| **Plus** | €9.99 |\n"
	cs, err := LoadFS(context.Background(), fstest.MapFS{"o.md": file(doc)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "| Band | Interest rate, EAR | Daily cost |\n| A | 19.90% | 5p |\n\n| Plan | Price |\n| Plus | €9.99 |"
	if len(cs) != 1 || cs[0].Text != want {
		t.Fatalf("LoadFS text = %q, want %q", texts(cs), want)
	}
}

// mustParseMarkdown is parseMarkdown for text that must parse.
func mustParseMarkdown(t *testing.T, name, text string, maxRunes int) []Chunk {
	t.Helper()
	cs, err := parseMarkdown(name, text, maxRunes)
	if err != nil {
		t.Fatalf("parseMarkdown(%s): %v", name, err)
	}
	return cs
}

// TestLoadHTMLTableSpans: a cell spanning columns or rows fills each
// place it covers; read as written, "API access: No (Starter and
// Standard), Yes" became "Starter No, Standard Yes".
func TestLoadHTMLTableSpans(t *testing.T) {
	page := `<html><body><h1>Plans</h1><table>
<tr><th>Feature</th><th>Starter</th><th>Standard</th><th>Premium</th></tr>
<tr><th>API access</th><td colspan="2">No</td><td>Yes</td></tr>
<tr><th rowspan="2">Bank feeds</th><td>1</td><td>5</td><td rowspan="2">Unlimited</td></tr>
<tr><td>daily</td><td>daily</td></tr>
</table></body></html>`
	var text string
	for _, c := range mustParseMarkdown(t, "plans.html", htmlArticle(page), 2000) {
		text += c.Text + "\n"
	}
	for _, want := range []string{"| API access | No | No | Yes |", "| Bank feeds | 1 | 5 | Unlimited |", "| Bank feeds | daily | daily | Unlimited |"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks row %q:\n%s", want, text)
		}
	}
}

// TestLoadMarkdownEscapes: Markdown that an editor exported (Google
// Docs, Notion, pandoc) escapes punctuation with backslashes; the text is
// the characters ("\*Returns\*" had become "\Returns\", "£3\.95" kept
// its backslash and matched no "3.95"), while a code span keeps its
// backslashes and an escaped pipe stays a pipe inside its table cell.
func TestLoadMarkdownEscapes(t *testing.T) {
	doc := "# Returns\n\nYou can return items within 30 days \\(except earrings\\)\\. Use the \\*Returns\\* page\\.\n\n" +
		"Return shipping costs £3\\.95 \\- paid by you\\. Run `dir C:\\.\\temp` to see the files\\.\n\n" +
		"| Item | Note |\n|---|---|\n| Cable | USB\\-C \\| Lightning |\n"
	cs, err := LoadFS(context.Background(), fstest.MapFS{"r.md": file(doc)}, LoadOptions{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%+v, %v", cs, err)
	}
	for _, want := range []string{
		"You can return items within 30 days (except earrings). Use the *Returns* page.",
		"Return shipping costs £3.95 - paid by you. Run dir C:\\.\\temp to see the files.",
		"| Cable | USB-C \\| Lightning |",
	} {
		if !strings.Contains(cs[0].Text, want) {
			t.Errorf("text %q lacks %q", cs[0].Text, want)
		}
	}
}

// TestLoadQAMarks: an FAQ written as "Q: …" and "A: …" lines is read
// without its marks (a reply quoted "A: Yes, for up to 3 months."); an
// article with only one kind of mark keeps it.
func TestLoadQAMarks(t *testing.T) {
	fsys := fstest.MapFS{
		"faq.txt":  file("Frequently asked questions\n\nQ: Can I pause my plan?\nA: Yes, for up to 3 months.\n\nQ. Do you ship abroad?\nA. Only within the EU.\n"),
		"faq.md":   file("# FAQ\n\n**Q:** Can I pay by card?\n**A:** Yes, by Visa or Mastercard.\n\n**Question:** Is there an app?\n\n**Answer:** Yes, for iOS and Android.\n"),
		"zones.md": file("# Zones\n\nA: Zone 1, central London.\n"),
	}
	cs, err := LoadFS(context.Background(), fsys, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := map[string]string{}
	for _, c := range cs {
		text[c.DocID] += c.Text + "\n"
	}
	for doc, want := range map[string][]string{
		"faq.txt":  {"Can I pause my plan? Yes, for up to 3 months.", "Do you ship abroad? Only within the EU."},
		"faq.md":   {"Can I pay by card? Yes, by Visa or Mastercard.", "Is there an app?", "Yes, for iOS and Android."},
		"zones.md": {"A: Zone 1, central London."},
	} {
		for _, w := range want {
			if !strings.Contains(text[doc], w) {
				t.Errorf("%s: %q lacks %q", doc, text[doc], w)
			}
		}
	}
}

// TestLoadHTMLAccordion: an FAQ page's accordion titles its panels with
// buttons; their words are the questions, where other buttons' ("Show
// more", "Print") are no article text. Left out, "Yes, for up to 3
// months." answered nothing.
func TestLoadHTMLAccordion(t *testing.T) {
	page := `<html><head><title>FAQ</title></head><body><h1>FAQ</h1><div class="accordion">` +
		`<button class="accordion-toggle" aria-expanded="false" aria-controls="p1">Can I pause my plan?</button><div id="p1" hidden><p>Yes, for up to 3 months.</p></div>` +
		`<button class="faq-question">Do you ship abroad?</button><div><p>Only within the EU.</p></div>` +
		`<button aria-expanded="false">Show more</button><button class="print">Print</button></div></body></html>`
	cs, err := LoadFS(context.Background(), fstest.MapFS{"faq.html": file(page)}, LoadOptions{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%+v, %v", cs, err)
	}
	if want := "Can I pause my plan?\n\nYes, for up to 3 months.\n\nDo you ship abroad?\n\nOnly within the EU."; cs[0].Text != want {
		t.Errorf("text %q, want %q", cs[0].Text, want)
	}
}

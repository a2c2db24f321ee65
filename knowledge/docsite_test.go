package knowledge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestLoadSiteSyntax: what Docusaurus and MkDocs render as something
// else, or as nothing, is read as a reader sees it: comments gone, MDX's
// code and components gone with their content kept, a tab's content a
// section headed by its label, a note's title leading into it.
func TestLoadSiteSyntax(t *testing.T) {
	tests := []struct {
		name string
		file string
		doc  string
		want []string // "section | source | text" per chunk
	}{
		{
			name: "HTML comments (unseen12 edit-my-timesheet.md)",
			file: "a.md",
			doc: "<!-- Owner: docs team. -->\n\n# A\n\nStaff cannot edit clock-ins. <!-- inline --> Ask a manager.\n\n" +
				"<!-- Legal asked us not to promise\nwhen managers respond. -->\n\nCorrections for 14 days.<!--\nmany\nlines --> Then ask.\n\n" +
				"Write `<!-- more -->` to cut the excerpt.\n\n```html\n<!-- kept as code -->\n```\n",
			want: []string{" | a.md | Staff cannot edit clock-ins.  Ask a manager.\n\nCorrections for 14 days. Then ask.\n\n" +
				"Write <!-- more --> to cut the excerpt.\n\n```\n<!-- kept as code -->\n```"},
		},
		{
			name: "MDX: imports, exports, components, comments (unseen12 clock-in.mdx)",
			file: "clock-in.mdx",
			doc: "---\ntitle: Clock in and out\n---\n\nimport Tabs from '@theme/Tabs';\nimport {\n  Badge,\n} from '@site/src/components';\nexport const toc = [\n  {value: 'x'},\n];\n\n" +
				"# Clock in and out\n\n<PlanBadge plans={[\"Free\", \"Team\"]} />\n\nClocking in records when you start. {/* a writer's note */}\n\n" +
				"<Tabs groupId=\"platform\">\n<TabItem value=\"web\" label=\"Web\" default>\n\nClick **Clock in**.\n\n</TabItem>\n" +
				"<TabItem\n  value=\"ios\"\n  label=\"iOS\">\n\nTap Clock in on the Today tab.\n\n</TabItem>\n</Tabs>\n\nUp to 15 minutes early.\n\n" +
				"## Breaks\n\n<Tabs values={[{label: 'Android', value: 'android'}]}>\n<TabItem value=\"android\">Tap Break.</TabItem>\n</Tabs>\n\nBreaks are unpaid.\n",
			want: []string{
				" | clock-in.mdx | Clocking in records when you start.",
				"Web | clock-in.mdx | Click Clock in.",
				"iOS | clock-in.mdx | Tap Clock in on the Today tab.",
				" | clock-in.mdx | Up to 15 minutes early.",
				"Breaks > Android | clock-in.mdx#breaks | Tap Break.",
				"Breaks | clock-in.mdx#breaks | Breaks are unpaid.",
			},
		},
		{
			name: "prose that begins with import, and JSX-like text in code",
			file: "b.md",
			doc:  "# B\n\nimport your staff from a spreadsheet.\n\n```jsx\nimport Tabs from '@theme/Tabs';\n<Tabs>\n```\n",
			want: []string{" | b.md | import your staff from a spreadsheet.\n\n```\nimport Tabs from '@theme/Tabs';\n<Tabs>\n```"},
		},
		{
			name: "MkDocs notes and Docusaurus notes alike (unseen12 two-factor.md)",
			file: "n.md",
			doc: "# N\n\nTen backup codes.\n!!! warning \"Lost your phone?\"\n    Use a backup code.\n    Or ask the owner.\n\n" +
				"??? tip\n    Keep them safe.\n\n    ```\n    codes.txt\n    ```\nAfter the note.\n\n" +
				":::tip Good to know\nCodes work once.\n:::\nAfter the other note.\n\n!!! note \"\"\n    Untitled.\n\n!!! Read this first\n",
			want: []string{" | n.md | Ten backup codes.\n\nLost your phone? Use a backup code. Or ask the owner.\n\n" +
				"Keep them safe.\n\n```\ncodes.txt\n```\n\nAfter the note.\n\nGood to know: Codes work once.\n\nAfter the other note.\n\nUntitled.\n\n!!! Read this first"},
		},
		{
			name: "MkDocs content tabs (unseen12 overtime.md)",
			file: "o.md",
			doc: "# O\n\nPay rules.\n\n## Limits\n\n=== \"Team\"\n\n    One overtime rule.\n\n=== \"Business\"\n\n    Up to 20 rules.\n\n" +
				"    !!! note\n        Per location.\n\nReporting only.\n\n=== \"A\"\n    In A.\n===! \"B\"\n    In B, a group of its own.\n",
			want: []string{
				" | o.md | Pay rules.",
				"Limits > Team | o.md#limits | One overtime rule.",
				"Limits > Business | o.md#limits | Up to 20 rules.\n\nPer location.",
				"Limits | o.md#limits | Reporting only.",
				"Limits > A | o.md#limits | In A.",
				"Limits > B | o.md#limits | In B, a group of its own.",
			},
		},
		{
			name: "Mintlify components: accordions, steps, tabs by title",
			file: "m.mdx",
			doc: "# M\n\n<AccordionGroup>\n<Accordion title=\"Can I cancel at any time?\">\n  Yes, from Settings > Billing.\n</Accordion>\n" +
				"<Accordion title=\"Do you refund unused months?\">No, plans end at the end of the month.</Accordion>\n</AccordionGroup>\n\n" +
				"<Steps>\n<Step title=\"Open Settings\">\n  It is in the menu.\n</Step>\n</Steps>\n\n## Apps\n\n<Tabs>\n<Tab title=\"iOS\">\nTap Cancel.\n</Tab>\n</Tabs>\n\nDone.\n",
			want: []string{
				" | m.mdx | Can I cancel at any time? Yes, from Settings > Billing.\n\nDo you refund unused months? No, plans end at the end of the month.\n\nOpen Settings: It is in the menu.",
				"Apps > iOS | m.mdx#apps | Tap Cancel.",
				"Apps | m.mdx#apps | Done.",
			},
		},
		{
			name: "HTML's collapsed answers in Markdown: <details><summary>",
			file: "d.md",
			doc:  "# D\n\n<details><summary>Do you ship abroad?</summary>Only within the EU.</details>\n",
			want: []string{" | d.md | Do you ship abroad? Only within the EU."},
		},
		{
			name: "GitBook hints and tabs",
			file: "g.md",
			doc: "# G\n\nRefunds take 5 days.\n\n{% hint style=\"warning\" %}\nGift cards are never refunded.\n{% endhint %}\n\n" +
				"## Apps\n\n{% tabs %}\n{% tab title=\"iOS\" %}\nTap Refund.\n{% endtab %}\n\n{% tab title=\"Android\" %}\nTap the menu, then Refund.\n{% endtab %}\n{% endtabs %}\n\nBoth apps are free.\n",
			want: []string{
				" | g.md | Refunds take 5 days.\n\nGift cards are never refunded.",
				"Apps > iOS | g.md#apps | Tap Refund.",
				"Apps > Android | g.md#apps | Tap the menu, then Refund.",
				"Apps | g.md#apps | Both apps are free.",
			},
		},
		{
			name: "Obsidian callouts, wiki links, highlights and struck-out text",
			file: "ob.md",
			doc: "# Ob\n\nSee [[Payment methods]], [[shipping#Costs|our shipping page]] and [[#Fees]]. ![[logo.png]]\n\n" +
				"> [!tip] Good to know\n> Refunds take ==5 days==.\n\n> [!note]\n> No title.\n\nPlus costs ~~£10~~ £8 a month.\n",
			want: []string{" | ob.md | See Payment methods, our shipping page and Fees.\n\nGood to know: Refunds take 5 days.\n\nNo title.\n\nPlus costs £8 a month."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := LoadFS(context.Background(), fstest.MapFS{tt.file: file(tt.doc)}, LoadOptions{})
			if err != nil {
				t.Fatalf("LoadFS: %v", err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, strings.Join(c.Section, " > ")+" | "+c.Source+" | "+c.Text)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadFS chunks mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadBrokenMarkup: front matter or a comment that is never closed
// fails the load with an error naming the file and the line that opens
// it; read as text, "title: ... sidebar_position: [1" was quoted as an
// answer (unseen12).
func TestLoadBrokenMarkup(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"front matter", "---\ntitle: \"Broken front matter\nsidebar_position: [1\n\n# Broken\n\nText.\n", "broken.md: line 1: "},
		{"comment", "---\ntitle: T\n---\n\n# T\n\nText.\n\n<!-- TODO: finish\n\nMore text.\n", "broken.md: line 9: "},
		{"MDX comment", "# T\n\n{/* TODO\n", "broken.md: line 3: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFS(context.Background(), fstest.MapFS{"ok.md": file("# OK\n\nFine.\n"), "broken.md": file(tt.doc)}, LoadOptions{})
			var fe *FileError
			if !errors.Is(err, ErrBrokenMarkup) || !errors.As(err, &fe) || fe.Path != "broken.md" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadFS error = %v, want ErrBrokenMarkup naming %q", err, tt.want)
			}
		})
	}
	// A first "---" line without "key:" under it is a rule, front matter
	// closed at the file's last line is closed, and a plain-text article
	// has no front matter to break.
	for name, doc := range map[string]string{
		"rule.md": "---\nNote: just text.\n", "closed.md": "---\ntitle: Closed\n---", "plain.txt": "---\ntitle: not closed\n",
	} {
		if _, err := LoadFS(context.Background(), fstest.MapFS{name: file(doc)}, LoadOptions{}); err != nil {
			t.Errorf("LoadFS(%s %q) error = %v, want none", name, doc, err)
		}
	}
}

// TestIndentedCode: a block indented four spaces after a blank line is
// code, its lines kept; a list item's indented text, a MkDocs note's
// body and an MDX file's indented lines are not.
func TestIndentedCode(t *testing.T) {
	doc := "# Shipments\n\nCreate one:\n\n    curl -X POST https://api.example.com/v2 \\\n      -d weight=2\n\n" +
		"The response holds the label.\n\n1. Open the app.\n\n    Then tap Ship.\n\n!!! note \"Weights\"\n\n    Weigh the parcel first.\n"
	for _, tt := range []struct {
		name, file string
		want       []string
	}{
		{"markdown", "ship.md", []string{"```\ncurl -X POST https://api.example.com/v2 \\\n  -d weight=2\n```", "\nThen tap Ship.", "\nWeigh the parcel first."}},
		{"mdx", "ship.mdx", []string{"\ncurl -X POST https://api.example.com/v2\n-d weight=2\n"}},
	} {
		cs, err := LoadFS(context.Background(), fstest.MapFS{tt.file: file(doc)}, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var text string
		for _, c := range cs {
			text += c.Text + "\n"
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: text %q lacks %q", tt.name, text, w)
			}
		}
		if fences := map[string]int{"markdown": 2, "mdx": 0}[tt.name]; strings.Count(text, CodeFence) != fences {
			t.Errorf("%s: text %q has other code than the command (want %d fences)", tt.name, text, fences)
		}
	}
}

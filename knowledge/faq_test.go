package knowledge

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// An exported article is its title, its public URL, and whether its
// chunks hold a given text.
type exported struct{ Title, URL string }

// TestLoadExports: help-centre exports of the four platforms, in the
// shapes their APIs return them, load as articles; drafts are left out;
// an entry without a title or a body is left out with a warning naming
// it. Freshdesk's and Help Scout's exports were "not an FAQ file" and
// left out, and one draft with a null title failed a Zendesk file.
func TestLoadExports(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		want     []exported
		wantText string   // a chunk's text holds it
		wantWarn []string // warnings, each "file: problem"
	}{
		{
			name: "Zendesk articles, name and body, a draft",
			file: `{"articles": [
				{"id": 1, "url": "https://x.zendesk.com/api/v2/help_center/articles/1.json", "html_url": "https://help.example.com/hc/articles/1-Lockers",
				 "name": "Lockers", "body": "<p>Lockers take a £1 coin.</p>", "draft": false},
				{"id": 2, "html_url": "https://help.example.com/hc/articles/2", "name": "Black Friday", "body": "<p>Join for £1.</p>", "draft": true}],
				"next_page": null, "count": 2}`,
			want: []exported{{"Lockers", "https://help.example.com/hc/articles/1-Lockers"}},
		},
		{
			name: "Zendesk single article",
			file: `{"article": {"id": 51, "html_url": "https://help.example.com/hc/articles/51", "title": "Foam rollers", "body": "<p>In the stretch zone.</p>"}}`,
			want: []exported{{"Foam rollers", "https://help.example.com/hc/articles/51"}},
		},
		{
			name: "Intercom single article",
			file: `{"type": "article", "id": "78", "title": "Showers", "body": "<p>Open until closing.</p>", "state": "published", "url": "https://intercom.help/x/en/articles/78-showers"}`,
			want: []exported{{"Showers", "https://intercom.help/x/en/articles/78-showers"}},
		},
		{
			name: "Intercom list, a draft",
			file: `{"type": "list", "data": [
				{"type": "article", "title": "Price rise", "description": "Plans", "body": "<p>All plans go up by £8.</p>", "state": "draft", "url": null},
				{"type": "article", "title": "Showers", "description": "Open late", "body": "<p>Open until closing.</p>", "state": "published", "url": "https://intercom.help/x/en/articles/78-showers"}],
				"pages": {"type": "pages", "page": 1}}`,
			want: []exported{{"Showers", "https://intercom.help/x/en/articles/78-showers"}},
		},
		{
			name: "Help Scout collection, items, a draft",
			file: `{"collection": {"id": "c", "name": "Policies", "description": "Age rules"},
				"articles": {"page": 1, "pages": 1, "items": [
				{"id": "a", "name": "Under-18s", "status": "published", "text": "<p>Members aged 16 can join.</p>", "publicUrl": "https://x.helpscoutdocs.com/article/41-under-18s"},
				{"id": "b", "name": "Free shakes", "status": "notpublished", "text": "<p>Free protein shakes.</p>"}]}}`,
			want: []exported{{"Under-18s", "https://x.helpscoutdocs.com/article/41-under-18s"}},
		},
		{
			name: "Freshdesk categories, folders, articles, a draft",
			file: `[{"id": 1, "name": "Clubs", "description": "Our clubs", "folders": [
				{"id": 2, "name": "Hours", "description": null, "hierarchy": [{"level": 0, "type": "categories", "data": {"id": 1, "name": "Clubs"}}],
				 "articles": [
					{"id": 9, "title": "Crèche", "description": "<p>Opens in 2027.</p>", "description_text": "Opens in 2027.", "status": 1},
					{"id": 10, "title": "Opening hours", "description": "<p>Open 24 hours.</p><h2>Staffed hours</h2><p>9am to 9pm.</p>", "description_text": "Open 24 hours. Staffed hours 9am to 9pm.", "status": 2}]}]}]`,
			want:     []exported{{"Opening hours", ""}, {"Opening hours", ""}},
			wantText: "9am to 9pm.",
		},
		{
			name: "Freshdesk plain text only",
			file: `[{"id": 1, "title": "Rowing", "description_text": "Every club has 4 rowers.", "status": 2}]`,
			want: []exported{{"Rowing", ""}},
		},
		{
			name: "published false",
			file: `{"items": [{"title": "Old", "body": "Gone.", "published": false}, {"title": "New", "body": "Here."}]}`,
			want: []exported{{"New", ""}},
		},
		{
			name:     "byte-order mark",
			file:     "\ufeff" + `{"articles": [{"title": "Benches", "body": "<p>20 minutes at peak times.</p>"}]}`,
			want:     []exported{{"Benches", ""}},
			wantText: "20 minutes",
		},
		{
			name:     "entities not taken for tags",
			file:     `{"articles": [{"title": "Sauna &amp; steam", "body": "<p>Use the &lt;STOP&gt; button. R&amp;amp;D.</p>"}]}`,
			want:     []exported{{"Sauna & steam", ""}},
			wantText: "Use the <STOP> button. R&amp;D.",
		},
		{
			name: "entries without a title or a body",
			file: `{"articles": [
				{"id": 41, "title": null, "body": "<p>Mats are wiped.</p>"},
				{"id": 42, "title": "No body", "body": null},
				{"id": 43, "title": "   ", "body": "<p>Chalk.</p>"},
				{"id": 44, "name": "Name only", "body": "<p>Chalk is allowed.</p>"}]}`,
			want: []exported{{"Name only", ""}},
			wantWarn: []string{
				"a.json: entry 1 (id 41) has no title; left out",
				`a.json: entry 2 ("No body") has no body; left out`,
				"a.json: entry 3 (id 43) has no title; left out",
			},
		},
		{
			name:     "every article a draft",
			file:     `{"articles": [{"title": "Merger", "status": "draft", "body": "<p>Merging in 2027.</p>"}]}`,
			wantWarn: []string{"a.json: no text to index (every article a draft?)"},
		},
		{
			name:     "categories only",
			file:     `{"categories": [{"id": 1, "name": "Membership", "description": "All about it", "html_url": "https://help.example.com/hc/categories/1"}]}`,
			wantWarn: []string{"a.json: no FAQ entry or article in it (nothing has a question, or a title and a body); left out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warns []string
			opts := LoadOptions{Warn: func(path, problem string) { warns = append(warns, path+": "+problem) }}
			chunks, err := LoadFS(context.Background(), fstest.MapFS{"a.json": file(tt.file)}, opts)
			if err != nil {
				t.Fatalf("LoadFS: %v", err)
			}
			var got []exported
			text := false
			for _, c := range chunks {
				got = append(got, exported{c.Title, c.URL})
				text = text || strings.Contains(c.Text, tt.wantText)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadFS chunks (-want +got):\n%s", diff)
			}
			if len(chunks) > 0 && !text {
				t.Errorf("no chunk text holds %q: %+v", tt.wantText, chunks)
			}
			if diff := cmp.Diff(tt.wantWarn, warns); diff != "" {
				t.Errorf("LoadFS warnings (-want +got):\n%s", diff)
			}
		})
	}
}

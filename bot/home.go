package bot

import (
	"html/template"
	"net/http"
	"sort"

	"github.com/switchboard/switchboard/knowledge"
)

// homePage is GET / when the knowledge is not the demo help centre: the
// articles the bot answers from, linked, and the widget. The Parcelpoint
// demo page greeted visitors of every other help centre as "the
// Parcelpoint assistant".
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Help centre</title>
<style>
  body { margin: 0 auto; max-width: 760px; padding: 32px 24px; font-family: system-ui, sans-serif; color: #222; line-height: 1.5; }
  li { margin: 4px 0; }
  footer { color: #777; font-size: 14px; margin-top: 32px; }
</style>
</head>
<body>
<h1>Help centre</h1>
<p>The assistant (bottom right) answers from these {{len .Articles}} articles and cites them.</p>
<ul>
{{range .Articles}}<li><a href="{{.URL}}">{{.Title}}</a></li>
{{end}}</ul>
<footer>Served by Switchboard from knowledge.dir.</footer>
<script src="/widget.js" data-title="Help" async></script>
</body>
</html>
`))

type homeArticle struct{ Title, URL string }

// homeArticles returns the articles of chunks, sorted by title: a file's
// one article, or each entry of an FAQ or export, linked to its own page
// when the export gave one, else to its section of the file's page. One
// link per file listed every article of an export as its first.
func homeArticles(base string, chunks []knowledge.Chunk) []homeArticle {
	titles := map[string]int{} // titles per file
	seen := map[[2]string]bool{}
	for _, c := range chunks {
		if k := [2]string{c.DocID, c.Title}; !seen[k] {
			seen[k] = true
			titles[c.DocID]++
		}
	}
	clear(seen)
	var out []homeArticle
	for _, c := range chunks {
		k := [2]string{c.DocID, c.Title}
		if seen[k] {
			continue
		}
		seen[k] = true
		u := c.URL
		switch {
		case u != "":
		case titles[c.DocID] > 1:
			u = citationURL(base, c.Source)
		default:
			u = citationURL(base, c.DocID)
		}
		out = append(out, homeArticle{Title: c.Title, URL: u})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out
}

// serveHome lists the current index's articles, by title.
func (s *Server) serveHome(base string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := struct {
			Lang     string
			Articles []homeArticle
		}{Lang: "en"}
		if ix := s.pipeline.Current(); ix != nil {
			data.Lang = ix.Language()
			data.Articles = homeArticles(base, ix.Chunks())
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = homePage.Execute(w, data)
	}
}

package bot

import (
	"html/template"
	"net/http"
	"sort"
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

// serveHome lists the current index's articles, by title.
func (s *Server) serveHome(base string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := struct {
			Lang     string
			Articles []homeArticle
		}{Lang: "en"}
		if ix := s.pipeline.Current(); ix != nil {
			data.Lang = ix.Language()
			seen := map[string]bool{}
			for _, c := range ix.Chunks() {
				if !seen[c.DocID] {
					seen[c.DocID] = true
					data.Articles = append(data.Articles, homeArticle{Title: c.Title, URL: citationURL(base, c.DocID)})
				}
			}
			sort.Slice(data.Articles, func(i, j int) bool { return data.Articles[i].Title < data.Articles[j].Title })
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = homePage.Execute(w, data)
	}
}

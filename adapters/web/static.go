package web

import (
	"embed"
	"net/http"
)

//go:embed static/widget.js static/index.html
var static embed.FS

func serveFile(w http.ResponseWriter, name, contentType string) {
	b, err := static.ReadFile(name)
	if err != nil { // cannot happen: the files are embedded
		WriteError(w, http.StatusInternalServerError, CodeInternal, "missing embedded file")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// serveWidget serves GET /widget.js. Any site may load it; what it may
// call is decided by the CORS allow-list of the message API.
func serveWidget(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	serveFile(w, "static/widget.js", "text/javascript; charset=utf-8")
}

// serveDemo serves GET /, the demo help page that embeds the widget.
func serveDemo(w http.ResponseWriter, _ *http.Request) {
	serveFile(w, "static/index.html", "text/html; charset=utf-8")
}

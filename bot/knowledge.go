package bot

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/knowledge"
)

// registerKnowledgeMetrics exports the followed knowledge's state, so
// that stale knowledge (a folder that no longer loads, its previous
// index kept) can be alerted on rather than found in the logs.
func (m *metrics) registerKnowledgeMetrics(live *knowledge.Live) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_knowledge_chunks",
			Help: "Chunks of the knowledge index answers come from.",
		}, func() float64 { n, _, _ := live.Status(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_knowledge_loaded_timestamp_seconds",
			Help: "When the knowledge index answers come from was loaded (Unix time).",
		}, func() float64 { _, at, _ := live.Status(); return float64(at.UnixNano()) / 1e9 }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_knowledge_reload_failing",
			Help: "1 when the knowledge folder (or index file) changed but does not load, the previous index kept; else 0.",
		}, func() float64 {
			if _, _, failing := live.Status(); failing {
				return 1
			}
			return 0
		}),
	)
}

// runKnowledge starts the loop that follows the knowledge folder, when the
// pipeline reads one; it stops with the adapters' loops on Shutdown.
func (s *Server) runKnowledge() {
	if s.pipeline == nil || s.pipeline.Live == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.pipeline.Live.Run(s.bg); err != nil {
			s.log.Error("knowledge follower stopped", "err", err)
		}
	}()
}

// operator reports whether r carries "Authorization: Bearer
// <SWITCHBOARD_ADMIN_TOKEN>"; when it does not, it has answered 401.
func (s *Server) operator(w http.ResponseWriter, r *http.Request) bool {
	want := s.cfg.Secrets.AdminToken
	got, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if want != "" && bearer && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
	msg := "A valid operator token is required (Authorization: Bearer <SWITCHBOARD_ADMIN_TOKEN>)."
	if want == "" {
		msg = "The operator API is off: SWITCHBOARD_ADMIN_TOKEN is not set."
	}
	if want != "" {
		// Logged without the token, so that token guessing is seen.
		s.log.Warn("operator token refused", "path", r.URL.Path, "remote", r.RemoteAddr)
	}
	web.WriteError(w, http.StatusUnauthorized, web.CodeUnauthorized, msg)
	return false
}

// reloadResult is the answer of the knowledge reload route.
type reloadResult struct {
	Chunks int     `json:"chunks"`
	TookMS float64 `json:"took_ms"`
}

// serveReload reindexes the knowledge folder now:
// POST /api/v1/knowledge/reload with "Authorization: Bearer
// <SWITCHBOARD_ADMIN_TOKEN>". It answers {"chunks": n, "took_ms": t}; on a
// failure the previous index stays and the error says why.
func (s *Server) serveReload(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	if s.pipeline == nil || s.pipeline.Live == nil {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "This server does not read its knowledge from a folder (it uses the built-in demo help centre or an index it was given).")
		return
	}
	start := time.Now()
	n, err := s.pipeline.Live.Reload(r.Context())
	if err != nil {
		s.log.Warn("knowledge reload failed", "err", err, "remote", r.RemoteAddr)
		web.WriteError(w, http.StatusInternalServerError, web.CodeInternal, "The knowledge was not reloaded; the previous index stays: "+err.Error())
		return
	}
	took := time.Since(start)
	s.log.Info("knowledge reloaded by operator", "chunks", n, "took", took.Round(time.Millisecond), "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, reloadResult{Chunks: n, TookMS: float64(took.Microseconds()) / 1000})
}

package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
	"github.com/switchboard/switchboard/conversation/queue"
	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/knowledge"
)

// ErrClosed is returned by a second Shutdown.
var ErrClosed = errors.New("bot: server closed")

// Options are a Server's dependencies that do not come from the
// configuration. The zero value builds everything from Config.
type Options struct {
	// Logger receives the server's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Store replaces the store Config names (memory, or Redis from
	// REDIS_URL). The Server closes it on Shutdown.
	Store conversation.Store
	// Knowledge replaces the index loaded from Config.Knowledge.Dir.
	Knowledge *knowledge.Index
	// Answerer replaces the answerer of Config.Answer.Mode.
	Answerer conversation.Answerer
	// Adapters are extra adapters, registered after the built-in ones.
	Adapters []Adapter
	// Now is the clock of the pipeline and of webhook signatures. Nil
	// means time.Now.
	Now func() time.Time
	// Role is RoleAll (also when empty), RoleGateway or RoleWorker; the
	// last two share work through a Redis queue and need a Redis store.
	Role string
	// OnChoice, when set, is told of every choice the model takes part
	// in when generative mode decodes constrained (switchboard eval's
	// diagnostics; see extractive.Choice).
	OnChoice func(extractive.Choice)
}

// A Server is Switchboard's HTTP server: the web channel, the platform
// adapters, the operator API, health, readiness and metrics, over one
// conversation pipeline. Create it with New, run it with Serve and stop it
// with Shutdown (or by cancelling Serve's context).
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    conversation.Store
	manager  *conversation.Manager
	desk     *desk                      // the Manager, as the agents' channels and the operator API use it
	cite     func(source string) string // a citation's link
	pipeline *Pipeline
	model    *engine.Model // nil without engine.model
	articles fs.FS         // nil: no articles to link to
	web      *web.Adapter
	adapters []Adapter
	metrics  *metrics
	role     string
	gateway  gatewayAdapter // its gw is nil unless role is RoleGateway
	http     *http.Server
	handler  http.Handler

	// base is the context of every request; cancelled when a shutdown
	// runs out of time, to stop replies that would not finish.
	base       context.Context
	cancelBase context.CancelFunc
	// bg is the context of the adapters' Run loops.
	bg       context.Context
	cancelBG context.CancelFunc
	wg       sync.WaitGroup // Run loops

	draining atomic.Bool // new requests get 503
	closed   atomic.Bool
	done     chan struct{} // closed when Shutdown has finished
}

// New builds a Server from cfg: it loads the knowledge, opens the store,
// builds the answerer, the pipeline and the adapters. It does not listen.
func New(ctx context.Context, cfg Config, opt Options) (*Server, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	role, err := checkRole(opt.Role)
	if err != nil {
		return nil, err
	}
	if role == RoleGateway && opt.Answerer == nil {
		opt.Answerer = noAnswerer{} // a gateway never loads the decoder
	}
	s := &Server{cfg: cfg, log: log, metrics: newMetrics(), role: role, done: make(chan struct{})}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	s.bg, s.cancelBG = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			s.cancelBase()
			s.cancelBG()
			if s.pipeline != nil {
				_ = s.pipeline.Close(context.Background())
			}
			if s.model != nil {
				s.model.Close()
			}
		}
	}()

	p, err := NewPipeline(ctx, cfg, opt, s.metrics.hooks(), log)
	if err != nil {
		return nil, err
	}
	s.pipeline = p
	s.store, s.manager, s.articles = p.Store, p.Manager, p.Articles
	s.desk = &desk{Manager: s.manager, log: log}
	if p.Live != nil {
		s.metrics.registerKnowledgeMetrics(p.Live)
	}
	// handler is what adapters hand messages to: the pipeline, or for a
	// gateway the queue to the workers.
	var handler conversation.Handler = replayer{s.manager}
	if role != RoleAll {
		q, err := newQueue(cfg, s.store, role, s)
		if err != nil {
			return nil, err
		}
		s.registerQueueMetrics(q)
		if role == RoleWorker {
			wa := &workerAdapter{w: q.NewWorker("", s.manager, s.manager, cfg.Conversation.Workers), done: make(chan struct{})}
			s.adapters = []Adapter{wa}
			log.Info("role: worker", "slots", cfg.Conversation.Workers)
			s.handler = s.routes()
			s.http = s.newHTTP()
			ok = true
			return s, nil
		}
		s.gateway = gatewayAdapter{gw: q.NewGateway()}
		handler = s.gateway.gw
		log.Info("role: gateway", "id", s.gateway.gw.ID(), "queue_max_age", cfg.Redis.QueueMaxAge)
	}

	// The chat platforms come first: the web adapter tells one of them
	// (Slack's agents' channel) about the visitors handed to a human.
	var plats []Adapter
	var off []string
	var agents web.Agents
	for _, p := range platforms {
		if why := offReason(p, cfg.Secrets); why != "" {
			off = append(off, p.Name+" ("+why+")")
			continue
		}
		a, err := p.New(Deps{Config: cfg, Handler: handler, Desk: s.desk, Logger: log.With("adapter", p.Name), metrics: s.metrics})
		if err != nil {
			return nil, fmt.Errorf("build %s adapter: %w", p.Name, err)
		}
		channel := map[string]string{"slack": cfg.Slack.AgentsChannel, "discord": cfg.Discord.AgentsChannel}[p.Name]
		if ag, ok := a.(web.Agents); ok && agents == nil && channel != "" {
			agents = ag
		}
		plats = append(plats, a)
	}

	base := strings.TrimSuffix(cfg.Server.CitationBaseURL, "/") + "/"
	s.cite = func(source string) string { return citationURL(base, source) }
	var home http.Handler
	if cfg.Knowledge.Dir != DefaultKnowledgeDir || opt.Knowledge != nil {
		home = s.serveHome(base)
	}
	s.web, err = web.New(web.Options{
		Handler:        handler,
		Home:           home,
		Secret:         []byte(cfg.Secrets.WidgetSecret),
		AllowedOrigins: cfg.Server.AllowedOrigins,
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		MaxTextLen:     cfg.Web.MaxTextLen,
		Tolerance:      cfg.Web.SignatureTolerance,
		Now:            opt.Now,
		CitationURL:    s.cite,
		Callback: web.CallbackOptions{
			Attempts:       cfg.Web.CallbackAttempts,
			InitialBackoff: cfg.Web.CallbackBackoff,
			MaxBackoff:     cfg.Web.CallbackMaxBackoff,
			Timeout:        cfg.Web.CallbackTimeout,
		},
		ReplyTimeout: cfg.Server.ReplyTimeout,
		Sessions:     s.manager,
		Agents:       agents,
		HandoffURL:   cfg.Web.HandoffURL,
		Logger:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("build web adapter: %w", err)
	}
	s.desk.web = s.web
	s.adapters = []Adapter{s.web}

	// The OpenAI-compatible API: raw generation with engine.model (the
	// built-in model when empty); grounded chat ("switchboard":
	// {"knowledge": true}) uses the pipeline.
	gen := engine.Generator(p.Model) // generative mode: the pipeline's model
	if p.Model == nil {
		m, err := LoadModel(cfg, log)
		if err != nil {
			return nil, err
		}
		s.model, gen = m, m
	}
	var keys []openai.Key
	for _, k := range strings.Split(cfg.Secrets.APIKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, openai.Key{Token: k})
		}
	}
	oa, err := openai.New(openai.Options{
		Generator:        gen,
		Keys:             keys,
		DefaultMaxTokens: cfg.Engine.MaxTokens,
		Handler:          handler,
		Logger:           log.With("adapter", openai.Platform),
		Now:              opt.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("build openai adapter: %w", err)
	}
	s.adapters = append(s.adapters, oa)
	var notes []string
	if len(keys) == 0 {
		notes = append(notes, "openai: SWITCHBOARD_API_KEYS unset, the API is open to anyone who can reach it")
	}
	s.adapters = append(s.adapters, plats...)
	s.adapters = append(s.adapters, opt.Adapters...)
	if s.gateway.gw != nil {
		s.adapters = append(s.adapters, s.gateway)
	}
	var on []string
	for _, a := range s.adapters {
		on = append(on, a.Name())
	}
	log.Info("adapters", "on", strings.Join(on, ", "), "off", strings.Join(off, "; "), "notes", strings.Join(notes, "; "))

	proxies, err := cfg.Server.Proxies()
	if err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	s.handler = clientAddress(proxies, s.routes())
	s.http = s.newHTTP()
	ok = true
	return s, nil
}

func (s *Server) newHTTP() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // the request, body included; replies stream without a limit
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Handler returns the server's HTTP handler (every route, with the
// shutdown gate), for tests and for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Pipeline returns the conversation pipeline, for adapters built outside
// the server (the CLI's chat).
func (s *Server) Pipeline() conversation.Handler { return s.manager }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}))
	mux.HandleFunc("POST /api/v1/sessions/{id}/release", s.serveRelease)
	mux.HandleFunc("POST /api/v1/sessions/{id}/messages", s.serveAgentReply)
	mux.HandleFunc("GET /api/v1/sessions/{id}/messages", s.serveSessionMessages)
	mux.HandleFunc("POST /api/v1/knowledge/reload", s.serveReload)
	mux.HandleFunc("GET /articles/{path...}", s.serveArticle)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { serveNotFound(mux, w, r) })
	for _, a := range s.adapters {
		a.Register(mux)
	}
	return s.gate(mux)
}

// gate answers 503 while the server is draining (except liveness and
// metrics), bounds reply time and turns panics into 500s.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "path", r.URL.Path, "panic", p)
				web.WriteError(w, http.StatusInternalServerError, web.CodeInternal, "Something went wrong.")
			}
		}()
		if s.draining.Load() && r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "5")
			web.WriteError(w, http.StatusServiceUnavailable, web.CodeShuttingDown, "The server is shutting down; please retry in a moment.")
			return
		}
		if s.gateway.Busy() && intake(r) {
			_, reachable := s.gateway.stats()
			refuseBusy(w, reachable)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Server.ReplyTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// Check runs the readiness checks: the store answers, knowledge is
// loaded and, on a gateway, a queue worker is alive. It returns nil when
// the server can answer.
func (s *Server) Check(ctx context.Context) error {
	var errs []error
	if s.draining.Load() {
		errs = append(errs, errors.New("shutting down"))
	}
	if ix := s.pipeline.Current(); ix == nil || ix.Len() == 0 {
		errs = append(errs, errors.New("knowledge not loaded"))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("session store: %w", err))
	}
	if s.gateway.gw != nil {
		if st, reachable := s.gateway.stats(); reachable && st.Workers == 0 {
			errs = append(errs, fmt.Errorf("no queue worker heard from in the last %v", queue.WorkerTTL))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if err := s.Check(r.Context()); err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, web.CodeNotReady, strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// serveRelease hands a session back to the bot:
// POST /api/v1/sessions/{id}/release with "Authorization: Bearer
// <SWITCHBOARD_ADMIN_TOKEN>". id is a session id ("slack:T1:C1:<thread>")
// or a web conversation id (see web.Session).
func (s *Server) serveRelease(w http.ResponseWriter, r *http.Request) {
	if !s.operator(w, r) {
		return
	}
	id, ok := s.sessionParam(w, r)
	if !ok {
		return
	}
	if err := s.manager.Release(r.Context(), id); err != nil {
		if errors.Is(err, conversation.ErrNotHandedOff) {
			web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No session with that id is waiting for a human agent.")
			return
		}
		s.log.Warn("release failed", "session", id, "err", err)
		if errors.Is(err, conversation.ErrUnavailable) {
			web.WriteError(w, http.StatusServiceUnavailable, web.CodeUnavailable, "The session store cannot be reached; try again.")
			return
		}
		web.WriteError(w, http.StatusInternalServerError, web.CodeInternal, "The session could not be released.")
		return
	}
	s.log.Info("session released by operator", "session", id, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, map[string]string{"session": id, "state": conversation.StateBot})
}

// serveArticle publishes the knowledge folder's articles, the targets of
// citation links. Only text formats the knowledge loader reads are served,
// and FAQs and exports only as pages of their indexed entries.
func (s *Server) serveArticle(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	ext := strings.ToLower(path.Ext(p))
	ctype := map[string]string{
		".md": "text/markdown; charset=utf-8", ".markdown": "text/markdown; charset=utf-8", ".mdx": "text/markdown; charset=utf-8",
		".txt":  "text/plain; charset=utf-8",
		".json": "application/json", ".yaml": "text/plain; charset=utf-8", ".yml": "text/plain; charset=utf-8",
		".csv": "text/csv; charset=utf-8", ".tsv": "text/tab-separated-values; charset=utf-8",
		".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		".odt":  "application/vnd.oasis.opendocument.text",
		".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	}[ext]
	if ctype == "" || s.articles == nil || !fs.ValidPath(p) {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No such article.")
		return
	}
	b, err := fs.ReadFile(s.articles, p)
	if err != nil || int64(len(b)) > knowledge.FileLimit(p, knowledge.DefaultMaxFileBytes) {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No such article.")
		return
	}
	if knowledge.IsText(p) { // not an Office document's zip archive
		b = knowledge.UTF8Text(b) // as it was read, and as the charset says
	}
	// An FAQ or a help-centre export is shown only as the page of what
	// was indexed, to every client: the file as it is holds its drafts
	// (an unannounced price rise) and its platform's internal fields, and
	// a JSON, YAML or CSV file left out of the index (a site's configuration)
	// is no article.
	// A browser gets the page of what was indexed, an HTML article's
	// too: its citations' anchors are the index's sections ("#how-repairs-work"),
	// which the page as the help desk saved it does not have.
	export := knowledge.IsFAQ(p)
	if export || acceptsHTML(r) {
		if ix := s.pipeline.Current(); ix != nil {
			if page, ok := pageOf(p, ix.Chunks()); ok {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.Header().Set("Content-Security-Policy", articleCSP)
				w.Header().Set("Cache-Control", "public, max-age=300")
				w.Header().Set("Vary", "Accept")
				_ = articleHTML.Execute(w, page)
				return
			}
		}
	}
	if export {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No such article.")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(ctype, "text/html") {
		// An exported page may carry scripts; shown sandboxed, in an
		// opaque origin, none of them runs or reaches this server's.
		w.Header().Set("Content-Security-Policy", articleCSP)
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// acceptsHTML reports whether the client asks for an HTML page, as a
// browser following a citation link does.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// articleCSP shows an HTML article's text, styles and images, and
// nothing else.
const articleCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:"

// serveNotFound answers unknown routes in the error shape: 405 with
// Allow when the path has routes for other methods (the catch-all "/"
// would otherwise answer those 404), else 404.
func serveNotFound(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		web.WriteError(w, http.StatusNotFound, web.CodeNotFound, "No such route: "+r.Method+" "+r.URL.Path)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	web.WriteError(w, http.StatusMethodNotAllowed, web.CodeMethod, "Use "+strings.Join(allow, " or ")+".")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve starts the adapters' background loops and serves HTTP on ln until
// ctx is done, then shuts down within Config.Server.ShutdownTimeout. It
// returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.closed.Load() {
		ln.Close()
		return ErrClosed
	}
	for _, a := range s.adapters {
		if r, ok := a.(Runner); ok {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if err := r.Run(s.bg); err != nil && s.bg.Err() == nil {
					s.log.Error("adapter stopped", "adapter", a.Name(), "err", err)
				}
			}()
		}
	}
	s.runKnowledge()
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			<-s.done // Shutdown was called directly; wait for it
			return nil
		}
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
		defer cancel()
		_ = s.Shutdown(sctx)
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
		defer cancel()
		err := s.Shutdown(sctx)
		<-errc
		if errors.Is(err, ErrClosed) {
			<-s.done
			return nil
		}
		return err
	}
}

// Shutdown stops the server gracefully: new requests get 503 (for
// DrainDelay the listener stays open to say so), the listener closes,
// replies in flight finish (until ctx is done; then they are cancelled),
// webhook callbacks are delivered or cancelled, the pipeline drains, the
// adapters' loops stop and the store closes. A second call returns
// ErrClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	defer close(s.done)
	s.draining.Store(true)
	s.log.Info("shutting down", "drain_delay", s.cfg.Server.DrainDelay)
	if d := s.cfg.Server.DrainDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain http: %w", err))
		// Replies that did not finish in time stop now. Their handlers
		// get a moment to tell their clients (a 503, an SSE error
		// event) before the connections close: cut at once, a client
		// got nothing at all. What is left of the shutdown gets the
		// same moment, not a context already done.
		s.cancelBase()
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if s.http.Shutdown(grace) != nil {
			s.http.Close()
		}
		ctx = grace
	}
	for _, a := range s.adapters {
		if d, ok := a.(Drainer); ok {
			if err := d.Drain(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.cancelBG()
	s.wg.Wait()
	if err := s.pipeline.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close pipeline: %w", err))
	}
	if s.model != nil {
		if err := s.model.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close model: %w", err))
		}
	}
	s.cancelBase()
	err := errors.Join(errs...)
	s.log.Info("stopped", "err", err)
	return err
}

// shutdownGrace is how long a shutdown past its deadline gives cancelled
// replies to answer their clients, and the rest of the shutdown to end.
const shutdownGrace = time.Second

// citationURL is the link to a cited source under base: an article's
// path and anchor, escaped, since file names hold spaces and accents
// ("es/Política de cancelación.md").
func citationURL(base, source string) string {
	p, frag, hasFrag := strings.Cut(source, "#")
	u := (&url.URL{Path: p}).EscapedPath()
	if hasFrag {
		u += "#" + (&url.URL{Fragment: frag}).EscapedFragment()
	}
	return base + u
}

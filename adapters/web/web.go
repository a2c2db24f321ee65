// Package web is Switchboard's website channel: the chat widget, its demo
// page, and the HTTP message API that the widget and server-to-server
// webhooks call.
//
// # Messages
//
// POST /api/v1/messages takes {"text","conversation_id","token","user":{"id","name"}}.
// The first message of a conversation omits conversation_id and token and
// gets both back; the token is hex(HMAC-SHA256(WIDGET_SECRET, conversation_id))
// and every later message must carry it. The answer is
// {"conversation_id","token","reply":{"text","citations":[{"title","source","url"}],"confidence","fallback","handoff"}},
// or, with "Accept: text/event-stream", the events conversation, delta...,
// reply and done.
//
// # Human agents
//
// While a human agent owns a conversation, a message sent to it is kept
// for the agent and answered 409 human_handling; the agent's replies
// (bot's operator API, or a thread of slack.agents_channel) are read with
// GET /api/v1/messages?conversation_id=ID&since=T and "Authorization:
// Bearer <token>": {"conversation_id","state","messages":[{"role","name",
// "text","time","citations"}]}, the messages saved after T. The widget
// polls it until the conversation is released ("state":"bot").
//
// # Server-to-server webhooks
//
// A request carrying X-Switchboard-Signature ("t=<unix>,v1=<hex of
// HMAC-SHA256(WIDGET_SECRET, "<t>.<body>")>", 5 minutes of tolerance) is a
// webhook: it needs no conversation token, may name its own conversation id
// and may ask for the reply to be POSTed to a callback_url (signed the same
// way, retried with exponential backoff). Such a request is answered 202 at
// once.
//
// # Errors
//
// Every error is {"error":{"code","message"}}: 400 malformed, 401 bad token
// or signature, 403 origin not allowed, 409 a session a human agent owns
// (code human_handling: the bot stays silent until an operator releases
// it) or a duplicate message whose reply cannot be found any more (a
// retry with the same message_id normally gets the reply produced for the
// first attempt again), 413 too large, 429 rate limited, 503 store
// unavailable. Once an event stream has started, an error arrives as an
// "error" event with the same body, followed by "done".
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard/switchboard/adapters/internal/remote"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// Platform is the Address.Platform of web messages.
const Platform = "web"

// Address channels of web messages: the widget (token-authenticated) and
// signed server-to-server webhooks.
const (
	ChannelWidget  = "widget"
	ChannelWebhook = "webhook"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 64 << 10
	DefaultMaxTextLen   = 4000 // characters
	maxUserFieldLen     = 128
	maxMessageIDLen     = 128
	maxCallbackURLLen   = 2048
)

// Options configure an Adapter. The zero value of every field but Handler
// works.
type Options struct {
	// Handler runs the conversation pipeline. Required.
	Handler conversation.Handler
	// Home serves GET /. Nil means the demo help page (Parcelpoint, the
	// demo knowledge's company) with the widget.
	Home http.Handler
	// Secret is WIDGET_SECRET: it signs conversation tokens and verifies
	// webhook signatures. Empty means a random secret, with a warning in
	// the log (tokens then stop working when the process restarts).
	Secret []byte
	// AllowedOrigins is the CORS allow-list of origins
	// ("https://shop.example.com") that may call the API from a browser;
	// "*" allows any. Same-origin requests are always allowed; other
	// origins are refused with 403.
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxTextLen bounds a message text in characters. Zero means
	// DefaultMaxTextLen.
	MaxTextLen int
	// Tolerance is how far a webhook signature's timestamp may be from
	// now. Zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock for signature checks. Nil means time.Now.
	Now func() time.Time
	// CitationURL turns a citation source ("billing.md#refunds") into a
	// link. Nil leaves citation URLs empty.
	CitationURL func(source string) string
	// Callback configures webhook callback delivery.
	Callback CallbackOptions
	// ReplyTimeout bounds the production of a reply that is delivered to
	// a callback_url (a request's own replies are bounded by its context).
	// Zero means no bound.
	ReplyTimeout time.Duration
	// Sessions reads saved conversations for GET /api/v1/messages (a
	// human agent's replies, for the widget). Nil turns that route off.
	Sessions Sessions
	// Agents, when set, is told of each widget visitor handed to a human
	// and of what they write while a human has them (the Slack agents'
	// channel).
	Agents Agents
	// HandoffURL, when set, is sent the same as an AgentEvent: POSTed,
	// signed like a callback and retried like one, for a help desk of
	// the operator's own. With neither, agents find handed-off visitors
	// in the log and the operator API.
	HandoffURL string
	// Logger receives the adapter's logs. Nil means slog.Default().
	Logger *slog.Logger
}

// An Adapter is the web channel. It is safe for concurrent use.
type Adapter struct {
	opt    Options
	log    *slog.Logger
	origin map[string]bool
	anyOK  bool

	// Webhook callbacks run after their request has been answered; they
	// are owned by the adapter and stopped by Drain.
	bg       context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
	mu       sync.Mutex
	draining bool            // guarded by mu
	refused  map[string]bool // guarded by mu: origins refused and logged

	// queues keep one session's messages to the agents in order (see
	// inOrder); guarded by mu.
	queues map[string]*orderedQueue
}

// maxRefusedLogged bounds the origins whose refusal is remembered (and
// logged once each), so that forged Origin headers cannot grow memory.
const maxRefusedLogged = 100

// New returns the web adapter.
func New(opt Options) (*Adapter, error) {
	if opt.Handler == nil {
		return nil, errors.New("web: Options.Handler is nil")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	log := opt.Logger.With("adapter", Platform)
	if len(opt.Secret) == 0 {
		opt.Secret = NewSecret()
		log.Warn("WIDGET_SECRET is not set: using a random secret; widget conversations will not survive a restart")
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.MaxTextLen <= 0 {
		opt.MaxTextLen = DefaultMaxTextLen
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = DefaultTolerance
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	opt.Callback.applyDefaults()
	a := &Adapter{opt: opt, log: log, origin: map[string]bool{}}
	for _, o := range opt.AllowedOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			a.anyOK = true
		} else if o != "" {
			a.origin[strings.ToLower(o)] = true
		}
	}
	a.bg, a.bgCancel = context.WithCancel(context.Background())
	return a, nil
}

// Name returns "web".
func (a *Adapter) Name() string { return Platform }

// Register adds POST /api/v1/messages (and its CORS preflight),
// GET /widget.js and GET / (the demo page) to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.Handle("/api/v1/messages", a)
	mux.HandleFunc("GET /widget.js", serveWidget)
	if a.opt.Home != nil {
		mux.Handle("GET /{$}", a.opt.Home)
	} else {
		mux.HandleFunc("GET /{$}", serveDemo)
	}
}

// Drain waits for webhook callbacks in progress until ctx is done, then
// cancels what remains and waits for it to stop. After Drain, webhook
// requests with a callback_url are refused with 503. A second call
// returns at once.
func (a *Adapter) Drain(ctx context.Context) error {
	a.mu.Lock()
	a.draining = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.bgWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("drain web callbacks: %w", ctx.Err())
	}
	a.bgCancel()
	<-done
	return err
}

// A Request is the body of POST /api/v1/messages.
type Request struct {
	Text           string `json:"text"`
	ConversationID string `json:"conversation_id,omitempty"`
	Token          string `json:"token,omitempty"`
	User           User   `json:"user"`
	// MessageID, optional, makes the message idempotent: a retry with the
	// same id (after a reply lost to a broken connection, say) is answered
	// with the reply already produced for it, never a second one. Such a
	// message is answered to the end even when its client goes away. A
	// first message (no ConversationID) with a MessageID gets a
	// conversation id derived from it and User.ID, so that its retries
	// land in the same conversation; use ids that are unique per user
	// (the widget sends 96 random bits).
	MessageID string `json:"message_id,omitempty"`
	// CallbackURL, optional and only for signed webhook requests, is where
	// the reply is POSTed; the request itself is answered 202.
	CallbackURL string `json:"callback_url,omitempty"`
}

// A User is who sent a message, as the embedding site knows them.
type User struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// A Response is the JSON answer of POST /api/v1/messages (and the body of
// the SSE "reply" event's enclosing object).
type Response struct {
	ConversationID string     `json:"conversation_id"`
	Token          string     `json:"token"`
	Reply          *ReplyBody `json:"reply,omitempty"`
	// Error is set only in callback deliveries of a failed message.
	Error *ErrorDetail `json:"error,omitempty"`
	// Agent is set only in callback deliveries of a human agent's reply
	// (see Adapter.AgentReplied).
	Agent *TranscriptMessage `json:"agent,omitempty"`
}

// A ReplyBody is a conversation.Reply on the wire.
type ReplyBody struct {
	Text      string     `json:"text"`
	Citations []Citation `json:"citations"`
	// Links are the links of the words Text quotes, for a client to
	// make those words links (the widget does); omitted when none.
	Links      []Link  `json:"links,omitempty"`
	Confidence float64 `json:"confidence"`
	Fallback   bool    `json:"fallback"`
	Handoff    bool    `json:"handoff"`
}

// A Link is a link of the words Text quotes: text, as it stands in the
// reply, and where it leads.
type Link struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// A Citation is an article a reply used.
type Citation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

// ConversationEvent is the data of the SSE "conversation" event.
type ConversationEvent struct {
	ConversationID string `json:"conversation_id"`
	Token          string `json:"token"`
}

// DeltaEvent is the data of an SSE "delta" event.
type DeltaEvent struct {
	Text string `json:"text"`
}

func (a *Adapter) replyBody(r conversation.Reply) *ReplyBody {
	b := &ReplyBody{Text: r.Text, Citations: []Citation{}, Confidence: r.Confidence, Fallback: r.Fallback, Handoff: r.Handoff}
	b.Citations = citations(r.Citations, a.opt.CitationURL)
	for _, l := range r.Links {
		if u := pageOf(l.URL, l.Source, a.opt.CitationURL); u != "" {
			b.Links = append(b.Links, Link{Text: l.Text, URL: u})
		}
	}
	return b
}

// citations puts cs on the wire, each with its page (see pageOf).
func citations(cs []knowledge.Citation, cite func(source string) string) []Citation {
	out := make([]Citation, 0, len(cs))
	for _, c := range cs {
		out = append(out, Citation{Title: c.Title, Source: c.Source, URL: pageOf(c.URL, c.Source, cite)})
	}
	return out
}

// pageOf is where a citation or a link goes: its own URL, else the page
// of its source (an article of the knowledge folder) that cite names;
// "" when neither.
func pageOf(url, source string, cite func(source string) string) string {
	if url == "" && cite != nil {
		return cite(source)
	}
	return url
}

// ServeHTTP serves /api/v1/messages.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.cors(w, r) {
		a.logRefused(r)
		WriteError(w, http.StatusForbidden, "origin_not_allowed", "This origin may not call the Switchboard API.")
		return
	}
	switch {
	case r.Method == http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case r.Method == http.MethodGet && a.opt.Sessions != nil:
		a.serveTranscript(w, r)
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", a.allow())
		WriteError(w, http.StatusMethodNotAllowed, CodeMethod, "Use "+a.allow()+".")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opt.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("The body is over %d bytes.", tooBig.Limit))
			return
		}
		WriteError(w, http.StatusBadRequest, CodeMalformed, "The body could not be read.")
		return
	}
	signed := r.Header.Get(SignatureHeader) != ""
	if signed {
		if err := VerifySignature(a.opt.Secret, body, r.Header.Get(SignatureHeader), a.opt.Now(), a.opt.Tolerance); err != nil {
			a.log.Warn("webhook signature refused", "err", err, "remote", r.RemoteAddr)
			WriteError(w, http.StatusUnauthorized, CodeBadSignature, "The request signature is missing, wrong or too old.")
			return
		}
	}
	req, err := parseRequest(body)
	if err != nil {
		WriteError(w, http.StatusBadRequest, CodeMalformed, err.Error())
		return
	}
	if n := utf8.RuneCountInString(req.Text); n > a.opt.MaxTextLen {
		WriteError(w, http.StatusBadRequest, CodeMalformed, fmt.Sprintf("The text is %d characters; the limit is %d.", n, a.opt.MaxTextLen))
		return
	}
	channel := ChannelWidget
	switch {
	case signed:
		channel = ChannelWebhook
		if req.ConversationID == "" {
			req.ConversationID = firstConversationID(a.opt.Secret, req.User.ID, req.MessageID)
		}
	case req.CallbackURL != "":
		WriteError(w, http.StatusUnauthorized, CodeBadSignature, "A callback_url needs a signed request (X-Switchboard-Signature).")
		return
	case req.ConversationID == "" && req.Token != "":
		WriteError(w, http.StatusBadRequest, CodeMalformed, "A token was sent without a conversation_id.")
		return
	case req.ConversationID == "":
		// A retry finds its conversation by its message_id, so the id
		// derives from the caller too: any visitor sending another's
		// first message_id got that visitor's conversation and token.
		req.ConversationID = firstConversationID(a.opt.Secret, remote.Host(r)+"\x00"+req.User.ID, req.MessageID)
	case !validToken(a.opt.Secret, req.ConversationID, req.Token):
		WriteError(w, http.StatusUnauthorized, CodeBadToken, "The conversation token is missing or wrong.")
		return
	}
	token := Token(a.opt.Secret, req.ConversationID)
	msg := a.message(req, channel)
	if channel == ChannelWidget {
		msg.Client = remote.Host(r) // visitors name their own user.id
	}
	if req.CallbackURL != "" {
		a.acceptCallback(w, req, token, msg)
		return
	}
	detached := req.MessageID != ""
	ctx, cancel := a.replyContext(r, detached)
	defer cancel()
	var handoff bool
	if wantsStream(r) {
		handoff, err = a.serveStream(ctx, detached, w, r, req.ConversationID, token, msg)
	} else {
		handoff, err = a.serveJSON(ctx, w, req.ConversationID, token, msg)
	}
	a.tellAgents(msg, handoff, err)
}

// replyContext returns the context a request's reply is produced in. A
// message with its own id (detached) may be retried by its client after
// the reply was lost, and the retry gets the reply produced for the first
// attempt; so producing it is not stopped when the client goes away, only
// by the request's deadline and by Drain. Other messages stop with their
// request.
func (a *Adapter) replyContext(r *http.Request, detached bool) (context.Context, context.CancelFunc) {
	if !detached {
		return context.WithCancel(r.Context())
	}
	ctx := context.WithoutCancel(r.Context())
	var cancel context.CancelFunc
	if d, ok := r.Context().Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, d)
	} else if a.opt.ReplyTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, a.opt.ReplyTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	stop := context.AfterFunc(a.bg, cancel)
	return ctx, func() { stop(); cancel() }
}

// jsonProblem says what is wrong with a body in the API's terms: a
// field of the wrong type by its name ("text must be a string"), not Go's
// ("cannot unmarshal number into Go struct field Request.text of type
// string").
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind := te.Type.Kind().String()
		switch kind {
		case "struct", "map":
			kind = "object"
		case "slice":
			kind = "array"
		}
		field := te.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("%s must be %s, not %s.", field, withArticle(kind), withArticle(te.Value))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends inside the JSON object."
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d).", err, se.Offset)
	}
	return err.Error() + "."
}

// withArticle puts "a" or "an" before a JSON kind ("an object", "a
// string").
func withArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// parseRequest decodes and checks a message body.
func parseRequest(body []byte) (Request, error) {
	var req Request
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] != '{' && trimmed[0] != '[' {
		// A form post ("text=refund+time") or plain text: say what is
		// wanted rather than where the JSON parser tripped.
		return req, errors.New("The body must be a JSON object such as {\"text\":\"...\"}.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("The body is not valid JSON of the documented shape: %s", jsonProblem(err))
	}
	if dec.More() {
		return req, errors.New("The body has data after the JSON object.")
	}
	req.Text = strings.TrimSpace(req.Text)
	switch {
	case strings.TrimSpace(conversation.Normalize(req.Text)) == "":
		return req, errors.New("The text is empty.") // or only invisible characters
	case !utf8.ValidString(req.Text):
		return req, errors.New("The text is not valid UTF-8.")
	case req.ConversationID != "" && !validConversationID(req.ConversationID):
		return req, fmt.Errorf("The conversation_id must be 1 to %d characters of A-Z, a-z, 0-9, _ and -.", MaxConversationIDLen)
	case len(req.User.ID) > maxUserFieldLen || len(req.User.Name) > maxUserFieldLen:
		return req, fmt.Errorf("user.id and user.name are limited to %d bytes.", maxUserFieldLen)
	case len(req.MessageID) > maxMessageIDLen:
		return req, fmt.Errorf("The message_id is limited to %d bytes.", maxMessageIDLen)
	case len(req.Token) > 128:
		return req, errors.New("The token is too long.")
	}
	if req.CallbackURL != "" {
		u, err := url.Parse(req.CallbackURL)
		if err != nil || len(req.CallbackURL) > maxCallbackURLLen || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return req, errors.New("The callback_url must be an absolute http or https URL.")
		}
	}
	return req, nil
}

// message normalises a request into a conversation.Message.
func (a *Adapter) message(req Request, channel string) conversation.Message {
	user := req.User.ID
	if user == "" {
		user = "anon-" + req.ConversationID
	}
	id := req.MessageID
	if id == "" {
		id = newID()
	}
	return conversation.Message{
		// Dedup ids are scoped to the conversation so two sites' ids
		// cannot collide.
		ID:       req.ConversationID + ":" + id,
		Address:  conversation.Address{Platform: Platform, Channel: channel, Thread: req.ConversationID, User: user},
		UserName: oneLine(req.User.Name), // shown to agents
		Text:     req.Text,
		Time:     a.opt.Now(),
		ReplyTo:  req.CallbackURL,
	}
}

// oneLine returns s on one line, without control characters.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s))
}

func wantsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// logRefused warns, once per origin, that a page's origin was refused: a
// site whose origin is missing from server.allowed_origins shows its
// visitors only "couldn't reach the assistant", and the operator had
// nothing to go on.
func (a *Adapter) logRefused(r *http.Request) {
	origin := r.Header.Get("Origin")
	a.mu.Lock()
	if a.refused == nil {
		a.refused = make(map[string]bool)
	}
	first := !a.refused[origin] && len(a.refused) < maxRefusedLogged
	if first {
		a.refused[origin] = true
	}
	a.mu.Unlock()
	if first {
		a.log.Warn("origin refused: add it to server.allowed_origins if the widget is on that site", "origin", origin, "remote", r.RemoteAddr)
	}
}

// cors sets the CORS headers for an allowed Origin and reports whether the
// request may proceed. Requests without Origin (server to server) and
// same-origin requests always may.
func (a *Adapter) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	u, err := url.Parse(origin)
	same := err == nil && strings.EqualFold(u.Host, r.Host)
	if !same && !a.anyOK && !a.origin[strings.ToLower(origin)] {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", a.allow())
		h.Set("Access-Control-Allow-Headers", "Content-Type, Accept, Authorization, "+SignatureHeader)
		h.Set("Access-Control-Max-Age", "600")
	}
	return true
}

// allow lists the methods of /api/v1/messages.
func (a *Adapter) allow() string {
	if a.opt.Sessions != nil {
		return "GET, POST, OPTIONS"
	}
	return "POST, OPTIONS"
}

// errorFor maps a Handle error to a status, code and message.
func errorFor(err error) (int, string, string) {
	switch {
	case errors.Is(err, conversation.ErrRateLimited):
		return http.StatusTooManyRequests, CodeRateLimited, conversation.SaidFor(err, conversation.RateLimitedText)
	case errors.Is(err, conversation.ErrDuplicate):
		return http.StatusConflict, CodeDuplicate, "This message was already received."
	case errors.Is(err, conversation.ErrHumanHandling):
		return http.StatusConflict, CodeHumanHandling, conversation.SaidFor(err, conversation.HumanHandlingText)
	case errors.Is(err, conversation.ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable, "The bot cannot reach its session store right now; nothing was saved. Please try again shortly."
	case errors.Is(err, conversation.ErrShutdown):
		return http.StatusServiceUnavailable, CodeShuttingDown, "The server is shutting down; please retry in a moment."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, conversation.ErrGone):
		return http.StatusServiceUnavailable, CodeUnavailable, "The reply was cancelled before it was ready."
	default:
		return http.StatusInternalServerError, CodeInternal, "Something went wrong while answering."
	}
}

// writeHandleError answers a failed Handle in plain JSON.
func writeHandleError(w http.ResponseWriter, err error) {
	status, code, msg := errorFor(err)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	WriteError(w, status, code, msg)
}

func (a *Adapter) logHandleError(msg conversation.Message, err error) {
	level := slog.LevelInfo
	if status, _, _ := errorFor(err); status >= 500 {
		level = slog.LevelWarn
	}
	a.log.Log(context.Background(), level, "message not answered", "session", msg.Address.SessionID(), "err", err)
}

// serveJSON runs the pipeline in ctx and answers with one JSON object.
// It returns whether the reply handed the conversation to a human, and
// the pipeline's error.
func (a *Adapter) serveJSON(ctx context.Context, w http.ResponseWriter, convID, token string, msg conversation.Message) (bool, error) {
	var c capture
	err := a.opt.Handler.Handle(ctx, msg, &c)
	rep, ok := c.close()
	if err == nil && !ok {
		err = errors.New("handler returned without a reply")
	}
	if err != nil {
		a.logHandleError(msg, err)
		writeHandleError(w, err)
		return false, err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(Response{ConversationID: convID, Token: token, Reply: a.replyBody(rep)})
	return rep.Handoff, nil
}

// capture is the Sender of a JSON request: it keeps the reply. Deltas are
// ignored. Like every Sender of this channel it asks for redelivery: a
// retry of a message already answered gets the same reply again (see
// Request.MessageID), which the pipeline signals with Redeliver.
type capture struct {
	mu     sync.Mutex
	rep    conversation.Reply // guarded by mu
	got    bool               // guarded by mu
	closed bool               // guarded by mu
}

var errClosed = errors.New("web: request already answered")

// Redeliver reports true: a web client whose reply was lost retries with
// the same message id and must get that reply (the queue's and the bot's
// Redeliverer).
func (*capture) Redeliver() bool { return true }

func (c *capture) Send(_ context.Context, r conversation.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	c.rep, c.got = r, true
	return nil
}

// close stops accepting replies and returns the one received, if any.
func (c *capture) close() (conversation.Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.rep, c.got
}

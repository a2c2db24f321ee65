package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// unlockTimeout bounds releasing a session lock after the caller's ctx
// is done.
const unlockTimeout = 5 * time.Second

// process runs the pipeline for one message; see Manager. It calls
// freeSlot once the reply is saved, before it is sent.
func (mg *Manager) process(ctx context.Context, m Message, out Sender, freeSlot func()) (err error) {
	start := mg.opts.Now()
	platform := m.Address.Platform
	session := m.Address.SessionID()
	outcome := OutcomeError
	defer func() {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrGone) {
			outcome = OutcomeCanceled
		}
		mg.opts.Metrics.message(platform, outcome)
		if err != nil && outcome == OutcomeError {
			mg.log.Warn("message failed", "session", session, "platform", platform, "err", err)
		}
	}()

	unlock, err := mg.opts.Store.Lock(ctx, session, mg.opts.LockTTL)
	if err != nil {
		return fmt.Errorf("lock session: %w", err)
	}
	defer mg.unlock(ctx, session, unlock)

	// 1. Rate limit, then dedup: a message refused for the rate limit is
	// not marked seen, so that its retry after Retry-After is taken
	// (it was answered "already received" and lost). Messages to a
	// human agent count too: they are kept and passed on to the agents,
	// and a flood of them pushed the conversation out.
	if ok, err := mg.allow(ctx, m); err != nil {
		return err
	} else if !ok {
		outcome = OutcomeRateLimited
		mg.opts.Metrics.rateLimited(platform)
		return &Refusal{Err: ErrRateLimited, Text: TextsFor(mg.language(), m.Text).RateLimited}
	}
	if m.ID != "" {
		first, err := mg.opts.Store.MarkSeen(ctx, platform, m.ID, mg.opts.DedupTTL)
		if err != nil {
			return fmt.Errorf("mark message seen: %w", err)
		}
		if !first {
			outcome = OutcomeDuplicate
			return ErrDuplicate
		}
	}

	// 2. Handoff state.
	meta, err := mg.opts.Store.Meta(ctx, session)
	if err != nil {
		return fmt.Errorf("load session meta: %w", err)
	}
	if m.ReplyTo != "" {
		meta.ReplyTo = m.ReplyTo
	}
	if meta.State == StateHuman {
		outcome = OutcomeHuman
		// The bot stays silent, but the message is the agent's to read:
		// on the widget it is nowhere else.
		if err := mg.keepForAgent(ctx, session, m, meta); err != nil {
			return err
		}
		return &Refusal{Err: ErrHumanHandling, Text: TextsFor(mg.language(), m.Text).HumanHandling}
	}

	// 3. Redact; only the redacted text is used from here on.
	text := Redact(cut(Normalize(m.Text), mg.opts.MaxMessageBytes))
	saved, err := mg.opts.Store.History(ctx, session)
	if err != nil {
		return fmt.Errorf("load session history: %w", err)
	}
	history := botTurns(saved)

	reply := Reply{Address: m.Address}
	texts := TextsFor(mg.language(), text, userTexts(history, 3)...)
	var handoff string
	talked := false
	said := neither // to the offer of a human, when the last reply made one
	if len(saved) > 0 && saved[len(saved)-1].Role == RoleAssistant && offeredHuman(history) {
		// The offer must be the last thing said: not one an agent's
		// conversation came after ("yes" after a release is no answer
		// to an offer made before the agent took over).
		said = answers(text)
	}
	if WantsHuman(text) || said == yes {
		// 4. The user asked for a human, or said yes when offered one.
		handoff = HandoffAsked
	} else if said == no {
		reply.Text, talked = texts.Declined, true
	} else if r, ok := SmallTalk(text, texts); ok {
		// A greeting, thanks or goodbye: nothing to look up, and no
		// fallback to count towards a handoff.
		reply.Text, talked = r, true
	} else {
		// 5–7. Retrieve, answer, filter.
		ans, conf, err := mg.answer(ctx, m.Address, topicOf(withoutGreeting(text)), withoutSmallTalk(history), out)
		if err != nil {
			return err
		}
		reply.Confidence = conf
		if ans.Fallback {
			meta.Fallbacks++
			reply.Text, reply.Fallback = texts.Fallback, true
			if mg.opts.MaxFallbacks > 0 && meta.Fallbacks >= mg.opts.MaxFallbacks {
				handoff = HandoffFallbacks
			}
		} else {
			meta.Fallbacks = 0
			reply.Text, reply.Citations, reply.Links = ans.Text, ans.Citations, ans.Links
		}
	}
	if handoff != "" {
		meta.State = StateHuman
		meta.HandoffAt = mg.opts.Now()
		meta.Fallbacks = 0
		reply.Handoff = true
		if reply.Fallback {
			reply.Text = texts.FallbackHandoff()
		} else {
			reply.Text = texts.Handoff
		}
	}
	meta.Turns++

	// 8. Save, then send.
	if err := ctx.Err(); err != nil {
		return err
	}
	now := mg.opts.Now()
	turns := []Turn{
		{Role: RoleUser, Text: text, MessageID: m.ID, Time: m.Time},
		{Role: RoleAssistant, Text: reply.Text, Citations: reply.Citations, Time: now},
	}
	if turns[0].Time.IsZero() {
		turns[0].Time = now
	}
	if err := mg.opts.Store.SaveTurn(ctx, session, turns, meta, mg.opts.HistoryTurns, mg.ttl(meta)); err != nil {
		return fmt.Errorf("save turn: %w", err)
	}
	if handoff != "" {
		// Counted and logged once the handoff is saved, so it really happened.
		mg.opts.Metrics.handoff(platform, handoff)
		mg.log.Info("handoff", "session", session, "platform", platform, "reason", handoff)
	}
	// Delivery waits on the platform, not on this process: give the
	// worker slot back, but keep the session lock until Send returns so
	// that the session's replies stay in order.
	freeSlot()
	if err := out.Send(ctx, reply); err != nil {
		return fmt.Errorf("send reply: %w", err)
	}
	switch {
	case reply.Handoff:
		outcome = OutcomeHandoff
	case reply.Fallback:
		outcome = OutcomeFallback
	case talked:
		outcome = OutcomeSmallTalk
	default:
		outcome = OutcomeAnswered
	}
	if reply.Fallback {
		mg.opts.Metrics.fallback(platform)
	}
	mg.opts.Metrics.replyLatency(platform, mg.opts.Now().Sub(start))
	mg.log.Debug("replied", "session", session, "platform", platform, "outcome", outcome,
		"question", text, "confidence", reply.Confidence, "citations", len(reply.Citations))
	return nil
}

// language returns the language of the knowledge, when the Searcher
// tells it (knowledge.Linguist), else "".
func (mg *Manager) language() string {
	if l, ok := mg.opts.Searcher.(knowledge.Linguist); ok {
		return l.Language()
	}
	return ""
}

// answer retrieves snippets for text and asks the Answerer, falling back
// when confidence is low or nothing grounded is left. It returns the
// answer and the retrieval confidence.
func (mg *Manager) answer(ctx context.Context, addr Address, text string, history []Turn, out Sender) (Answer, float64, error) {
	t0 := time.Now()
	snippets, conf, confident, err := mg.retrieve(ctx, text, history)
	mg.opts.Metrics.retrievalLatency(time.Since(t0))
	if err != nil {
		return Answer{}, 0, err
	}
	if !confident || len(snippets) == 0 {
		return Answer{Fallback: true}, conf, nil
	}
	if sp, ok := mg.opts.Searcher.(knowledge.Speller); ok {
		text = sp.Spell(text)
	}
	q := Query{Question: text, History: history, Snippets: snippets, Confidence: conf}
	if c, ok := mg.opts.Searcher.(knowledge.Comparer); ok {
		// A follow-up ("and for a week?") means what it asks of the
		// question before it and the section that answered it. On the
		// training help centres this answered 6 more of 4,888 questions
		// right and 12 fewer wrongly than the follow-up alone; on the
		// dev sets 5 more and 13 fewer.
		asked := text
		if prev := contextTexts(history, 1); len(prev) > 0 && FollowUp(text) {
			asked = prev[0] + "\n" + text
		}
		q.Similarities = func(texts []string) []float64 { return c.Similarities(asked, texts) }
	}
	if st, ok := out.(Streamer); ok {
		q.Delta = func(piece string) error { return st.Delta(ctx, addr, piece) }
	}
	ans, err := mg.opts.Answerer.Answer(ctx, q)
	if err != nil {
		return Answer{}, conf, fmt.Errorf("answer question: %w", err)
	}
	mg.opts.Metrics.dropped(addr.Platform, ans.Dropped)
	if ans.Fallback {
		return Answer{Fallback: true}, conf, nil
	}
	filtered, removed := mg.echo.Filter(ans.Text)
	if removed > 0 {
		mg.log.Warn("reply repeated protected text", "session", addr.SessionID(), "sentences", removed)
		mg.opts.Metrics.dropped(addr.Platform, removed)
	}
	if strings.TrimSpace(filtered) == "" {
		return Answer{Fallback: true}, conf, nil
	}
	ans.Text = filtered
	ans.Links = knowledge.LinksQuoted(ans.Text, cited(snippets, ans.Citations))
	return ans, conf, nil
}

// cited returns the snippets that citations name.
func cited(snippets []knowledge.Snippet, citations []knowledge.Citation) []knowledge.Snippet {
	var out []knowledge.Snippet
	for _, s := range snippets {
		for _, c := range citations {
			if c.Source == s.Source {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// retrieve searches for text and reports whether the result is confident
// enough to answer from. A message that reads as a follow-up (FollowUp)
// is searched with the earlier questions as context first, since on its
// own it matches whatever its few words match ("and on plus?"); that
// result is answered from down to followUpShare of the threshold, and
// the result without context is used below that. Any other message is
// searched on its own.
//
// Other messages were searched again with context when their own result
// was not confident, for follow-ups FollowUp misses. Asked after another
// question, out-of-scope questions then borrowed its words: on the twenty
// training help centres, each asked after one of the centre's answer
// questions, 378 of 578 fell back against 427 asked alone; without the
// second search 426 do, and 13 of their 609 follow-ups fewer are
// answered right (280 to 267). The other sets lost no follow-up and
// answered 3 of 124 such out-of-scope questions fewer.
func (mg *Manager) retrieve(ctx context.Context, text string, history []Turn) ([]knowledge.Snippet, float64, bool, error) {
	if prev := contextTexts(history, 2); len(prev) > 0 && FollowUp(text) {
		s, c, err := mg.search(ctx, text, prev)
		if err != nil || c >= followUpShare*mg.opts.ConfidenceThreshold {
			return s, c, true, err
		}
	}
	s, c, err := mg.search(ctx, text, nil)
	return s, c, c >= mg.opts.ConfidenceThreshold, err
}

// followUpShare is the share of the confidence threshold a follow-up
// searched with context needs: its few words ("and if it's stolen?")
// rarely cover much of what answers it ("theft or loss claims a £99
// excess"), and the conversation has already found the topic. On the
// twenty training help centres' 609 follow-ups, each centre with tables
// learned from the other nineteen, 0.57 (0.25 at the default threshold)
// answered 286 right against 266, and 160 wrongly against 167 (the
// search without context had answered them from elsewhere), while one
// more of 578 out-of-scope questions asked after a question was
// answered; 0.68 answered 279 right, 0.45 no more. Answering from the
// context search only when the search alone was not confident either
// answered 273 right and 180 wrongly. The dev sets' 151 follow-ups: 88
// right either way, 23 wrong against 25.
const followUpShare = 0.57

// search asks the Searcher for text with the earlier user questions prev
// (oldest first) as context, and returns the snippets and a confidence.
func (mg *Manager) search(ctx context.Context, text string, prev []string) ([]knowledge.Snippet, float64, error) {
	if r, ok := mg.opts.Searcher.(knowledge.Retriever); ok {
		res, err := r.Retrieve(ctx, knowledge.Query{Text: text, History: prev, K: mg.opts.TopK})
		if err != nil {
			return nil, 0, fmt.Errorf("search knowledge: %w", err)
		}
		return res.Snippets, res.Confidence, nil
	}
	query := text
	if len(prev) > 0 {
		query = strings.Join(prev, "\n") + "\n" + text
	}
	snippets, err := mg.opts.Searcher.Search(ctx, query, mg.opts.TopK)
	if err != nil {
		return nil, 0, fmt.Errorf("search knowledge: %w", err)
	}
	return snippets, Coverage(query, snippets), nil
}

// followOpeners start messages that continue the previous question. A
// message that opens so and is not one is still searched alone when the
// search with the question before it is not confident. "so", "ok" and
// "what happens" answered 3 more of the training centres' 4,337 answer
// questions right and 4 fewer wrongly. The German, French and Spanish
// ones ("und mit express?", "et pour le gaz ?") answered 2 more of the
// dev sets' 151 follow-ups right and 1 fewer wrongly, with no more
// out-of-scope questions answered after another question.
var followOpeners = []string{"and", "or", "but", "also", "what about", "how about", "same for", "what if", "then", "so", "ok", "okay", "what happens",
	// German, French and Spanish.
	"und", "oder", "aber", "auch", "was ist mit", "wie ist es mit", "wie sieht es mit", "dann",
	"et", "ou", "mais", "aussi", "quid de",
	"y", "o", "pero", "tambien", "que pasa con",
	// Italian "e" only with the word after it: "e-mail" splits into "e" and "mail".
	"e per", "e se", "e con", "e il", "e la", "e lo", "e i", "e le", "e gli", "e quanto", "e quello", "e quella",
	"ma", "anche", "invece", "e invece",
	// Portuguese "e" likewise.
	"e o", "e a", "e os", "e as", "e no", "e na", "e para", "e pra", "mas", "tambem",
	// Dutch "en" only with the word after it: French and Spanish open
	// questions with "en" too ("en combien de temps").
	"en als", "en voor", "en de", "en het", "en bij", "en met", "en wat", "maar", "ook", "wat als", "hoe zit het met"}

// pronouns refer back to what the conversation is about.
var pronouns = map[string]bool{"it": true, "that": true, "this": true, "they": true, "them": true, "those": true,
	"these": true, "its": true, "one": true, "das": true, "dies": true, "ca": true, "cela": true, "eso": true, "esto": true,
	"questo": true, "quello": true, "isso": true, "isto": true}

// FollowUp reports whether text reads as a follow-up that only makes
// sense after the question before it: it opens like one ("and on
// plus?", "what about business?"), ends like one ("does it work on
// basic too?"), or is a short question about "it" or "that" ("how long
// does it take?").
func FollowUp(text string) bool {
	words := grounding.Words(text)
	if len(words) == 0 || len(words) > 20 {
		return false
	}
	lower := " " + strings.Join(words, " ") + " "
	for _, o := range followOpeners {
		if strings.HasPrefix(lower, " "+o+" ") {
			return true
		}
	}
	content := len(grounding.TermSet(text))
	last := words[len(words)-1]
	if (last == "too" || last == "either" || strings.HasSuffix(lower, " as well ")) && content <= 4 {
		return true
	}
	for _, w := range words {
		if pronouns[w] && content <= 3 {
			return true
		}
	}
	return false
}

// keepForAgent saves a message sent while a human agent owns the session,
// with no reply after it. It is stamped when saved, under the session
// lock, so that the session's turns are in time order: a reader asking
// for those after a time (GET /api/v1/messages) misses none.
func (mg *Manager) keepForAgent(ctx context.Context, session string, m Message, meta Meta) error {
	t := Turn{Role: RoleUser, Text: Redact(cut(Normalize(m.Text), agentBytes(mg.opts))), MessageID: m.ID, Time: mg.opts.Now()}
	if err := mg.opts.Store.SaveTurn(ctx, session, []Turn{t}, meta, mg.opts.HistoryTurns, mg.ttl(meta)); err != nil {
		return fmt.Errorf("save message for the agent: %w", err)
	}
	return nil
}

// botTurns returns the exchanges of history the bot took part in: a user
// turn with the bot's reply after it, and that reply. What was said while
// a human agent owned the session (the user's messages and the agent's)
// is the agent's conversation; the bot, once the session is released,
// reads on from its own last answer.
func botTurns(history []Turn) []Turn {
	out := make([]Turn, 0, len(history))
	for i := 0; i+1 < len(history); i++ {
		if history[i].Role == RoleUser && history[i+1].Role == RoleAssistant {
			out = append(out, history[i], history[i+1])
			i++
		}
	}
	return out
}

// userTexts returns the texts of the newest n user turns, oldest first.
func userTexts(history []Turn, n int) []string {
	var out []string
	for i := len(history) - 1; i >= 0 && len(out) < n; i-- {
		if history[i].Role == "user" {
			out = append(out, history[i].Text)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// withoutSmallTalk returns history without the exchanges whose user turn
// was small talk ("thanks", "ok"): a follow-up is about the question
// before them. "and for the family plan?" after "what's the excess on
// Plus annual", "thanks" and "You're welcome!" was searched with
// "thanks" as the turn before it, and answered with a price.
func withoutSmallTalk(history []Turn) []Turn {
	out := make([]Turn, 0, len(history))
	for i := 0; i < len(history); i++ {
		t := history[i]
		if t.Role == "user" {
			if _, ok := SmallTalk(t.Text, textsByLanguage["en"]); ok {
				if i+1 < len(history) && history[i+1].Role == "assistant" {
					i++ // and the reply to it
				}
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// contextTexts returns the last n user texts of history, oldest first,
// the last of them followed by the title and section of the article its
// answer cited first: a follow-up is most often about that article ("and
// how long till the new one gets here", after an answer from "Lost or
// stolen cards > Ordering a replacement"), whose words the question before
// it may not have used. On the twenty training help centres this answered
// 18 more of their 4,337 questions right and 24 fewer wrongly; demo gained
// 2, pet insurance 1, and held-out lost 1, a follow-up to a question
// answered from the wrong article.
func contextTexts(history []Turn, n int) []string {
	prev := userTexts(history, n)
	if len(prev) == 0 {
		return prev
	}
	last := history[len(history)-1]
	if last.Role != "assistant" || len(last.Citations) == 0 {
		return prev
	}
	c := last.Citations[0]
	cited := c.Title
	if _, anchor, ok := strings.Cut(c.Source, "#"); ok {
		cited += "\n" + strings.ReplaceAll(anchor, "-", " ")
	}
	prev[len(prev)-1] += "\n" + cited
	return prev
}

// unlock releases a session lock even when ctx is already done.
func (mg *Manager) unlock(ctx context.Context, session string, unlock func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	if err := unlock(ctx); err != nil {
		mg.log.Warn("unlock session", "session", session, "err", err)
	}
}

// allow counts m against the rate limits of its user and of its client
// address, and reports whether both allow it.
func (mg *Manager) allow(ctx context.Context, m Message) (bool, error) {
	type limit struct {
		key string
		n   int
	}
	limits := []limit{{rateKey(m.Address), mg.opts.RateLimit}}
	if m.Client != "" {
		limits = append(limits, limit{"rate:" + m.Address.Platform + ":client:" + m.Client, mg.opts.ClientRateLimit})
	}
	for _, l := range limits {
		if l.n <= 0 {
			continue
		}
		ok, err := mg.opts.Store.Allow(ctx, l.key, l.n, mg.opts.RateWindow)
		if err != nil {
			return false, fmt.Errorf("check rate limit: %w", err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// rateKey is the rate limit's key for the user behind a.
func rateKey(a Address) string {
	return "rate:" + a.Platform + ":" + a.Tenant + ":" + a.User
}

// cut returns s cut to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

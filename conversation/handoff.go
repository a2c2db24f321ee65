package conversation

import (
	"strings"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// HandoffText is the reply that tells a user a human agent takes over.
const HandoffText = "I'm handing this conversation over to a human agent. Someone from our support team will reply here as soon as they can; until then I'll stay quiet."

// FallbackText is the honest reply when the knowledge base has no answer.
const FallbackText = "I'm sorry, I don't know the answer to that, and I'd rather not guess. Would you like me to connect you with a human agent? Just say \"talk to a human\"."

// strongNouns name a human agent whatever verb asks for them; weakNouns
// ("person") only with a verb of talking ("I need a person to sign for
// the parcel" is no request). "staff" is weak: a rota app's users "need
// to add 350 staff".
var (
	strongNouns = []string{"human", "humans", "agent", "agents", "representative", "rep", "operator",
		"supervisor", "manager", "advisor", "adviser",
		"agente", "agentes", "humano", "humanos", "operador", "conseiller", "conseillere", "humain",
		"mensch", "menschen", "mitarbeiter", "mitarbeiterin", "kundenberater", "kundenberaterin", "berater", "beraterin",
		"sachbearbeiter", "sachbearbeiterin", "ansprechpartner", "ansprechpartnerin",
		"operatore", "operatori", "operatrice", "umano", "umani", "consulente",
		"atendente", "atendentes", "medewerker", "medewerkers", "mens"}
	weakNouns = []string{"person", "someone", "somebody", "employee", "consultant", "anyone", "anybody", "staff",
		"support", "service", "team", "reception", "receptionist",
		"persona", "personas", "alguien", "personne", "quelqu'un", "jemand", "jemanden", "jemandem", "kundendienst",
		"kundenservice", "qualcuno", "addetto", "assistenza", "pessoa", "alguem", "atendimento", "iemand", "persoon", "klantenservice"}
)

// strongVerbs are verbs of talking or being put through; weakVerbs only
// ask for something, or ask how to get in touch ("how do I contact
// support?" is a question the contact article answers, "can I reach a
// human?" is a request).
var (
	strongVerbs = []string{"talk", "speak", "chat", "connect", "transfer", "escalate", "put", "switch",
		"forward", "pass", "hand",
		"hablar", "pasar", "pasame", "paseme", "ponme", "pongame", "parler", "passer", "passez",
		"parlare", "parlarmi", "passi", "passami", "passarmi", "collegare", "collegarmi", "mettermi",
		"falar", "conversar", "transferir", "transfere", "passa"}
	weakVerbs = []string{"want", "need", "get", "give", "let", "see", "like", "prefer", "reach", "contact", "call",
		"brauche", "brauchen", "mochte", "moechte", "hatte", "haette", "gib", "geben", "quiero", "necesito", "veux", "voudrais",
		"voglio", "vorrei", "contattare", "chiamare", "quero", "queria", "preciso", "gostaria", "wil", "wilt"}
	// germanVerbs are German verbs of talking or being put through. German
	// puts them last ("bitte an einen Menschen weiterleiten"), so they
	// ask for whoever comes before them, as well as after.
	germanVerbs = []string{"sprechen", "verbinden", "weiterleiten", "durchstellen", "reden", "ubergeben", "uebergeben",
		"spreken", "praten", "doorverbinden", "doorverbonden"} // Dutch puts them last too
)

// shortFiller may stand next to a handoff noun in a message that is only
// a request ("Agent please", "HUMAN NOW", "real person!").
var shortFiller = toWordSet("a an the please pls plz now real live actual me to with i want need can could would like "+
	"support customer service team human agent person someone somebody representative operator staff "+
	"talk speak chat connect transfer ok just yes an actual "+
	"bitte sofort jetzt ein einen einem mit ich por favor ahora un una con svp s'il vous plait avec je maintenant "+
	"per favore subito adesso ora voglio vorrei agora quero eu um graag nu een wil", nil)

// identityOpeners start questions about who is answering ("are you a
// human?", "is a human reading this?"), which are not requests.
var identityOpeners = []string{
	"are you", "r u", "are u", "is this", "is a", "is there a human reading", "is anyone reading", "is someone reading",
	"am i talking", "am i speaking", "am i chatting", "who am i talking", "who am i speaking", "is it a", "was that a",
}

// canTalkFiller may stand between someone to talk to and the verb of
// talking ("someone I can talk to", "anyone here we could speak with").
var (
	canTalkFiller = toWordSet("i we can could may might here", nil)
	modals        = toWordSet("can could may might", nil)
)

// objectFirst are verbs of being put through only with whom or what is
// put through next ("put me through", "transfer this chat"): "how many
// schools can I put down for reception" asked for no receptionist.
var (
	objectFirst = toWordSet("put pass hand switch forward transfer", nil)
	objects     = toWordSet("me us this it", nil)
)

// possessives before a noun make it the user's own people ("my
// manager", "our staff"), not the help centre's.
var possessives = toWordSet("my our his her their mein meine meinem meinen unser unsere mon ma mes notre nos mi mis nuestro nuestra mio mia miei nostro nostra meu minha mijn mn onze", nil)

// determiners before a verb-looking word make it a noun ("my chat").
var determiners = toWordSet("a an the my your our their his her this that these those live", nil)

// negations before a request cancel it ("I don't need a human").
var negations = toWordSet("don't dont not no never without nobody nicht kein keine keinen nein pas jamais non nao nunca niet geen nee", nil)

// phrases that ask for a human on their own.
// ("customer service" and "support team" are not among them: "what are
// your customer service hours?" is a question the articles answer).
var handoffPhrases = []string{
	"real person", "live person", "actual person", "live agent", "human agent", "real human", "human being",
	"human there", "human here", "human available", "agent available", "person available",
	"call me back", "ring me back", "phone me back",
	"persona real", "agente humano", "vraie personne", "personne reelle", "agent humain",
	"en relation avec", "vrai agent", "vrai conseiller",
	// German puts the verb last: "mit einem Mitarbeiter sprechen".
	"mitarbeiter sprechen", "menschen sprechen", "mensch sprechen", "person sprechen", "mitarbeiter verbinden",
	"menschen verbinden", "echten menschen", "echter mensch", "keinen bot", "kein bot", "keinen roboter",
	"nicht den bot", "nicht mit dem bot",
	"persona vera", "persona reale", "essere umano", "un umano", "operatore umano", "in contatto con",
	"basta con il bot", "basta bot",
	"pessoa de verdade", "pessoa real", "ser humano", "atendente humano", "falar com humano", "com um humano",
	"echt mens", "echte medewerker", "echte persoon", "aan de lijn", "met een mens",
}

func toWordSet(s string, set map[string]bool) map[string]bool {
	if set == nil {
		set = make(map[string]bool)
	}
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// WantsHuman reports whether text asks to talk to a human agent: a
// request verb followed by someone to talk to ("can I speak to a real
// person", "connect me with an agent"), a known phrase ("customer
// service", "representative"), or a short message that is only the
// request ("HUMAN", "agent pls"). Spelling slips in the longer keywords
// are tolerated ("humna", "represenative"). Questions about who is
// answering ("are you a human?", "is a human reading this?") and negated
// requests ("I don't need an agent") are not requests.
func WantsHuman(text string) bool {
	if len(text) > 2000 {
		return false // a request for a human is short; long text is a question
	}
	// Each sentence on its own, so that "Nobody answers. Get me someone!"
	// is not read as a negated request.
	// Users rarely capitalise, so any '.', '!', '?' or ';' ends a clause.
	clauses := strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == ';' || r == '\n' })
	m := matcher{real: realWordsIn[knowledge.LanguageOf(text)]}
	for _, s := range clauses {
		if m.sentenceWantsHuman(s) {
			return true
		}
	}
	return false
}

// A matcher finds keywords in the words of one message, allowing for
// spelling slips but not for the real words of the message's language.
type matcher struct {
	real map[string]bool // words of the message's language one slip from a keyword
}

func (m matcher) sentenceWantsHuman(text string) bool {
	// part[i] is the index of the first word of word i's part of the
	// sentence between commas.
	var words []string
	var part []int
	for _, p := range strings.Split(text, ",") {
		start := len(words)
		for _, w := range grounding.Words(p) {
			words = append(words, w)
			part = append(part, start)
		}
	}
	if len(words) == 0 || len(words) > 60 {
		return false
	}
	lower := " " + strings.Join(words, " ") + " "
	for _, o := range identityOpeners {
		if strings.HasPrefix(lower, " "+o+" ") {
			// "Are you able to connect me to a human?" is still a request.
			if !(m.hasRequestVerb(words) && strings.Contains(lower, " me ")) {
				return false
			}
		}
	}
	var nouns []int // indexes of strong (>0) and weak nouns
	strong := make(map[int]bool)
	for i, w := range words {
		switch {
		case m.inList(w, strongNouns):
			nouns = append(nouns, i)
			strong[i] = true
		case m.inList(w, weakNouns) && (i+1 == len(words) || words[i+1] != "else"):
			// "pass the ticket on to someone else" names a third party.
			nouns = append(nouns, i)
		}
		if i > 0 && possessives[words[i-1]] && len(nouns) > 0 && nouns[len(nouns)-1] == i {
			nouns = nouns[:len(nouns)-1] // "talk to my manager" names the user's own
		}
	}
	// Short messages that are only a request.
	if len(nouns) > 0 && len(words) <= 5 {
		only := true
		for _, w := range words {
			if !shortFiller[w] && !m.inList(w, strongNouns) && !m.inList(w, weakNouns) {
				only = false
				break
			}
		}
		if only {
			return true
		}
	}
	// negated reports whether one of the three words before at negates
	// it ("I don't need an agent"), after a comma only: "não quero robô,
	// quero atendimento humano" asks for a human.
	negated := func(at int) bool { return negatedIn(words[max(part[at], at-3):at]) }
	for _, p := range handoffPhrases {
		if i := m.phraseAt(words, p); i >= 0 && !negated(i) {
			return true
		}
	}
	// Someone to talk to, then who can talk to them: "is there someone I
	// can talk to?" (not "someone put my bed together").
	for _, n := range nouns {
		if n > 0 && negated(n) {
			continue
		}
		modal := false
		for v := n + 1; v < len(words) && v <= n+4; v++ {
			if modal && m.isVerb(words[v], strongVerbs) {
				return true
			}
			if !canTalkFiller[words[v]] {
				break
			}
			modal = modal || modals[words[v]]
		}
	}
	// A German verb of talking with someone to talk to up to four words
	// before it: "ich möchte mit einem Kundenberater sprechen".
	for i, w := range words {
		if !m.isVerb(w, germanVerbs) {
			continue
		}
		for _, n := range nouns {
			if d := i - n; d > 0 && d <= 4 && !negated(n) {
				return true
			}
		}
	}
	// A verb of talking with anyone to talk to within eight words, or a
	// verb of asking with an agent within four.
	for i, w := range words {
		if negated(i) {
			continue
		}
		sv, wv := m.isVerb(w, strongVerbs) || m.isVerb(w, germanVerbs), m.isVerb(w, weakVerbs)
		if !sv && !wv || i > 0 && determiners[words[i-1]] {
			continue // "my chat with support" names a thing
		}
		if sv && objectFirst[w] && (i+1 == len(words) || !objects[words[i+1]]) {
			continue // "can i put down 3 schools for reception"
		}
		// "get me someone", "give me a person": a weak verb and "me" ask
		// for whoever comes next.
		forMe := wv && i+1 < len(words) && (words[i+1] == "me" || words[i+1] == "mir")
		for _, n := range nouns {
			d := n - i
			if d == 1 && sv && !strong[n] {
				continue // "chat support" names a service
			}
			if d > 0 && (sv && d <= 8 || wv && strong[n] && d <= 4 || forMe && d <= 3) && !negatedIn(words[i+1:n]) {
				return true
			}
		}
	}
	return false
}

// negatedIn reports whether words hold a negation: between a verb and
// whom it asks for, as German puts it ("ich möchte nicht mit einem
// Menschen sprechen").
func negatedIn(words []string) bool {
	for _, w := range words {
		if negations[w] || strings.HasSuffix(w, "n't") {
			return true
		}
	}
	return false
}

func (m matcher) hasRequestVerb(words []string) bool {
	for _, w := range words {
		if m.isVerb(w, strongVerbs) || m.isVerb(w, germanVerbs) {
			return true
		}
	}
	return false
}

// isVerb reports whether w is one of verbs, inflected or slightly
// misspelt.
func (m matcher) isVerb(w string, verbs []string) bool {
	for _, v := range verbs {
		if w == v || w == v+"ing" || w == v+"ed" || m.near(w, v) {
			return true
		}
	}
	return false
}

// inList reports whether w is one of list or a spelling slip of one.
func (m matcher) inList(w string, list []string) bool {
	for _, n := range list {
		if w == n || m.near(w, n) {
			return true
		}
	}
	return false
}

// phraseAt returns the index of the first word of phrase p in words,
// allowing a spelling slip in each word, or -1.
func (m matcher) phraseAt(words []string, p string) int {
	pw := strings.Fields(p)
	for i := 0; i+len(pw) <= len(words); i++ {
		ok := true
		for k, w := range pw {
			if words[i+k] != w && !m.near(words[i+k], w) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// realWords are English words one slip from a keyword, found among the
// 60,000 commonest words of an English vocabulary (GloVe's): they are
// what the user meant: "can people still get their stuff out" asks for
// no staff, and "I managed to pay" for no manager. They are never
// slips; the other languages' real words (realWordsIn) are not slips in
// a message written in that language.
var realWords = toWordSet("stuff stiff manage managed manages manger humane peak sneak steak spear speck "+
	"each beach teach breach react peach preach refer contract employed employer constant "+
	"witch stitch swatch twitch superior supervise supervised supervises supervision "+
	"advise advised advises advisory personal personnel passed passes parker parlor paler agence", nil)

// near reports whether w is a spelling slip of keyword k: one edit
// (insertion, deletion, substitution or swap of neighbours) for keywords
// of five to eight letters, two for longer ones. Shorter keywords must
// match exactly, since one edit turns them into other words. A real word
// (realWords, m.real) is what the user meant.
func (m matcher) near(w, k string) bool {
	if realWords[w] || m.real[w] {
		return false
	}
	return slip(w, k)
}

// slip is near without the exceptions: whether w is within the edits
// allowed of k.
func slip(w, k string) bool {
	allowed := 0
	switch {
	case len(k) >= 9:
		allowed = 2
	case len(k) >= 5:
		allowed = 1
	}
	if allowed == 0 || abs(len(w)-len(k)) > allowed || len(w) < 4 {
		return false
	}
	return knowledge.EditDistance(w, k, allowed) <= allowed
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

package conversation

import (
	"strings"

	"github.com/switchboard/switchboard/conversation/grounding"
)

// Small talk: messages that are only a greeting, thanks, a goodbye or a
// question about the bot itself. They are not questions for the help
// centre: searching it for "hi" or "thanks!" found nothing, so the bot
// said it did not know, and two such messages in a row handed a polite
// user to a human (answer.max_fallbacks).
const (
	GreetingText = "Hi! I'm the help-centre assistant. Ask me a question and I'll answer from our help articles."
	ThanksText   = "You're welcome! Is there anything else I can help with?"
	GoodbyeText  = "Goodbye! If you have another question, just ask."
	DeclinedText = "No problem. Is there anything else I can help with?"
	IdentityText = "I'm an automated assistant: I answer questions from our help-centre articles and tell you which article " +
		"each answer comes from. If I don't know, I say so. Say \"talk to a human\" at any time to reach our support team."
)

// A talk is a kind of small-talk word; a message's kinds are or-ed.
type talk int

const (
	talkGreeting talk = 1 << iota
	talkThanks
	talkGoodbye
)

// talkWords are the words that make a message small talk, each with its
// kind; a message is small talk when it has one of them and every other
// word is one of them or a filler.
var talkWords = map[string]talk{
	"hi": talkGreeting, "hello": talkGreeting, "hey": talkGreeting, "hiya": talkGreeting, "heya": talkGreeting,
	"howdy": talkGreeting, "greetings": talkGreeting, "morning": talkGreeting, "afternoon": talkGreeting, "evening": talkGreeting,
	"thanks": talkThanks, "thank": talkThanks, "thx": talkThanks, "ty": talkThanks, "cheers": talkThanks,
	"appreciated": talkThanks, "helpful": talkThanks, "helped": talkThanks,
	"bye": talkGoodbye, "goodbye": talkGoodbye, "goodnight": talkGoodbye, "cya": talkGoodbye, "later": talkGoodbye, "farewell": talkGoodbye,
	// Spanish, French and German (folded: "adiós" is "adios").
	"hola": talkGreeting, "buenas": talkGreeting, "buenos": talkGreeting, "gracias": talkThanks, "adios": talkGoodbye,
	"bonjour": talkGreeting, "bonsoir": talkGreeting, "salut": talkGreeting, "merci": talkThanks, "revoir": talkGoodbye,
	"hallo": talkGreeting, "moin": talkGreeting, "servus": talkGreeting, "danke": talkThanks, "tschuss": talkGoodbye,
	"wiedersehen": talkGoodbye,
}

// talkFillers may stand next to talkWords ("hi there", "thanks a lot,
// that's great", "have a nice day").
var talkFillers = toWordSet("a an the there you u all team everyone folks guys bot so very much many lot lots "+
	"ok okay great perfect cool awesome brilliant lovely nice good super that that's it this was is for your help "+
	"again see have day night weekend care take now then and oh ah well just really "+
	"dias tardes noches muchas mil muy amable au beaucoup bien guten tag morgen abend vielen dank schon", nil)

// identityQuestions ask what the bot is or can do.
var identityQuestions = []string{
	"who are you", "what are you", "what can you do", "what do you do", "how can you help", "what can i ask",
	"what can i ask you", "are you a bot", "are you a robot", "are you human", "are you a human", "are you real",
	"are you a person", "is this a bot", "am i talking to a bot", "what is this",
	"eres un bot", "eres un robot", "eres humano", "eres una persona", "quien eres",
	"tu es un robot", "es tu un robot", "etes vous un robot", "qui es tu", "qui etes vous",
	"bist du ein bot", "bist du ein roboter", "bist du ein mensch", "wer bist du",
}

// SmallTalk returns the reply to a message that is only small talk, and
// whether it is. A message that asks anything else ("hi, how do I reset
// my password?") is not, and goes to the help centre as a question.
func SmallTalk(text string) (string, bool) {
	if len(text) > 200 {
		return "", false
	}
	words := grounding.Words(strings.ToLower(text))
	if len(words) == 0 || len(words) > 10 {
		return "", false
	}
	// "hi, what can you do?": a greeting may open a question about the bot.
	rest := words
	for len(rest) > 0 && (talkWords[rest[0]] == talkGreeting || talkFillers[rest[0]]) {
		rest = rest[1:]
	}
	texts := TextsFor(text)
	joined := strings.Join(rest, " ")
	for _, q := range identityQuestions {
		if joined == q || strings.HasPrefix(joined, q+" ") && onlyFillers(rest[len(strings.Fields(q)):]) {
			return texts.Identity, true
		}
	}
	var kinds talk
	for _, w := range words {
		switch k, ok := talkWords[w]; {
		case ok:
			kinds |= k
		case !talkFillers[w]:
			return "", false
		}
	}
	switch {
	case kinds&talkGoodbye != 0:
		return texts.Goodbye, true
	case kinds&talkThanks != 0:
		return texts.Thanks, true
	case kinds&talkGreeting != 0:
		return texts.Greeting, true
	}
	return "", false
}

// onlyFillers reports whether every word is a filler or a small-talk word.
func onlyFillers(words []string) bool {
	for _, w := range words {
		if _, ok := talkWords[w]; !ok && !talkFillers[w] {
			return false
		}
	}
	return true
}

// withoutGreeting returns text without a greeting that opens it ("Good
// morning, I'm a student, do I get a discount?"): searched for, its
// words ("morning") counted as terms the articles lack, and a question
// the articles answer fell back.
func withoutGreeting(text string) string {
	i := strings.IndexAny(text, ",!.:;")
	if i < 0 {
		return text
	}
	rest := strings.TrimSpace(text[i+1:])
	words := grounding.Words(strings.ToLower(text[:i]))
	if rest == "" || len(words) == 0 || len(words) > 4 {
		return text
	}
	greeting := false
	for _, w := range words {
		switch {
		case talkWords[w] == talkGreeting:
			greeting = true
		case !talkFillers[w]:
			return text
		}
	}
	if !greeting {
		return text
	}
	return rest
}

// An answer is what a reply to a yes-or-no question says.
type answer int

const (
	neither answer = iota
	yes
	no
)

// yesWords and denials answer a yes-or-no question on their own, with
// noWords and talkFillers around them ("yes please", "ok go ahead", "no
// thanks, I'm fine").
var (
	yesWords = toWordSet("yes yeah yea yeh yep yup ya sure ok okay please pls plz go ahead do it y alright "+
		"certainly absolutely definitely course si vale claro oui ja gerne bitte", nil)
	denials = toWordSet("no nope nah not n non nein", nil)
	noWords = toWordSet("now thanks thank i'm im fine don't dont gracias merci danke por favor", nil)
	// answerFillers stand around a yes or a no ("go on then", "yes I
	// would", "of course").
	answerFillers = toWordSet("on i would like to of me", nil)
)

// answers says whether text, as a whole, says yes or no.
func answers(text string) answer {
	words := grounding.Words(strings.ToLower(text))
	if len(words) == 0 || len(words) > 6 {
		return neither
	}
	say := neither
	for _, w := range words {
		switch {
		case denials[w]:
			say = no
		case yesWords[w] && say != no:
			say = yes
		case !yesWords[w] && !noWords[w] && !denials[w] && !talkFillers[w] && !answerFillers[w]:
			return neither
		}
	}
	return say
}

// offeredHuman reports whether the bot's last reply was the fallback,
// which offers a human agent.
func offeredHuman(history []Turn) bool {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "assistant" {
			return offersHuman(history[i].Text)
		}
	}
	return false
}

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
	// AnythingElseText answers an acknowledgement ("ok", "cool", "got
	// it"): searched for, "cool" found the cooling-off period.
	AnythingElseText = "Is there anything else I can help with?"
	// UnhelpfulText answers a user who says the answer missed ("that
	// didn't answer my question"), and offers a human as the fallback does.
	UnhelpfulText = "I'm sorry that didn't help. You could put the question another way, or I can connect you with a human agent: just say \"talk to a human\"."
	IdentityText  = "I'm an automated assistant: I answer questions from our help-centre articles and tell you which article " +
		"each answer comes from. If I don't know, I say so. Say \"talk to a human\" at any time to reach our support team."
)

// A talk is a kind of small-talk word; a message's kinds are or-ed.
type talk int

const (
	talkGreeting talk = 1 << iota
	talkThanks
	talkGoodbye
	talkAck // "ok", "cool", "got it": the user read the answer
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
	"ok": talkAck, "okay": talkAck, "k": talkAck, "kk": talkAck, "cool": talkAck, "great": talkAck, "perfect": talkAck,
	"nice": talkAck, "awesome": talkAck, "brilliant": talkAck, "lovely": talkAck, "alright": talkAck, "fine": talkAck,
	"good": talkAck, "super": talkAck, "understood": talkAck, "noted": talkAck, "gotcha": talkAck, "got": talkAck,
	"sense": talkAck, "sounds": talkAck, "fair": talkAck, "enough": talkAck,
	"brill": talkAck, "worries": talkAck, "ta": talkThanks, "helps": talkThanks, "thankyou": talkThanks,
	// Spanish, French and German, folded ("adiós" is "adios", "schön"
	// "schon"), German also as typed without umlauts ("schoen").
	"hola": talkGreeting, "buenas": talkGreeting, "buenos": talkGreeting, "gracias": talkThanks, "adios": talkGoodbye,
	"luego": talkGoodbye, "chao": talkGoodbye, "vale": talkAck, "perfecto": talkAck, "genial": talkAck,
	"entendido": talkAck, "acuerdo": talkAck,
	"bonjour": talkGreeting, "bonsoir": talkGreeting, "salut": talkGreeting, "merci": talkThanks, "revoir": talkGoodbye,
	"bientot": talkGoodbye, "parfait": talkAck, "d'accord": talkAck, "daccord": talkAck, "compris": talkAck, "entendu": talkAck,
	"hallo": talkGreeting, "moin": talkGreeting, "servus": talkGreeting, "morgen": talkGreeting, "tag": talkGreeting,
	"abend": talkGreeting, "gruss": talkGreeting, "grusse": talkGreeting, "gruess": talkGreeting, "gruesse": talkGreeting,
	"danke": talkThanks, "dank": talkThanks, "geholfen": talkThanks, "dankeschon": talkThanks, "dankeschoen": talkThanks,
	"tschuss": talkGoodbye, "tschuess": talkGoodbye, "tschau": talkGoodbye, "wiedersehen": talkGoodbye,
	"wiederhoren": talkGoodbye, "wiederhoeren": talkGoodbye, "bald": talkGoodbye, "schonen": talkGoodbye, "schoenen": talkGoodbye,
	"klar": talkAck, "prima": talkAck, "verstanden": talkAck, "passt": talkAck, "gut": talkAck,
	// Italian "ciao" opens a chat more often than it ends one (German
	// "ciao" says goodbye, but "tschüss" is commoner).
	"ciao": talkGreeting, "buongiorno": talkGreeting, "buonasera": talkGreeting, "salve": talkGreeting,
	"grazie": talkThanks, "arrivederci": talkGoodbye, "presto": talkGoodbye, "perfetto": talkAck, "capito": talkAck,
	"ottimo": talkAck, "bene": talkAck, "chiaro": talkAck, "d'accordo": talkAck, "daccordo": talkAck,
	// Brazilian Portuguese, folded ("olá" is "ola").
	"oi": talkGreeting, "ola": talkGreeting, "bom": talkGreeting, "boa": talkGreeting, "obrigado": talkThanks,
	"obrigada": talkThanks, "brigado": talkThanks, "brigada": talkThanks, "valeu": talkThanks, "tchau": talkGoodbye,
	"beleza": talkAck, "blz": talkAck, "certo": talkAck, "entendi": talkAck, "perfeito": talkAck, "otimo": talkAck,
	// Dutch.
	"hoi": talkGreeting, "goedemorgen": talkGreeting, "goedemiddag": talkGreeting, "goedenavond": talkGreeting,
	"bedankt": talkThanks, "dankjewel": talkThanks, "dankuwel": talkThanks, "doei": talkGoodbye, "ziens": talkGoodbye,
	"oke": talkAck, "top": talkAck, "helder": talkAck, "duidelijk": talkAck, "begrepen": talkAck, "goed": talkAck,
}

// talkFillers may stand next to talkWords ("hi there", "thanks a lot,
// that's great", "have a nice day", "bis bald", "vielen Dank").
var talkFillers = toWordSet("a an the there you u all team everyone folks guys bot so very much many lot lots "+
	"that that's it this was is for your help again see have day night weekend care take now then and oh ah well "+
	"just really i makes sounds one x xx anyway no "+
	"dias tardes noches muchas mil muy amable hasta pronto de "+
	"au beaucoup bien tres bonne journee soiree tout le monde a "+
	"guten vielen schon schoen sehr noch auf bis dann spater spaeter herzlichen besten lieben liebe viele gott alles "+
	"euch ihnen dir und wochenende das hat mir "+
	"buona buon giornata serata mille tante molte davvero tutto va e "+
	"dia tarde noite muito muita pela ajuda mesmo demais entao "+
	"wel heel erg hartelijk fijne tot zo jullie voor hulp is", nil)

// filler reports whether w may stand next to small talk without making
// it a question: a filler or an acknowledgement ("good morning").
func filler(w string) bool {
	return talkFillers[w] || talkWords[w] == talkAck
}

// howAreYou asks after the bot, as people open a chat: answered with
// the greeting.
var howAreYou = []string{
	"how are you", "how are u", "how r u", "how are you doing", "how's it going", "hows it going", "how do you do",
	"como estas", "como esta", "que tal", "comment ca va", "comment allez vous", "ca va",
	"wie geht es dir", "wie geht es ihnen", "wie geht's", "wie gehts", "wie geht es euch",
	"come stai", "come sta", "come va",
	"tudo bem", "tudo bom", "como vai", "como voce esta", "como vc esta",
	"hoe gaat het", "hoe gaat het met je", "hoe gaat het met u", "hoe is het", "alles goed",
}

// unhelpful are what users say when an answer missed. A message that is
// one of them, with only fillers around it ("no, that's not what I
// asked"), is answered with UnhelpfulText; searched for, "that didn't
// answer my question" was answered with a sentence about answering.
var unhelpful = []string{
	"didn't answer", "didnt answer", "did not answer", "doesn't answer", "doesnt answer", "does not answer",
	"not what i asked", "not what i meant", "not what i mean", "not my question", "wrong answer", "not helpful",
	"unhelpful", "doesn't help", "doesnt help", "didn't help", "didnt help", "did not help", "not helping", "useless",
	"makes no sense", "not right", "not correct", "incorrect", "no help", "you don't understand", "you dont understand",
	"hilft nicht", "hilft mir nicht", "falsche antwort", "nicht gefragt", "nicht meine frage", "bringt nichts",
	"ne repond pas", "pas ce que j'ai demande", "pas ma question", "ne m'aide pas", "mauvaise reponse",
	"no me ayuda", "no es lo que pregunte", "no es mi pregunta", "respuesta incorrecta", "no sirve",
	"non hai risposto", "non mi hai risposto", "non risponde", "non e quello che ho chiesto", "non e la mia domanda",
	"risposta sbagliata", "non mi aiuta", "non serve a niente",
	"nao respondeu", "nao ajudou", "nao e isso", "nao era isso", "nao foi isso que perguntei", "resposta errada",
	"helpt niet", "geen antwoord op mijn vraag", "niet wat ik vroeg", "verkeerd antwoord", "niet mijn vraag", "slaat nergens op",
}

// unhelpfulFillers may stand around one of unhelpful.
var unhelpfulFillers = toWordSet("no nope that thats that's this it its it's your the my answer reply question me at all "+
	"sorry but still even totally completely really again you i am is was what "+
	"das ist die deine antwort meine frage mir war aber leider nein "+
	"ce c'est ca ta votre reponse ma question mais non "+
	"eso esto es tu su respuesta mi pregunta pero "+
	"alla mia domanda questa risposta ma "+
	"voce vc minha pergunta essa resposta mas "+
	"dit dat is je jouw uw antwoord vraag maar", nil)

// identityQuestions ask what the bot is or can do.
var identityQuestions = []string{
	"who are you", "what are you", "what can you do", "what do you do", "how can you help", "what can i ask",
	"what can i ask you", "are you a bot", "are you a robot", "are you human", "are you a human", "are you real",
	"are you a person", "is this a bot", "am i talking to a bot", "what is this",
	"eres un bot", "eres un robot", "eres humano", "eres una persona", "quien eres",
	"tu es un robot", "es tu un robot", "etes vous un robot", "qui es tu", "qui etes vous",
	"bist du ein bot", "bist du ein roboter", "bist du ein mensch", "wer bist du",
	"sei un bot", "sei un robot", "sei umano", "sei una persona", "chi sei", "sei una persona vera",
	"voce e um robo", "vc e um robo", "voce e um bot", "vc e um bot", "e um robo", "e um bot", "quem e voce", "quem e vc",
	"voce e humano", "vc e humano",
	"ben je een bot", "ben jij een bot", "ben je een robot", "ben jij een robot", "ben je een mens", "ben jij een mens",
	"wie ben jij", "wie ben je", "is dit een bot",
}

// SmallTalk returns the reply, in texts, to a message that is only small
// talk, and whether it is: a greeting or "how are you?", thanks, a
// goodbye, a question about the bot, an acknowledgement ("ok", "got it",
// "yes" when nothing was asked), or a complaint that the answer missed.
// A message that asks anything else ("hi, how do I reset my password?")
// is not, and goes to the help centre as a question.
func SmallTalk(text string, texts Texts) (string, bool) {
	if len(text) > 200 {
		return "", false
	}
	words := grounding.Words(strings.ToLower(text))
	if len(words) == 0 || len(words) > 10 {
		return "", false
	}
	// "hi, what can you do?": a greeting may open a question about the bot.
	rest := words
	for len(rest) > 0 && (talkWords[rest[0]] == talkGreeting || filler(rest[0])) {
		rest = rest[1:]
	}
	if isPhrase(rest, identityQuestions) {
		return texts.Identity, true
	}
	if isPhrase(rest, howAreYou) {
		return texts.Greeting, true
	}
	if isUnhelpful(words) {
		return texts.Unhelpful, true
	}
	if answers(text) != neither && !thanks(words) {
		// "yes" or "no" to nothing the bot asked: the offer of a human is
		// dealt with before small talk. With thanks ("no worries,
		// thanks anyway") it is thanked below.
		return texts.AnythingElse, true
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
	case kinds&talkAck != 0:
		return texts.AnythingElse, true
	}
	return "", false
}

// thanks reports whether one of words thanks.
func thanks(words []string) bool {
	for _, w := range words {
		if talkWords[w] == talkThanks {
			return true
		}
	}
	return false
}

// isPhrase reports whether words are one of phrases, with only fillers
// after it.
func isPhrase(words []string, phrases []string) bool {
	joined := strings.Join(words, " ")
	for _, p := range phrases {
		if joined == p || strings.HasPrefix(joined, p+" ") && onlyFillers(words[len(strings.Fields(p)):]) {
			return true
		}
	}
	return false
}

// isUnhelpful reports whether words say that the answer missed, and
// nothing else.
func isUnhelpful(words []string) bool {
	joined := " " + strings.Join(words, " ") + " "
	for _, p := range unhelpful {
		i := strings.Index(joined, " "+p+" ")
		if i < 0 {
			continue
		}
		others := strings.Fields(joined[:i] + " " + joined[i+len(p)+2:])
		for _, w := range others {
			if !unhelpfulFillers[w] && !talkFillers[w] {
				return false
			}
		}
		return true
	}
	return false
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
		case !filler(w):
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
		"certainly absolutely definitely course si vale claro oui ja gerne bitte certo volentieri sim pode graag", nil)
	denials = toWordSet("no nope nah not n non nein later nao nee", nil)
	noWords = toWordSet("now thanks thank i'm im fine don't dont gracias merci danke por favor grazie per obrigado obrigada valeu bedankt", nil)
	// answerFillers stand around a yes or a no ("go on then", "yes I
	// would", "of course").
	answerFillers = toWordSet("on i would like to of me be maybe connect transfer put through pass", nil)
)

// answers says whether text, as a whole, says yes or no.
func answers(text string) answer {
	words := grounding.Words(strings.ToLower(text))
	if len(words) == 0 || len(words) > 6 {
		return neither
	}
	say := neither
	onlyOK, thanked := true, false // "ok thanks" acknowledges; it is no yes
	for _, w := range words {
		switch {
		case denials[w]:
			say = no
		case yesWords[w] && say != no:
			say = yes
			onlyOK = onlyOK && (w == "ok" || w == "okay")
		case !yesWords[w] && !noWords[w] && !denials[w] && !filler(w) && !answerFillers[w]:
			return neither
		}
		thanked = thanked || talkWords[w] == talkThanks
	}
	if say == yes && onlyOK && thanked {
		return neither
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

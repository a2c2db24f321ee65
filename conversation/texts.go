package conversation

import (
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// Texts are the bot's own replies, the ones no article supplies: the
// fallback, the handoff and the small talk.
type Texts struct {
	Fallback string // the honest "I don't know", with the offer of a human
	Handoff  string // a human takes over
	// Sorry opens the fallback that hands over (too many in a row).
	Sorry                                         string
	Greeting, Thanks, Goodbye, Declined, Identity string
	AnythingElse                                  string // after an acknowledgement
	Unhelpful                                     string // the answer missed; offers a human
	// HumanHandling and RateLimited tell why a message gets no reply (see
	// Refusal).
	HumanHandling, RateLimited string
}

// FallbackHandoff is the reply of a fallback that hands the session over.
func (t Texts) FallbackHandoff() string { return t.Sorry + t.Handoff }

// textsByLanguage holds the Texts by ISO 639-1 code. The articles answer
// in their own language; these are in the user's, for the languages whose
// articles the index reads (knowledge.LanguageOf): a Spanish "hola" was
// greeted with "I'm sorry, I don't know the answer to that", in English.
// Each fallback names the words that ask for a human in its language,
// which WantsHuman recognises.
var textsByLanguage = map[string]Texts{
	"en": {
		Fallback: FallbackText, Handoff: HandoffText, Sorry: "I'm sorry, I don't know the answer to that. ",
		Greeting: GreetingText, Thanks: ThanksText, Goodbye: GoodbyeText, Declined: DeclinedText, Identity: IdentityText,
		AnythingElse: AnythingElseText, Unhelpful: UnhelpfulText,
		HumanHandling: HumanHandlingText, RateLimited: RateLimitedText,
	},
	"es": {
		Fallback:      "Lo siento, no sé la respuesta y prefiero no adivinar. ¿Quiere que le ponga en contacto con una persona de nuestro equipo? Solo tiene que escribir «hablar con una persona».",
		Handoff:       "Paso esta conversación a una persona de nuestro equipo de atención al cliente. Le responderá aquí lo antes posible; mientras tanto, no diré nada más.",
		Sorry:         "Lo siento, no sé la respuesta. ",
		Greeting:      "¡Hola! Soy el asistente del centro de ayuda. Hágame una pregunta y le responderé con nuestros artículos de ayuda.",
		Thanks:        "¡De nada! ¿Puedo ayudarle en algo más?",
		Goodbye:       "¡Adiós! Si tiene otra pregunta, escríbame.",
		Declined:      "De acuerdo. ¿Puedo ayudarle en algo más?",
		AnythingElse:  "¿Puedo ayudarle en algo más?",
		HumanHandling: "Una persona de nuestro equipo lleva esta conversación y le responderá aquí.",
		RateLimited:   "Está enviando mensajes más rápido de lo que puedo responder. Espere un minuto y vuelva a intentarlo.",
		Unhelpful:     "Siento que no le haya servido. Puede formular la pregunta de otra manera, o puedo ponerle en contacto con una persona de nuestro equipo: escriba «hablar con una persona».",
		Identity: "Soy un asistente automático: respondo con los artículos de nuestro centro de ayuda y le digo de qué artículo sale cada respuesta. " +
			"Si no lo sé, lo digo. Escriba «hablar con una persona» en cualquier momento para contactar con nuestro equipo.",
	},
	"fr": {
		Fallback:      "Désolé, je ne connais pas la réponse et je préfère ne pas deviner. Voulez-vous que je vous mette en relation avec un conseiller ? Écrivez simplement « parler à un conseiller ».",
		Handoff:       "Je transmets cette conversation à un conseiller de notre équipe. Il vous répondra ici dès que possible ; d'ici là, je ne dirai plus rien.",
		Sorry:         "Désolé, je ne connais pas la réponse. ",
		Greeting:      "Bonjour ! Je suis l'assistant du centre d'aide. Posez-moi une question et je vous répondrai à partir de nos articles d'aide.",
		Thanks:        "Je vous en prie ! Puis-je vous aider pour autre chose ?",
		Goodbye:       "Au revoir ! Si vous avez une autre question, écrivez-moi.",
		Declined:      "Très bien. Puis-je vous aider pour autre chose ?",
		AnythingElse:  "Puis-je vous aider pour autre chose ?",
		HumanHandling: "Un conseiller de notre équipe a repris cette conversation ; il vous répondra ici.",
		RateLimited:   "Vous envoyez des messages plus vite que je ne peux répondre. Patientez une minute et réessayez.",
		Unhelpful:     "Désolé de ne pas avoir pu vous aider. Vous pouvez reformuler votre question, ou je peux vous mettre en relation avec un conseiller : écrivez « parler à un conseiller ».",
		Identity: "Je suis un assistant automatique : je réponds à partir des articles de notre centre d'aide et je vous indique de quel article vient chaque réponse. " +
			"Si je ne sais pas, je le dis. Écrivez « parler à un conseiller » à tout moment pour joindre notre équipe.",
	},
	"it": {
		Fallback:      "Mi dispiace, non conosco la risposta e preferisco non tirare a indovinare. Vuole che la metta in contatto con un operatore? Scriva semplicemente «parlare con un operatore».",
		Handoff:       "Passo questa conversazione a un operatore del nostro servizio clienti. Le risponderà qui appena possibile; nel frattempo non scriverò altro.",
		Sorry:         "Mi dispiace, non conosco la risposta. ",
		Greeting:      "Buongiorno! Sono l'assistente del centro assistenza. Mi faccia una domanda e le risponderò con i nostri articoli.",
		Thanks:        "Prego! Posso aiutarla in qualcos'altro?",
		Goodbye:       "Arrivederci! Se ha un'altra domanda, mi scriva pure.",
		Declined:      "Va bene. Posso aiutarla in qualcos'altro?",
		AnythingElse:  "Posso aiutarla in qualcos'altro?",
		HumanHandling: "Un operatore del nostro servizio clienti ha preso in carico questa conversazione e le risponderà qui.",
		RateLimited:   "Sta inviando messaggi più velocemente di quanto io riesca a rispondere. Attenda un minuto e riprovi.",
		Unhelpful:     "Mi dispiace che la risposta non l'abbia aiutata. Può riformulare la domanda, oppure posso metterla in contatto con un operatore: scriva «parlare con un operatore».",
		Identity: "Sono un assistente automatico: rispondo con gli articoli del nostro centro assistenza e le indico da quale articolo viene ogni risposta. " +
			"Se non so una cosa, lo dico. Scriva «parlare con un operatore» in qualsiasi momento per contattare il nostro servizio clienti.",
	},
	"pt": {
		Fallback:      "Desculpe, não sei a resposta e prefiro não arriscar. Quer que eu transfira você para um atendente? É só escrever «falar com um atendente».",
		Handoff:       "Vou transferir esta conversa para um atendente da nossa equipe. Ele vai responder aqui assim que possível; até lá, não vou dizer mais nada.",
		Sorry:         "Desculpe, não sei a resposta. ",
		Greeting:      "Olá! Sou o assistente da central de ajuda. Faça uma pergunta e eu respondo com base nos nossos artigos.",
		Thanks:        "De nada! Posso ajudar em mais alguma coisa?",
		Goodbye:       "Tchau! Se tiver outra dúvida, é só escrever.",
		Declined:      "Tudo bem. Posso ajudar em mais alguma coisa?",
		AnythingElse:  "Posso ajudar em mais alguma coisa?",
		HumanHandling: "Um atendente da nossa equipe está cuidando desta conversa e vai responder aqui.",
		RateLimited:   "Você está enviando mensagens mais rápido do que consigo responder. Aguarde um minuto e tente de novo.",
		Unhelpful:     "Desculpe se a resposta não ajudou. Você pode perguntar de outro jeito, ou posso transferir você para um atendente: escreva «falar com um atendente».",
		Identity: "Sou um assistente automático: respondo com base nos artigos da nossa central de ajuda e digo de qual artigo vem cada resposta. " +
			"Se não souber, eu digo. Escreva «falar com um atendente» a qualquer momento para falar com a nossa equipe.",
	},
	"nl": {
		Fallback:      "Sorry, het antwoord daarop weet ik niet en ik gok liever niet. Wilt u dat ik u doorverbind met een medewerker? Typ dan „medewerker spreken”.",
		Handoff:       "Ik draag dit gesprek over aan een medewerker van onze klantenservice. U krijgt hier zo snel mogelijk antwoord; tot die tijd zeg ik niets meer.",
		Sorry:         "Sorry, het antwoord daarop weet ik niet. ",
		Greeting:      "Hallo! Ik ben de assistent van het helpcentrum. Stel me een vraag en ik antwoord met onze hulpartikelen.",
		Thanks:        "Graag gedaan! Kan ik u nog ergens anders mee helpen?",
		Goodbye:       "Tot ziens! Heeft u nog een vraag, stuur dan gerust een bericht.",
		Declined:      "Prima. Kan ik u nog ergens anders mee helpen?",
		AnythingElse:  "Kan ik u nog ergens anders mee helpen?",
		HumanHandling: "Een medewerker van onze klantenservice heeft dit gesprek overgenomen en antwoordt u hier.",
		RateLimited:   "U stuurt berichten sneller dan ik kan antwoorden. Wacht een minuut en probeer het opnieuw.",
		Unhelpful:     "Sorry dat dit u niet verder hielp. U kunt de vraag anders stellen, of ik verbind u door met een medewerker: typ „medewerker spreken”.",
		Identity: "Ik ben een automatische assistent: ik antwoord met de artikelen van ons helpcentrum en vertel u uit welk artikel elk antwoord komt. " +
			"Als ik iets niet weet, zeg ik dat. Typ op elk moment „medewerker spreken” om ons team te bereiken.",
	},
	"de": {
		Fallback:      "Das weiß ich leider nicht, und raten möchte ich nicht. Soll ich Sie mit einem Mitarbeiter verbinden? Schreiben Sie einfach „mit einem Mitarbeiter sprechen“.",
		Handoff:       "Ich übergebe dieses Gespräch an einen Mitarbeiter unseres Support-Teams. Sie bekommen hier so bald wie möglich eine Antwort; bis dahin halte ich mich zurück.",
		Sorry:         "Das weiß ich leider nicht. ",
		Greeting:      "Hallo! Ich bin der Assistent des Hilfe-Centers. Stellen Sie mir eine Frage, und ich antworte aus unseren Hilfeartikeln.",
		Thanks:        "Gern geschehen! Kann ich sonst noch helfen?",
		Goodbye:       "Auf Wiedersehen! Wenn Sie noch eine Frage haben, schreiben Sie einfach.",
		Declined:      "Kein Problem. Kann ich sonst noch helfen?",
		AnythingElse:  "Kann ich sonst noch helfen?",
		HumanHandling: "Ein Mitarbeiter unseres Support-Teams hat dieses Gespräch übernommen und antwortet Ihnen hier.",
		RateLimited:   "Sie senden Nachrichten schneller, als ich antworten kann. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
		Unhelpful:     "Das tut mir leid. Sie können die Frage anders formulieren, oder ich verbinde Sie mit einem Mitarbeiter: Schreiben Sie einfach „mit einem Mitarbeiter sprechen“.",
		Identity: "Ich bin ein automatischer Assistent: Ich antworte aus den Artikeln unseres Hilfe-Centers und sage Ihnen, aus welchem Artikel jede Antwort stammt. " +
			"Wenn ich etwas nicht weiß, sage ich das. Schreiben Sie jederzeit „mit einem Mitarbeiter sprechen“, um unser Team zu erreichen.",
	},
}

// TextsFor returns the Texts in the language of the user's message:
// German, French, Spanish, Italian, Portuguese or Dutch when it is clearly
// written in one of them, else English. A message too short to tell
// ("ok", "agente": two words at most, and none of them in another
// language) takes the language of the earlier ones, latest first: a
// Spanish user who answers "ok" to the offer of a human is handed over in
// Spanish. Failing those, it is lang, the language of the knowledge
// (knowledge.Linguist; "" means English), which also needs clearer
// English to give way to (knowledge.LanguageOr): "okay danke" to a German
// help centre is thanked in German. A message whose words fit two
// languages alike takes the earlier one's: "sim, por favor" after a
// Portuguese question is Portuguese, though "por favor" is Spanish too.
func TextsFor(lang, message string, earlier ...string) Texts {
	if _, ok := textsByLanguage[lang]; !ok {
		lang = "en"
	}
	prior := lang
	for i := len(earlier) - 1; i >= 0; i-- {
		if said := clearLanguage(earlier[i], lang); said != "" {
			prior = said
			break
		}
	}
	if said := clearLanguage(message, prior); said != "" {
		return textsByLanguage[said]
	}
	return textsByLanguage[prior]
}

// clearLanguage is the language text is written in for a user of
// knowledge in language prior, or "" when it is too short to tell.
func clearLanguage(text, prior string) string {
	said := knowledge.LanguageOr(text, prior)
	if said == "en" && len(strings.Fields(text)) <= 2 {
		return ""
	}
	return said
}

// IsFallback reports whether text is a fallback reply, one that hands
// over included, in any language.
func IsFallback(text string) bool {
	for _, t := range textsByLanguage {
		if text == t.Fallback || text == t.FallbackHandoff() {
			return true
		}
	}
	return false
}

// IsHandoff reports whether text is a reply that hands the session to a
// human, in any language.
func IsHandoff(text string) bool {
	for _, t := range textsByLanguage {
		if strings.HasSuffix(text, t.Handoff) {
			return true
		}
	}
	return false
}

// offersHuman reports whether text is a reply that offers a human: the
// fallback, or the answer to a user who says an answer missed.
func offersHuman(text string) bool {
	for _, t := range textsByLanguage {
		if text == t.Fallback || text == t.Unhelpful {
			return true
		}
	}
	return false
}

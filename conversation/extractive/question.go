package extractive

import (
	"strings"

	"github.com/switchboard/switchboard/conversation/grounding"
	"github.com/switchboard/switchboard/knowledge"
)

// A question is the kind of answer a question asks for.
type question struct {
	quantity quantity // the kind of figure asked for
	steps    bool     // how to do something: a procedure
	code     bool     // code: a command, an example request, a snippet
}

// codeCues mark questions asking for code. Without one, a line of code
// counts for less (codeWeight).
var codeCues = []string{"code", "example", "examples", "sample", "snippet", "curl", "command", "commands",
	"request", "install", "installation", "sdk", "library", "client", "script", "cli", "terminal", "shell",
	"bash", "python", "node", "nodejs", "javascript", "js", "typescript", "ts", "go", "golang", "ruby", "php",
	"java", "kotlin", "swift", "csharp", "dotnet", "json", "yaml", "xml", "html", "css", "sql", "syntax"}

// stepsCues mark questions asking how to do something.
var stepsCues = []string{"how do i", "how can i", "how to", "how should i", "how would i", "how do you",
	"how do we", "how can we", "what do i do", "what should i do", "what do i need to do", "what do i have to do",
	"where do i", "where can i", "steps", "step by step", "procedure", "process for",
	// German, French, Spanish, Italian, Portuguese, Dutch (folded: "como faco")
	"wie kann ich", "wie mache ich", "wie funktioniert", "wie geht", "was muss ich", "was soll ich", "schritte",
	"comment faire", "comment je", "comment on", "comment puis", "comment activer", "comment changer",
	"que faire", "etapes", "demarche",
	"como puedo", "como hago", "como se", "como funciona", "que tengo que", "que debo", "pasos",
	"come posso", "come faccio", "come si", "come funziona", "cosa devo", "passaggi",
	"como faco", "como posso", "como eu", "o que fazer", "o que devo", "passo a passo",
	"hoe kan ik", "hoe moet ik", "hoe werkt", "wat moet ik", "stappen"}

// ask returns the kind of answer text asks for.
func ask(text string) question {
	q := " " + strings.Join(grounding.Words(text), " ") + " "
	// Words lose "#", "+" and a leading ".": C# is "c".
	low := strings.ToLower(text)
	return question{
		quantity: asksQuantity(text),
		// "I want to delete my account, how?"
		steps: hasCue(q, stepsCues) || strings.HasSuffix(q, " how "),
		code:  hasCue(q, codeCues) || strings.Contains(low, "c#") || strings.Contains(low, "c++") || strings.Contains(low, ".net"),
	}
}

// hasCue reports whether the words q (space-joined, with a space at each
// end) hold one of cues as whole words.
func hasCue(q string, cues []string) bool {
	for _, c := range cues {
		if strings.Contains(q, " "+c+" ") {
			return true
		}
	}
	return false
}

// A quantity is the kind of figure a question asks for.
type quantity int

const (
	noQuantity quantity = iota
	money               // how much, cost, price, fee
	duration            // how long, when, until, expire
	count               // how many, limit, maximum
	phone               // a phone number
	email               // an e-mail address
	age                 // someone's age: an age limit
)

// quantityCues mark questions whose answer is a figure, by kind; the
// first kind whose cue appears wins.
var quantityCues = []struct {
	kind quantity
	cues []string
}{
	{duration, []string{"how long", "how soon", "how fast", "how quickly", "how often", "when", "time",
		"what hours", "until", "till", "deadline", "expire", "expires", "valid", "last", "days", "hours", "weeks",
		"months", "open", "opening", "late", "early",
		"wie lange", "wann", "dauert", "dauer", "frist", "gultig", "wie schnell", "wie oft", "uhrzeit", "geoffnet", "offnungszeiten",
		"combien de temps", "quand", "delai", "delais", "duree", "dure", "valable", "a quelle heure", "horaires", "ouvert",
		"cuanto tiempo", "cuando", "plazo", "tarda", "tardan", "dura", "valido", "valida", "a que hora", "horario", "abierto",
		"quanto tempo", "quando", "entro quando", "scadenza", "a che ora", "orari", "orario", "aperto",
		"prazo", "demora", "que horas", "aberto",
		"hoe lang", "wanneer", "termijn", "duurt", "geldig", "hoe laat", "hoe snel", "openingstijden"}},
	{money, []string{"how much", "cost", "costs", "price", "prices", "fee", "fees", "amount", "amounts", "value",
		"values", "worth", "discount", "discounts", "expensive", "cheap", "cheapest", "euro", "euros", "pounds", "dollars", "per year",
		"per month", "a month", "a year", "annual", "yearly", "monthly",
		"kostet", "kosten", "preis", "preise", "gebuhr", "gebuhren", "teuer", "gunstig", "rabatt", "pro monat", "im monat", "pro jahr",
		"coute", "coutent", "cout", "prix", "tarif", "tarifs", "frais", "cher", "remise", "par mois", "par an",
		"cuesta", "cuestan", "precio", "precios", "coste", "costo", "tarifa", "comision", "caro", "descuento", "al mes", "por mes",
		"quanto costa", "costano", "prezzo", "prezzi", "tariffa", "commissione", "sconto", "al mese",
		"custa", "custam", "custo", "preco", "taxa", "cobram", "desconto",
		"kost", "prijs", "prijzen", "tarief", "korting", "per maand", "per jaar"}},
	// Contact details: the words with which the search reads a question
	// as asking for one (knowledge.Contact.AskedIn).
	{phone, nil},
	{email, nil},
	{count, []string{"how many", "how big", "how heavy", "limit", "maximum", "max", "minimum", "min", "biggest",
		"largest", "size", "weight", "percent", "age", "old",
		"wie viele", "wie viel", "maximal", "hochstens", "mindestens", "grenze", "combien", "plafond", "limite",
		"cuantos", "cuantas", "maximo", "minimo", "quanti", "quante", "massimo", "quantos", "quantas", "teto",
		"hoeveel", "maximaal", "minimaal", "limiet"}},
}

// asksQuantity returns the kind of figure question asks for. A currency
// sign, an age and a length of time the question states come before
// the cues: "im 17, how much does it cost" asks about the age limit.
func asksQuantity(question string) quantity {
	words := grounding.Words(question)
	q := " " + strings.Join(words, " ") + " "
	switch {
	case strings.ContainsAny(question, "€$£"):
		return money
	case hasCue(q, ageCues) || statesAge(words):
		return age
	case statesDuration(words):
		return duration
	}
	for _, k := range quantityCues {
		if c, ok := k.kind.contact(); ok && c.AskedIn(words) || hasCue(q, k.cues) {
			return k.kind
		}
	}
	return noQuantity
}

var durationUnits = map[string]bool{
	"minute": true, "minutes": true, "hour": true, "hours": true, "day": true, "days": true, "week": true,
	"weeks": true, "month": true, "months": true, "year": true, "years": true, "immediately": true,
	"instantly": true, "today": true, "tomorrow": true, "monday": true, "tuesday": true, "wednesday": true,
	"thursday": true, "friday": true, "saturday": true, "sunday": true,
	// German, French, Spanish, Italian, Portuguese, Dutch, folded ("dias")
	"minuten": true, "stunde": true, "stunden": true, "tage": true, "tagen": true, "woche": true, "wochen": true,
	"monat": true, "monate": true, "monaten": true, "jahr": true, "jahre": true, "jahren": true, "werktag": true,
	"werktage": true, "werktagen": true, "sofort": true, "heute": true,
	"heure": true, "heures": true, "jour": true, "jours": true, "semaine": true, "semaines": true, "mois": true,
	"ans": true, "annee": true, "annees": true, "immediatement": true,
	"minuto": true, "minutos": true, "hora": true, "horas": true, "dia": true, "dias": true, "semana": true,
	"semanas": true, "mes": true, "meses": true, "ano": true, "anos": true, "inmediatamente": true, "hoy": true,
	"minuti": true, "giorno": true, "giorni": true, "settimana": true, "settimane": true,
	"mese": true, "mesi": true, "anno": true, "anni": true, "subito": true, "oggi": true,
	"imediatamente": true, "hoje": true,
	"minuut": true, "uur": true, "dag": true, "dagen": true, "weken": true, "maand": true, "maanden": true,
	"jaar": true, "werkdag": true, "werkdagen": true, "meteen": true, "vandaag": true,
}

// costsNothing reports whether text says something is free: an answer
// to a question about a price, if a weaker one than a price.
func costsNothing(text string) bool {
	low := strings.Join(grounding.Words(text), " ") // folded: "grátis" is "gratis"
	for _, p := range []string{"free", "no extra cost", "no cost", "no charge", "at no",
		"gratis", "kostenlos", "kostenfrei", "gratuit", "gratuito", "gratuita", "kosteloos", "sans frais",
		"sin coste", "sin costo", "senza costi", "sem custo"} {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

// hasFigure reports whether text states a figure of kind k.
func hasFigure(text string, k quantity) bool {
	nums := len(grounding.Numbers(text)) > 0
	switch k {
	case money:
		return strings.ContainsAny(text, "€$£%")
	case phone, email:
		c, _ := k.contact()
		return c.In(text)
	case age:
		return statesAgeLimit(text)
	case duration:
		if strings.Contains(text, ":") && nums && strings.IndexFunc(text, func(r rune) bool { return r == ':' }) >= 0 {
			// "09:00–17:00" reads as a time
			for _, n := range grounding.Numbers(text) {
				if strings.Contains(n, ":") {
					return true
				}
			}
		}
		for _, w := range grounding.Words(text) {
			if durationUnits[w] {
				return true
			}
		}
		return false
	}
	return nums
}

// contact returns the kind of contact detail k is, if it is one.
func (k quantity) contact() (knowledge.Contact, bool) {
	switch k {
	case phone:
		return knowledge.Phone, true
	case email:
		return knowledge.Email, true
	}
	return 0, false
}

// nameFigures lets a candidate that holds a figure (holds) hold the
// words of question that name one (names): "Call us on 0161 496 0720"
// answers "phone number?" without either word, "Write to
// care@panfresh.co.uk" "email address?", and "Our chat team is available
// from 8am to 10pm" "chat hours", and the replies fell back or quoted a
// sentence that happened to say "hours" ("Lost or stolen phones: …, 24
// hours a day"). They count as a heading's words do, less than written:
// held in full, "teléfono" no longer told the booking line's row
// ("Teléfono de reservas | 910 48 27 00") from the WhatsApp one.
//
// Only contact details and times of day: with every kind of figure so
// named ("fee" held by every price, "time" by every duration), the dev
// sets answered 5 more questions right and 17 more wrongly; with the
// verbs too ("call", "ring"), "is the number free to call" was answered
// with the number. Times of day named by "hours", "open", "shut" and
// their like answered 3 more of the dev sets' questions right (2 more
// wrongly) and one more of the training centres' (3 fewer wrongly).
func nameFigures(cands []*candidate, question, lang string, qterms map[string]bool, names func(word string) bool, holds func(text string) bool) {
	named := make(map[string]bool)
	for _, w := range grounding.Words(question) {
		if !names(w) {
			continue
		}
		for t := range grounding.TermSetIn(w, lang) {
			if qterms[t] {
				named[t] = true
			}
		}
	}
	if len(named) == 0 {
		return
	}
	for _, c := range cands {
		if !c.question && holds(c.text) {
			// The context is shared with the section's other lines.
			c.context = union(c.context, named)
		}
	}
}

// statesDuration reports whether words hold a number followed by a unit
// of time ("ordered it 20 mins ago", "seit 4 monaten"): a question that
// says how long something has been asks about a time limit ("within 1
// hour") even when it says neither "how long" nor "when".
func statesDuration(words []string) bool {
	for i := 0; i+1 < len(words); i++ {
		if grounding.IsDigits(words[i]) && (durationUnits[words[i+1]] || shortTimeUnits[words[i+1]]) {
			return true
		}
	}
	return false
}

// shortTimeUnits are units of time people abbreviate.
var shortTimeUnits = map[string]bool{"min": true, "mins": true, "hr": true, "hrs": true, "h": true, "std": true, "wks": true}

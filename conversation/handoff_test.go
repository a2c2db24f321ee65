package conversation_test

import (
	"testing"

	"github.com/switchboard/switchboard/conversation"
)

func TestWantsHuman(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"I want to talk to a real person", true},
		{"voglio parlare con un operatore", true},
		{"quero falar com um atendente", true},
		{"ik wil een medewerker spreken", true},
		{"mag ik iemand aan de lijn", true},
		{"ik wil niet met een medewerker praten", false},
		{"wat zijn de openingstijden van de klantenservice?", false},
		{"falar com humano", true},
		{"tem alguém de verdade aí? quero falar com uma pessoa", true},
		{"não quero falar com atendente", false},
		{"qual o horário de atendimento?", false},
		{"need to add 350 staff from the computer, quickest way?", false},
		{"we need more staff on saturday, how do i post an open shift", false},
		{"can i talk to my manager in the app", false},
		{"let me talk to your manager", true},
		{"can i speak to a member of staff", true},
		{"posso parlare con qualcuno del servizio clienti", true},
		{"basta con il bot, c'è un umano??", true},
		{"operatore!", true},
		{"non voglio parlare con un operatore", false},
		{"qual è il numero dell'assistenza clienti?", false},
		{"agent please", true},
		{"HUMAN!!", true},
		{"human", true},
		{"can i speak to someone from your team, this bot is useless", true},
		{"THIS IS THE THIRD TIME MY PARCEL IS LOST!!! GET ME A HUMAN NOW", true},
		{"transfer me to customer service", true},
		{"put me through to a manager", true},
		{"connect me with a human agent pls", true},
		{"Nobody answers. get me someone who can fix it", true},
		{"please pass me to a member of the community team", true},
		{"can I speak to a represntative", true}, // typo
		{"i want to talk to a humna", true},      // typo
		{"Are you able to connect me to a human?", true},
		{"is there someone I can talk to?", true},
		{"anyone here i could speak with", true},
		{"is there an agent we can chat to about this", true},
		// German, as the blind German help centre's users asked.
		{"mitarbeiter bitte!!", true},
		{"Menschen bitte", true},
		{"verbinden Sie mich bitte mit einem Kundenberater", true},
		{"Bitte an einen Menschen weiterleiten", true},
		{"Ich brauche einen Menschen, kein Bot", true},
		{"ich will keinen bot", true},
		{"Sachbearbeiter bitte", true},
		{"ich möchte nicht mit einem Menschen sprechen", false},
		// French.
		{"mettez-moi en relation avec un conseiller", true},
		{"pouvez-vous me mettre en relation avec une personne", true},
		{"je voudrais être mis en relation avec un conseiller", true},
		{"ça suffit le robot, un vrai agent maintenant", true},
		{"je ne veux pas être mis en relation avec un conseiller", false},
		{"ich möchte mich beschweren, gib mir einen menschen", true},
		{"kann ich einen echten apotheker sprechen, nicht den bot", true},
		{"kann mein Mitarbeiter das Paket abholen", false},
		{"how many schools can i put down for reception", false},
		{"hello? is there a human there", true},
		{"is an agent available right now", true},
		// "Representative APR" is what a UK lender must quote.
		{"what's the representative APR on your overdraft", false},
		{"is the representative example for the classic card 24.9% APR", false},
		{"i want to speak to a representative", true},
		{"representative please", true},
		{"can someone from your team call me back", true},
		{"will the courier call me before delivery", false},
		{"pass me to a member of the team", true},
		{"if i switch my plan do i need to tell the team", false},
		{"someone I can sign for the parcel with", false},
		{"is there anyone who can collect for me", false},
		{"how much to have someone put my bed together", false},
		{"is a human reading this?", false},
		{"are you a human?", false},
		{"am I talking to a bot or a person?", false},
		{"I don't need an agent, just tell me the price", false},
		{"what are your customer service hours?", false},
		{"how do I contact support?", false},
		{"I need a person to sign for the parcel", false},
		{"can I add people to my business account", false},
		{"how much is the plus plan", false},
		{"my travel agent booked it", false},
		{"how long do you keep my chats with support", false},
		{"is live chat open on sundays", false},
		{"", false},
		// Real words one slip from a keyword are what the user meant.
		{"can people still get their stuff out", false},
		{"which devices let me save stuff offline", false},
		{"i managed to speak to the bank", false},
		{"get me a staf member", true}, // still a slip
		// So are the real words of the message's language ("pagar" is
		// no slip of "pasar", "mano" none of "umano", "argent" none of
		// "agent"), but not the
		// forms of a keyword ("pasarme").
		{"se puede pagar el pase en efectivo en recepcion?", false},
		{"se me olvido pagar la maleta de mano, cuanto me van a cobrar en el aeropuerto?", false},
		{"je veux payer en argent comptant", false},
		{"puedes pasarme con un agente por favor", true},
		{"pasame con una persona", true},
		{"quiero hablar con un agnete", true},
		// A negation reaches no further back than a comma.
		{"nao quero robo, quero atendimento humano", true},
		{"no, i want a human", true},
		{"no, I don't need an agent", false},
		// A third party, and a service named by a verb of talking.
		{"my friend wants to pass the ticket on to someone else, is that allowed", false},
		{"do free users get chat support too", false},
		{"can i chat to someone about sizing", true},
		{"put me through to reception", true},
		{"is reception open on sundays", false},
	}
	for _, tt := range tests {
		if got := conversation.WantsHuman(tt.in); got != tt.want {
			t.Errorf("WantsHuman(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

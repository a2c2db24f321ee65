package extractive

import "testing"

// TestAskInOtherLanguages: questions asking for a duration, a price, a
// phone number, a count or the steps of a procedure in German, French,
// Spanish, Italian, Portuguese or Dutch are told as in English, and the
// sentences that state such a figure are found.
func TestAskInOtherLanguages(t *testing.T) {
	for _, tt := range []struct {
		q        string
		quantity quantity
		steps    bool
		figure   string // a sentence with a figure of that kind
	}{
		{"Wie lange dauert eine Rücksendung?", duration, false, "Eine Rücksendung braucht 14 Tage."},
		{"combien de temps pour un remboursement", duration, false, "Un remboursement prend 10 jours ouvrés."},
		{"¿Cuánto cuesta el envío exprés?", money, false, "El envío exprés son 4,95 €."},
		{"quanto tempo per il rimborso", duration, false, "Il rimborso arriva in 7 giorni lavorativi."},
		{"quanto custa o cartão extra", money, false, "O cartão extra sai por R$ 15,00."},
		{"hoe lang duurt de levering", duration, false, "De levering gebeurt binnen 5 werkdagen."},
		{"wie viele Geräte kann ich nutzen", count, false, "Sie können 3 Geräte nutzen."},
		{"numéro de téléphone du service client", phone, false, "Appelez le 01 23 45 67 89."},
		{"hoe kan ik mijn abonnement opzeggen", noQuantity, true, ""},
		{"como faço para cancelar o pix agendado", noQuantity, true, ""},
		{"come posso cambiare il biglietto", noQuantity, true, ""},
		{"what does it cost", money, false, "It costs £5."},
		{"can i whatsapp you", phone, false, "WhatsApp us on +44 7700 900123."},
		{"wo finde ich meine bestell nr", noQuantity, false, ""},
	} {
		k := ask(tt.q)
		if k.quantity != tt.quantity || k.steps != tt.steps {
			t.Errorf("ask(%q) = %+v, want quantity %d, steps %v", tt.q, k, tt.quantity, tt.steps)
		}
		if tt.figure != "" && !hasFigure(tt.figure, tt.quantity) {
			t.Errorf("hasFigure(%q, %d) = false", tt.figure, tt.quantity)
		}
	}
	// English words that other languages' cues spell alike ask nothing.
	for _, q := range []string{"Do you deliver to Costa Rica?", "Is COBRA coverage included?", "Why was my comment removed?"} {
		if k := ask(q); k.quantity != noQuantity || k.steps {
			t.Errorf("ask(%q) = %+v, want no kind", q, k)
		}
	}
	if k := ask("What is the maximum cargo weight?"); k.quantity != count {
		t.Errorf("cargo weight: %+v, want a count", k)
	}
	for _, q := range []string{"How do I call it from C#?", "is there a .NET version", "C++ version?"} {
		if !ask(q).code {
			t.Errorf("ask(%q) does not ask for code", q)
		}
	}
	if !costsNothing("Die Rücksendung ist kostenlos.") || !costsNothing("O envio é grátis.") {
		t.Error("costsNothing misses a free return in German or free shipping in Portuguese")
	}
}

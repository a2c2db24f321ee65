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
		{"c'est quoi votre adresse mail ?", email, false, "Écrivez à aide@exemple.fr."},
		{"email de contacto", email, false, "Escríbenos a ayuda@ejemplo.es."},
		{"can you scan my post and email it to me", noQuantity, false, ""},
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

// TestStatedMeasures: a question that states someone's age asks about an
// age limit, and one that states a length of time about a time limit,
// in the six languages; numbers that measure something else state no
// age.
func TestStatedMeasures(t *testing.T) {
	for _, tt := range []struct {
		q    string
		want quantity
	}{
		{"im 76 can i get an annual policy", age},
		{"my son is 20 and at uni, can he go on our family policy", age},
		{"does my 12 yr old need a helmet", age},
		{"minimum age to be a member", age},
		{"meine tochter ist 15 und will alleine fahren, geht das?", age},
		{"mi padre tiene 70 años y quiere apuntarse", age},
		{"ma fille a 16 ans, peut-elle ouvrir un compte", age},
		{"mag mijn zoon van 15 zelf een abonnement nemen", age},
		{"meu filho tem 14 anos, ele pode ter conta?", age},
		{"how much to wall mount a 55 inch tv", money},
		{"kan een tv van 75 inch naar een afhaalpunt", noQuantity},
		{"stuck in traffic, gonna be 15 mins late, is that ok?", duration},
		{"i ordered the wrong laptop by mistake 20 mins ago, can i cancel it", duration},
		{"hab meinen lappen erst seit 4 monaten, kann ich mich anmelden", duration},
		{"my case is 26 kg, is that ok", noQuantity},
	} {
		if got := ask(tt.q).quantity; got != tt.want {
			t.Errorf("ask(%q).quantity = %d, want %d", tt.q, got, tt.want)
		}
	}
	for text, want := range map[string]bool{
		"Annual cover is available to travellers aged 74 or under at the start date.": true,
		"You must be 18 or over and a UK resident to trade in.":                       true,
		"Group classes are for students aged 16 and over.":                            true,
		"Sie müssen mindestens 21 Jahre alt sein.":                                    true,
		"For children under 13, a parent must be at home during the lesson.":          true,
		"Films rated 18+ need ID at the door.":                                        true,
		"Your policy runs for 12 months from the start date.":                         false,
		"Orders over £40 ship free.":                                                  false,
	} {
		if got := hasFigure(text, age); got != want {
			t.Errorf("hasFigure(%q, age) = %v, want %v", text, got, want)
		}
	}
}

package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A fact is one statement of a help centre that a question can ask for.
type fact struct {
	kind     string   // article it belongs to (its title)
	variant  string   // what distinguishes it from its siblings ("Plus", "Germany"), "" if none
	sentence string   // the statement, copied verbatim into snippets and answers
	asks     []string // questions it answers
	followUp []string // follow-up questions asking for this variant after a sibling
}

// A centre is one fictional help centre: a company and its facts grouped
// by article.
type centre struct {
	company  string
	articles []article
}

type article struct {
	title, slug string
	facts       []fact
}

var (
	prefixes = []string{"Nimbus", "Petal", "Orbit", "Harbor", "Lumen", "Kettle", "Juniper", "Quill", "Tandem", "Vista",
		"Cobalt", "Maple", "Ember", "Pixel", "Atlas", "Willow", "Beacon", "Fable", "Summit", "Drift", "Otter", "Cedar",
		"Nova", "Pebble", "Saffron", "Tidal", "Velvet", "Zephyr", "Bramble", "Copper"}
	suffixes = []string{"Cloud", "Box", "Bank", "Fit", "Mail", "Ride", "Post", "Stream", "Learn", "Home", "Pay", "Chef",
		"Care", "Books", "Go", "Play", "Desk", "Print", "Farm", "Wear", "Notes", "Lock", "Travel", "Pets", "Energy"}
	plans = []string{"Basic", "Plus", "Premium", "Family", "Student", "Business", "Pro", "Starter", "Team",
		"Unlimited", "Lite", "Standard", "Gold", "Silver", "Essentials", "Flex"}
	countries = []string{"Germany", "France", "Spain", "Italy", "the Netherlands", "Belgium", "Austria", "Poland",
		"Sweden", "Denmark", "Ireland", "Portugal", "the United Kingdom", "Switzerland", "Norway", "Finland", "Czechia"}
	currencies = []string{"€", "$", "£"}
	tasks      = []string{"change your password", "update your card details", "download an invoice", "change your email address",
		"turn on two-factor authentication", "export your data", "add a team member", "change your delivery address",
		"update your billing address", "switch to yearly billing", "close your account", "change your username",
		"set up automatic top-ups", "turn off marketing e-mails", "change the app language", "reset your PIN"}
	menus   = []string{"Settings", "Account", "Profile", "Billing", "Security", "Privacy", "Team", "Preferences", "Wallet", "Orders"}
	buttons = []string{"Save", "Confirm", "Change", "Update", "Export", "Add", "Continue", "Apply", "Done", "Submit"}
	things  = []string{"users", "devices", "projects", "profiles", "saved addresses", "team members", "active listings", "connected accounts"}
	items   = []string{"headphones", "smart speaker", "bike lock", "coffee grinder", "desk lamp", "fitness tracker",
		"e-reader", "robot vacuum", "electric kettle", "baby monitor", "tent", "backpack"}
	weekdays = []string{"Monday to Friday", "Monday to Saturday", "every day", "on weekdays", "Tuesday to Saturday"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// pickN returns n distinct elements of s in random order.
func pickN[T any](r *rand.Rand, s []T, n int) []T {
	idx := r.Perm(len(s))[:min(n, len(s))]
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

func price(r *rand.Rand, cur string, lo, hi int) string {
	whole := lo + r.IntN(hi-lo+1)
	cents := pick(r, []string{".99", ".00", ".50", ".49", ".95"})
	if cur == "€" && r.IntN(2) == 0 {
		return fmt.Sprintf("€%d%s", whole, cents)
	}
	return fmt.Sprintf("%s%d%s", cur, whole, cents)
}

// newCentre draws a help centre.
func newCentre(r *rand.Rand) centre {
	c := centre{company: pick(r, prefixes) + pick(r, suffixes)}
	cur := pick(r, currencies)
	var all []article
	// Plans and pricing: one sentence per plan.
	{
		a := article{title: "Plans and pricing", slug: "plans-and-pricing"}
		period := pick(r, []string{"month", "year"})
		for _, p := range pickN(r, plans, 2+r.IntN(3)) {
			pr := price(r, cur, 2, 40)
			if period == "year" {
				pr = price(r, cur, 20, 400)
			}
			s := pick(r, []string{
				"The %s plan costs %s per %s.",
				"%s costs %s a %s.",
				"The %s plan is %s per %s, and you can cancel at any time.",
				"You pay %s for the %s plan each %s.",
			})
			var sent string
			if strings.HasPrefix(s, "You pay") {
				sent = fmt.Sprintf(s, pr, p, period)
			} else {
				sent = fmt.Sprintf(s, p, pr, period)
			}
			a.facts = append(a.facts, fact{kind: a.title, variant: p, sentence: sent,
				asks: []string{
					"How much does the " + p + " plan cost?", "What is the price of " + p + "?",
					"how much is " + p + " per " + period, p + " plan price?", "What does " + c.company + " " + p + " cost?",
					"How much do I pay for the " + p + " plan?",
				},
				followUp: []string{"And the " + p + " plan?", "What about " + p + "?", "and for " + p + "?", "How much is " + p + " then?"},
			})
		}
		all = append(all, a)
	}
	// Limits per plan.
	{
		a := article{title: "Plan limits", slug: "plan-limits"}
		th := pick(r, things)
		for _, p := range pickN(r, plans, 2+r.IntN(2)) {
			n := 1 + r.IntN(50)
			a.facts = append(a.facts, fact{kind: a.title, variant: p,
				sentence: fmt.Sprintf(pick(r, []string{"Each %s account can have up to %d %s.", "On the %s plan you can add up to %d %s."}), p, n, th),
				asks: []string{"How many " + th + " can I have on " + p + "?", "What is the limit of " + th + " on the " + p + " plan?",
					"how many " + th + " does " + p + " allow"},
				followUp: []string{"And on " + p + "?", "What about the " + p + " plan?", "and with " + p + "?"},
			})
		}
		all = append(all, a)
	}
	// Delivery times per country.
	{
		a := article{title: "Delivery times", slug: "delivery-times"}
		for _, ct := range pickN(r, countries, 2+r.IntN(3)) {
			lo := 1 + r.IntN(6)
			hi := lo + 1 + r.IntN(5)
			a.facts = append(a.facts, fact{kind: a.title, variant: ct,
				sentence: fmt.Sprintf(pick(r, []string{"Standard delivery to %s takes %d to %d business days.", "Orders to %s arrive within %d to %d working days."}), ct, lo, hi),
				asks: []string{"How long does delivery to " + ct + " take?", "When will my order arrive in " + ct + "?",
					"delivery time " + ct + "?", "How many days does shipping to " + ct + " take?"},
				followUp: []string{"And to " + ct + "?", "What about " + ct + "?", "and for " + ct + "?"},
			})
		}
		all = append(all, a)
	}
	// How-to steps.
	{
		a := article{title: "Managing your account", slug: "managing-your-account"}
		app := pick(r, []string{"the app", "the website", "the " + c.company + " app", "your dashboard"})
		for _, t := range pickN(r, tasks, 2+r.IntN(3)) {
			m1, m2 := pickN(r, menus, 2)[0], pickN(r, menus, 2)[1]
			if m1 == m2 {
				m2 = "Details"
			}
			a.facts = append(a.facts, fact{kind: a.title, variant: t,
				sentence: fmt.Sprintf(pick(r, []string{"To %s, open %s, go to %s > %s and tap %s.", "To %s, open %s and choose %s > %s, then press %s."}),
					t, app, m1, m2, pick(r, buttons)),
				asks: []string{"How do I " + t + "?", "How can I " + t + "?", "where can i " + t, "I want to " + t + ", how does that work?",
					"Can you tell me how to " + t + "?"},
			})
		}
		all = append(all, a)
	}
	// Contact.
	{
		a := article{title: "Contact us", slug: "contact-us"}
		phone := fmt.Sprintf("+%d %d %03d %04d", 1+r.IntN(49), 10+r.IntN(89), r.IntN(1000), r.IntN(10000))
		h1, h2 := 7+r.IntN(4), 16+r.IntN(6)
		mail := strings.ToLower(pick(r, []string{"support", "help", "hello", "care"}) + "@" + c.company + pick(r, []string{".com", ".eu", ".io", ".co.uk"}))
		hours := 1 + r.IntN(48)
		a.facts = append(a.facts,
			fact{kind: a.title, sentence: fmt.Sprintf("You can call our support team on %s from %d:00 to %d:00, %s.", phone, h1, h2, pick(r, weekdays)),
				asks: []string{"What is your phone number?", "When can I call support?", "What are your opening hours?", "How can I reach you by phone?", "phone number?"}},
			fact{kind: a.title, sentence: fmt.Sprintf("You can e-mail us at %s and we reply within %d hours.", mail, hours),
				asks: []string{"What is your support e-mail address?", "How fast do you answer e-mails?", "Can I contact you by email?", "email address for support?"}},
		)
		all = append(all, a)
	}
	// Refunds, trials, returns and warranty.
	{
		a := article{title: "Refunds and cancellations", slug: "refunds-and-cancellations"}
		n := 3 + r.IntN(12)
		d := 7 + r.IntN(24)
		a.facts = append(a.facts,
			fact{kind: a.title, sentence: fmt.Sprintf("Refunds are paid back to your original payment method within %d business days.", n),
				asks: []string{"How long does a refund take?", "When will I get my money back?", "how long until my refund arrives", "How many days does a refund take?"}},
			fact{kind: a.title, sentence: fmt.Sprintf("If you cancel within %d days of purchase, you get a full refund.", d),
				asks: []string{"Can I get a full refund if I cancel?", "What is the cancellation policy?", "Until when can I cancel and get my money back?"}},
		)
		all = append(all, a)
		b := article{title: "Free trial", slug: "free-trial"}
		b.facts = append(b.facts, fact{kind: b.title, sentence: fmt.Sprintf("New customers get a free trial of %d days, and you can cancel before it ends without paying.", 7+r.IntN(24)),
			asks: []string{"Is there a free trial?", "How long is the free trial?", "Can I try it for free?", "how many days is the trial"}})
		all = append(all, b)
		w := article{title: "Returns and warranty", slug: "returns-and-warranty"}
		it := pick(r, items)
		w.facts = append(w.facts,
			fact{kind: w.title, sentence: fmt.Sprintf("You can return unused items within %d days of delivery.", 14+r.IntN(31)),
				asks: []string{"How long do I have to return an item?", "Can I still return my order?", "What is the return window?"}},
			fact{kind: w.title, sentence: fmt.Sprintf("The %s comes with a %d-year warranty.", it, 1+r.IntN(5)),
				asks: []string{"How long is the warranty on the " + it + "?", "Does the " + it + " have a warranty?", "warranty " + it + "?"}},
		)
		all = append(all, w)
	}
	// Keep a random subset of articles, at least four.
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	c.articles = all[:4+r.IntN(len(all)-3)]
	return c
}

// unanswerable are questions no generated centre answers.
var unanswerable = []string{
	"Do you offer a discount for pensioners?", "Can I pay with cryptocurrency?", "Is there a loyalty programme?",
	"Do you ship to Antarctica?", "Can I bring my dog to your office?", "What is the CEO's name?",
	"Do you have a student discount?", "Can I pay in instalments?", "Is your service available in Japan?",
	"How do I become a partner?", "Do you sponsor events?", "What is the weather like tomorrow?",
	"Can I get a printed catalogue?", "Do you offer gift wrapping?", "Is there a referral bonus?",
	"Can I change the colour of the app?", "Where is your head office?", "Do you sell second-hand items?",
}

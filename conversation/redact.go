package conversation

import (
	"regexp"
	"strings"
)

// Redaction markers that replace personal data.
const (
	RedactedEmail = "[email]"
	RedactedPhone = "[phone]"
	RedactedCard  = "[card]"
	RedactedIBAN  = "[iban]"
	// RedactedSecret replaces what follows a word that announces a
	// secret: a card's security code or expiry, a PIN, a password.
	RedactedSecret = "[secret]"
	// RedactedAccount replaces a UK sort code and account number.
	RedactedAccount = "[account]"
	// RedactedID replaces a UK National Insurance number and a date of
	// birth.
	RedactedID = "[id]"
)

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// ibanRE is greedy; candidates are shortened group by group until the
	// checksum holds.
	ibanRE = regexp.MustCompile(`\b[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}\b`)
	cardRE = regexp.MustCompile(`\b[0-9](?:[ \-]?[0-9]){12,}\b`)
	// phoneRE finds runs of digits with the separators phone numbers use;
	// isPhone decides.
	phoneRE = regexp.MustCompile(`(?:\+|\(\+?)?[0-9][0-9 ().\-/]{5,22}[0-9]`)
	// dateRE matches runs that are dates, never phone numbers.
	dateRE = regexp.MustCompile(`^[0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{1,4}$`)
	// usPhoneRE is the North American 3-3-4 grouping, with or without area
	// parentheses.
	usPhoneRE = regexp.MustCompile(`^(?:\+?1[ .\-]?)?(?:\([0-9]{3}\)|[0-9]{3})[ .\-]?[0-9]{3}[ .\-][0-9]{4}$`)

	// secretREs are a word that announces a secret and the secret after
	// it (group 1): a security code or PIN of digits ("cvv 123", "my pin
	// is 4921"), an expiry date ("exp 09/28"), or a password with a digit
	// or symbol in it ("password: Hunter2!"), so that "my pin doesn't
	// work" and "the password is required" keep their words.
	secretREs = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(?:cvv2?|cvc2?|cv2|security code|pin(?: number| code)?|passcode)(?:\s+is|\s*[:=])?\s*([0-9]{3,6})\b`),
		regexp.MustCompile(`(?i)\b(?:exp|expiry(?: date)?|expires|valid (?:until|thru))(?:\s+is|\s*[:=])?\s*([0-9]{2}/[0-9]{2,4})\b`),
		regexp.MustCompile(`(?i)\b(?:password|passwd|pwd)(?:\s+is|\s*[:=])\s*(\S*[0-9!#$%&*+=?@^_~]\S*)`),
	}
	// accountRE is a UK sort code, with the account number after it when
	// one follows: "sort code 20-00-00 account 12345678".
	accountRE = regexp.MustCompile(`(?i)\b(?:sort code\s*:?\s*)?([0-9]{2}-[0-9]{2}-[0-9]{2}(?:\D{0,20}?\b[0-9]{8}\b)?)|\b(?:account(?: number| no\.?)?|acc(?: no\.?)?)\s*:?\s*([0-9]{8})\b`)
	// niRE is a UK National Insurance number ("QQ 12 34 56 C").
	niRE = regexp.MustCompile(`(?i)\b[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b`)
	// birthRE is a date of birth after the words that announce one.
	birthRE = regexp.MustCompile(`(?i)\b(?:dob|d\.o\.b\.?|date of birth|born(?: on)?)\s*:?\s*([0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{1,4})`)
)

// Redact replaces personal data in s with markers: e-mail addresses with
// [email], IBANs (mod-97 checksum valid) with [iban], payment card numbers
// (13–19 digits, spaces or dashes allowed, Luhn valid) with [card], UK
// sort codes and account numbers with [account], National Insurance
// numbers and dates of birth with [id], what follows "cvv", "exp",
// "pin" or "password" with [secret], and phone numbers (international
// "+…"/"00…", local "0…" and North American formats) with [phone]. Prices, dates, times and order or invoice numbers
// are left alone as far as their shape and the preceding word tell.
//
// The pipeline redacts every message before it is stored, logged,
// searched or answered; see Manager.
func Redact(s string) string {
	for _, re := range secretREs {
		s = replaceGroup(s, re, RedactedSecret)
	}
	if !strings.ContainsAny(s, "0123456789@") {
		return s
	}
	s = emailRE.ReplaceAllString(s, RedactedEmail)
	s = replaceGroup(s, birthRE, RedactedID)
	s = niRE.ReplaceAllString(s, RedactedID)
	s = replaceGroup(s, accountRE, RedactedAccount)
	s = replaceFunc(s, ibanRE, func(s string, loc []int) (int, int, bool) {
		end, ok := ibanEnd(s[loc[0]:loc[1]])
		return 0, end, ok
	}, RedactedIBAN)
	s = replaceFunc(s, cardRE, func(s string, loc []int) (int, int, bool) {
		return cardSpan(s[loc[0]:loc[1]])
	}, RedactedCard)
	s = replaceFunc(s, phoneRE, func(s string, loc []int) (int, int, bool) {
		end, ok := isPhone(s, loc[0], loc[1])
		return 0, end, ok
	}, RedactedPhone)
	return s
}

// replaceGroup replaces the first group of each match of re that has
// one with marker, keeping the rest of the match ("my pin is [secret]").
func replaceGroup(s string, re *regexp.Regexp, marker string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		for g := 2; g+1 < len(m); g += 2 {
			if m[g] < 0 {
				continue
			}
			b.WriteString(s[last:m[g]])
			b.WriteString(marker)
			last = m[g+1]
			break
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceFunc replaces part of each match of re with marker: the part
// m[i:j] of the match m that ok returns, when it accepts the match.
func replaceFunc(s string, re *regexp.Regexp, ok func(s string, loc []int) (i, j int, yes bool), marker string) string {
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringIndex(s, -1) {
		if loc[0] < last {
			continue
		}
		i, j, yes := ok(s, loc)
		if !yes {
			continue
		}
		b.WriteString(s[last : loc[0]+i])
		b.WriteString(marker)
		last = loc[0] + j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// cardSpan finds the longest span m[i:j] of whole digit groups that is a
// Luhn-valid card number. A run of digit groups may hold a card number
// next to other digits ("4111 1111 1111 1111 123" with its security
// code), so every span is tried.
func cardSpan(m string) (i, j int, ok bool) {
	// Group boundaries: starts and ends of digit runs.
	var starts, ends []int
	for k := 0; k < len(m); k++ {
		if m[k] >= '0' && m[k] <= '9' && (k == 0 || m[k-1] == ' ' || m[k-1] == '-') {
			starts = append(starts, k)
		}
		if m[k] >= '0' && m[k] <= '9' && (k == len(m)-1 || m[k+1] == ' ' || m[k+1] == '-') {
			ends = append(ends, k+1)
		}
	}
	best := 0
	// Group k spans m[starts[k]:ends[k]].
	for k, a := range starts {
		for _, e := range ends[k:] {
			d := digitsOf(m[a:e])
			if len(d) > 19 {
				break // ends only grow from here
			}
			if e-a > best && luhn(d) {
				i, j, ok, best = a, e, true, e-a
			}
		}
	}
	return i, j, ok
}

// luhn reports whether the digit string d passes the Luhn check.
func luhn(d string) bool {
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// ibanEnd finds the longest prefix of m, cut at a separator, that is a
// valid IBAN, and returns its length.
func ibanEnd(m string) (int, bool) {
	end := len(m)
	for {
		if validIBAN(m[:end]) {
			return end, true
		}
		cut := strings.LastIndexAny(m[:end], " -")
		if cut < 0 {
			return 0, false
		}
		end = cut
	}
}

// validIBAN checks the length and the ISO 13616 mod-97 checksum.
func validIBAN(s string) bool {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		b.WriteByte(c)
	}
	iban := strings.ToUpper(b.String())
	if len(iban) < 15 || len(iban) > 34 {
		return false
	}
	rearranged := iban[4:] + iban[:4]
	rem := 0
	for i := 0; i < len(rearranged); i++ {
		c := rearranged[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// notPhoneBefore are words that, just before a number, say it is not a
// phone number.
var notPhoneBefore = []string{"order", "invoice", "ticket", "tracking", "ref", "reference", "case", "account", "customer", "parcel", "shipment", "id", "no", "number", "#", "€", "$", "£", "eur", "usd", "gbp", "chf"}

// isPhone decides whether s[start:end], a phoneRE match, is a phone
// number, and how much of it to replace.
func isPhone(s string, start, end int) (int, bool) {
	m := strings.TrimRight(s[start:end], " .-/(")
	d := digitsOf(m)
	if len(d) < 8 || len(d) > 15 {
		return 0, false
	}
	if dateRE.MatchString(m) || strings.Contains(m, "/") {
		return 0, false
	}
	before := strings.ToLower(strings.TrimRight(s[:start], " :"))
	for _, w := range notPhoneBefore {
		if strings.HasSuffix(before, w) {
			// "+31 …" after "number" is still a phone: the plus says so.
			if !(strings.HasPrefix(m, "+") && (w == "number" || w == "no")) {
				return 0, false
			}
		}
	}
	switch {
	case strings.HasPrefix(m, "+") || strings.HasPrefix(m, "(+"):
		return len(m), true
	case strings.HasPrefix(d, "00") && len(d) >= 10:
		return len(m), true
	case usPhoneRE.MatchString(m):
		return len(m), true
	case strings.HasPrefix(m, "0") || strings.HasPrefix(m, "(0"):
		// A local number with a trunk prefix; prices and quantities do
		// not start with a zero digit followed by more digits.
		if len(d) >= 9 && !strings.HasPrefix(m, "0.") && !strings.HasPrefix(m, "0,") {
			return len(m), true
		}
	}
	return 0, false
}

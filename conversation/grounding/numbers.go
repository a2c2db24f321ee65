package grounding

import "strings"

// Numbers returns the numbers written with digits in s, canonicalised so
// that the same quantity compares equal however it is written: "1,000"
// and "1000" are "1000", "€4.00" and "4" are "4", "3,49" is "3.49"; times
// keep their colon ("10:30"). A range "5–10" gives "5" and "10".
func Numbers(s string) []string {
	s = clip(s)
	var out []string
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		j := i + 1
		for j < len(s) && (isDigit(s[j]) || strings.IndexByte(".,:", s[j]) >= 0 && j+1 < len(s) && isDigit(s[j+1])) {
			j++
		}
		out = append(out, canonicalNumber(s[i:j]))
		i = j
	}
	return out
}

// EvidenceNumbers returns the numbers of s as Numbers does, plus the
// small numbers it spells out in words ("two business days" gives "2"),
// so that a reply writing "2" is supported by an article writing "two".
func EvidenceNumbers(s string) []string {
	out := Numbers(s)
	for _, w := range Words(s) {
		if n, ok := numberWords[w]; ok {
			out = append(out, n)
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// canonicalNumber normalises one run of digits and separators.
func canonicalNumber(n string) string {
	if strings.Contains(n, ":") {
		return n
	}
	if isThousands(n, ',') {
		n = strings.ReplaceAll(n, ",", "")
	} else if isThousands(n, '.') && !strings.Contains(n, ",") && strings.Count(n, ".") > 1 {
		n = strings.ReplaceAll(n, ".", "")
	} else if strings.Count(n, ",") == 1 && !strings.Contains(n, ".") {
		n = strings.Replace(n, ",", ".", 1) // a decimal comma
	} else if strings.Contains(n, ",") && strings.Contains(n, ".") {
		if strings.LastIndexByte(n, ',') > strings.LastIndexByte(n, '.') {
			n = strings.ReplaceAll(n, ".", "") // 1.234,56
			n = strings.Replace(n, ",", ".", 1)
		} else {
			n = strings.ReplaceAll(n, ",", "") // 1,234.56
		}
	}
	if k := strings.IndexByte(n, '.'); k >= 0 {
		n = strings.TrimRight(n, "0")
		n = strings.TrimSuffix(n, ".")
	}
	return n
}

// isThousands reports whether n is digits grouped by sep in threes
// ("1,000", "12,500,000").
func isThousands(n string, sep byte) bool {
	groups := strings.Split(n, string(sep))
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

var numberWords = map[string]string{
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
	"thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
	"eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
	"fifty": "50", "sixty": "60", "ninety": "90", "hundred": "100", "once": "1", "twice": "2",
	"single": "1", "double": "2", "half": "0.5",
}

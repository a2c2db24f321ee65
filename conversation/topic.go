package conversation

import (
	"regexp"
	"strings"
)

// topicFrame matches a request for everything about a topic: "tell me
// about refunds", "what's your refund policy?", "info on student
// discounts". Its words are no part of the topic, and searched for they
// counted as terms the articles lack, so the question fell back while
// "refunds?" alone was answered.
var topicFrame = regexp.MustCompile(`(?i)^\s*(?:(?:can|could) you\s+)?(?:` +
	`tell me (?:more )?about|what(?:'s| is| are) your|i have a question about|a question about|` +
	`info(?:rmation)? (?:on|about)|details (?:on|about|of)|explain)\s+(?:the\s+|your\s+)?` +
	`(.+?)(?:\s+(?:policy|policies|rules|terms))?\s*[?.!]*\s*$`)

// policyOnly matches a message that names a policy and nothing else
// ("refund policy?").
var policyOnly = regexp.MustCompile(`(?i)^\s*(?:(?:the|your)\s+)?(\S+(?:\s+\S+)?)\s+(?:policy|policies)\s*[?.!]*\s*$`)

// topicOf returns the topic of a request for everything about one, or
// text unchanged.
func topicOf(text string) string {
	m := topicFrame.FindStringSubmatch(text)
	if m == nil {
		m = policyOnly.FindStringSubmatch(text)
	}
	if m == nil || strings.TrimSpace(m[1]) == "" {
		return text
	}
	return m[1]
}

package web

import (
	"encoding/json"
	"net/http"
)

// Error codes of the {"error":{"code","message"}} body. They are part of the
// HTTP contract: clients branch on them.
const (
	CodeMalformed     = "malformed"     // 400: the body is not the documented JSON
	CodeBadToken      = "bad_token"     // 401: conversation token missing or wrong
	CodeBadSignature  = "bad_signature" // 401: webhook signature missing, wrong or stale
	CodeUnauthorized  = "unauthorized"  // 401: operator token missing or wrong
	CodeNotFound      = "not_found"     // 404
	CodeMethod        = "method_not_allowed"
	CodeDuplicate     = "duplicate"      // 409: this message id was already handled
	CodeHumanHandling = "human_handling" // 409: a human agent owns the conversation
	CodeTooLarge      = "too_large"      // 413: body over the limit
	CodeUnsupported   = "unsupported_media_type"
	CodeRateLimited   = "rate_limited"  // 429: the user is over the rate limit
	CodeInternal      = "internal"      // 500
	CodeUnavailable   = "unavailable"   // 503: the session store cannot be reached
	CodeNotReady      = "not_ready"     // 503: knowledge or model not loaded yet
	CodeShuttingDown  = "shutting_down" // 503: the server is draining
)

// An ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// An ErrorDetail says what went wrong: a stable code and a human message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError answers with status and the stable error shape
// {"error":{"code","message"}}. Other packages (bot) use it so that every
// error of the server looks the same.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

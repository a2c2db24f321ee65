package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error types, as OpenAI names them in error.type.
const (
	typeInvalidRequest = "invalid_request_error"
	typeRateLimit      = "requests"
	typeServer         = "server_error"
)

// An Error is an API error: an HTTP status and the body OpenAI sends,
// {"error": {"message", "type", "param", "code"}}. It is what request
// parsing returns, so that a caller can tell which parameter was wrong.
type Error struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"` // the offending request field; null when none
	Code    *string `json:"code"`  // a stable machine-readable code; null when none
}

func (e *Error) Error() string {
	s := fmt.Sprintf("openai %d %s", e.Status, e.Type)
	if e.Param != nil {
		s += " (" + *e.Param + ")"
	}
	return s + ": " + e.Message
}

// errorBody is the JSON envelope of an Error.
type errorBody struct {
	Error *Error `json:"error"`
}

func ptr[T any](v T) *T { return &v }

// badRequest is a 400 about param (empty for none).
func badRequest(param, format string, args ...any) *Error {
	e := &Error{Status: http.StatusBadRequest, Type: typeInvalidRequest, Message: fmt.Sprintf(format, args...)}
	if param != "" {
		e.Param = ptr(param)
	}
	return e
}

// unsupported is a 400 for a feature this server does not implement.
func unsupported(param, format string, args ...any) *Error {
	e := badRequest(param, format, args...)
	e.Code = ptr("unsupported_parameter")
	return e
}

func errUnauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Type: typeInvalidRequest, Code: ptr("invalid_api_key"), Message: msg}
}

func errNotReady() *Error {
	return &Error{Status: http.StatusServiceUnavailable, Type: typeServer, Code: ptr("model_not_loaded"),
		Message: "No model is loaded on this server, so it cannot generate text. Start it with a model (see `switchboard serve --help`)."}
}

func errServer(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: typeServer, Message: msg}
}

// writeError writes e as OpenAI's JSON error.
func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, errorBody{Error: e})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types reach here, and they always marshal.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encode response","type":"server_error","param":null,"code":null}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

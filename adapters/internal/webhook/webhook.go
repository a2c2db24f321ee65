// Package webhook holds what the chat platforms' webhook handlers share:
// reading a request body within a size limit, and answering with the
// server's JSON error shape {"error":{"code","message"}} (DESIGN.md).
package webhook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Error codes of the error shape that every platform handler uses.
const (
	CodeTooLarge  = "too_large" // 413: the body is over the limit
	CodeMalformed = "malformed" // 400: the body could not be read or parsed
)

// WriteError answers with status and the server's error shape,
// {"error":{"code","message"}}, as application/json.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// ReadBody reads r's body, at most limit bytes. When it cannot, it
// answers the request itself (413 too_large over the limit, else 400
// malformed) and returns false.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "request body too large")
		} else {
			WriteError(w, http.StatusBadRequest, CodeMalformed, "read request body: "+err.Error())
		}
		return nil, false
	}
	return body, true
}

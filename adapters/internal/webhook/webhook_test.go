package webhook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, http.StatusUnauthorized, "bad_signature", "invalid request signature")
	if got, want := w.Code, http.StatusUnauthorized; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if body.Error.Code != "bad_signature" || body.Error.Message != "invalid request signature" {
		t.Errorf("body = %q, want code bad_signature and the message", w.Body)
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	tests := []struct {
		name       string
		body       io.Reader
		limit      int64
		wantOK     bool
		wantStatus int
		wantCode   string
	}{
		{"within the limit", strings.NewReader("hello"), 5, true, http.StatusOK, ""},
		{"empty", strings.NewReader(""), 5, true, http.StatusOK, ""},
		{"over the limit", strings.NewReader("hello!"), 5, false, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{"read error", errReader{}, 5, false, http.StatusBadRequest, CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/hook", tt.body)
			got, ok := ReadBody(w, r, tt.limit)
			if ok != tt.wantOK {
				t.Fatalf("ReadBody() ok = %v, want %v", ok, tt.wantOK)
			}
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if ok {
				if w.Body.Len() != 0 {
					t.Errorf("ReadBody() answered %q on success, want nothing written", w.Body)
				}
				return
			}
			if got != nil {
				t.Errorf("ReadBody() = %q on failure, want nil", got)
			}
			var body struct{ Error struct{ Code string } }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tt.wantCode {
				t.Errorf("body = %q, want error code %q", w.Body, tt.wantCode)
			}
		})
	}
}

func FuzzReadBody(f *testing.F) {
	f.Add([]byte(`{"type":1}`), int64(16))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, in []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(in)))
		got, ok := ReadBody(w, r, limit)
		if wantOK := int64(len(in)) <= limit; ok != wantOK {
			t.Fatalf("ReadBody(%d bytes, limit %d) ok = %v, want %v", len(in), limit, ok, wantOK)
		}
		if ok && string(got) != string(in) {
			t.Fatalf("ReadBody() = %q, want %q", got, in)
		}
	})
}

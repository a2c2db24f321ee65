package knowledge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Kinds of evaluation question.
const (
	KindAnswer      = "answer"       // answered by the article in Doc
	KindOutOfScope  = "out_of_scope" // the knowledge does not answer it
	KindHandoff     = "handoff"      // the user asks for a human
	KindInjection   = "injection"    // an attempt to subvert the bot
	MaxQuestionLine = 64 << 10       // longest line of a questions file
	MaxQuestions    = 100000         // most questions in one file
)

// An EvalQuestion is one line of a questions.jsonl evaluation set.
type EvalQuestion struct {
	Q       string   `json:"q"`
	Doc     string   `json:"doc"`               // expected article (DocID), "" for none
	Any     []string `json:"any"`               // facts a right answer contains (one of them)
	Kind    string   `json:"kind"`              // KindAnswer, KindOutOfScope, ...
	History []string `json:"history,omitempty"` // earlier user turns, oldest first
	// Answer is the article's sentence that answers the question, as the
	// trainer's question files (configs/train) give it; a reply that
	// quotes it is right too, so those files are evaluation sets as well.
	Answer string `json:"answer,omitempty"`
}

// Facts returns what a right answer contains, one of them: Any and the
// Answer sentence.
func (q EvalQuestion) Facts() []string {
	if q.Answer == "" {
		return q.Any
	}
	return append(q.Any[:len(q.Any):len(q.Any)], q.Answer)
}

// ErrInvalidQuestions reports a malformed questions file.
var ErrInvalidQuestions = errors.New("knowledge: invalid questions file")

// A LineError is a malformed line of a questions file. It matches
// ErrInvalidQuestions with errors.Is.
type LineError struct {
	Line int   // 1-based line number
	Err  error // what is wrong with it
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns what is wrong with the line.
func (e *LineError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidQuestions.
func (e *LineError) Is(target error) bool { return target == ErrInvalidQuestions }

// kinds are the question kinds Read accepts.
var kinds = map[string]bool{
	KindAnswer:     true,
	KindOutOfScope: true,
	KindHandoff:    true,
	KindInjection:  true,
}

// ReadQuestions reads a JSON Lines evaluation set: one object
// {"q","doc","any","kind","history"?} a line, blank lines skipped; an
// answer question may give "answer" (the sentence that answers it, as
// the trainer's question files do) instead of or beside "any". It is
// strict so that a typo does not silently score nothing: unknown fields,
// an unknown kind, an answer question without doc or facts, and empty
// facts or history turns are errors. Every error about a line is a
// *LineError naming it. A byte order mark and text in Windows-1252
// (Latin-1) are read as for articles.
func ReadQuestions(r io.Reader) ([]EvalQuestion, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxQuestionLine)
	var qs []EvalQuestion
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // Notepad's byte order mark
		}
		// A file saved in Latin-1 or Windows-1252 is read as the
		// articles are (UTF8Text): decoded as UTF-8, its accented
		// letters became U+FFFD, and replies quoting them scored wrong.
		text = bytes.TrimSpace(UTF8Text(text))
		if len(text) == 0 {
			continue
		}
		if len(qs) >= MaxQuestions {
			return nil, &LineError{line, fmt.Errorf("more than %d questions", MaxQuestions)}
		}
		q, err := parseQuestion(text)
		if err != nil {
			return nil, &LineError{line, err}
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{line + 1, fmt.Errorf("longer than %d bytes", MaxQuestionLine)}
		}
		return nil, fmt.Errorf("read questions: %w", err)
	}
	return qs, nil
}

// parseQuestion decodes and checks one line.
func parseQuestion(text []byte) (EvalQuestion, error) {
	var q EvalQuestion
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return q, fmt.Errorf("decode question (one JSON object a line): %w", err)
	}
	if dec.More() {
		return q, errors.New("text after the question object")
	}
	switch {
	case strings.TrimSpace(q.Q) == "":
		return q, errors.New(`missing "q"`)
	case !kinds[q.Kind]:
		return q, fmt.Errorf(`unknown kind %q: want answer, out_of_scope, handoff or injection`, q.Kind)
	case q.Kind == KindAnswer && strings.TrimSpace(q.Doc) == "":
		return q, errors.New(`an answer question needs "doc", the article that answers it`)
	case q.Kind == KindAnswer && len(q.Facts()) == 0:
		return q, errors.New(`an answer question needs "any", the facts a right answer contains, or "answer", the sentence that answers it`)
	}
	for _, f := range q.Facts() {
		if strings.TrimSpace(f) == "" {
			return q, errors.New(`empty fact in "any"`)
		}
	}
	for _, h := range q.History {
		if strings.TrimSpace(h) == "" {
			return q, errors.New(`empty turn in "history"`)
		}
	}
	return q, nil
}

// LoadQuestions reads the evaluation set in the file path (see
// ReadQuestions); a file without questions is an error too.
func LoadQuestions(path string) ([]EvalQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open questions: %w", err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("read %s: %w: no questions", path, ErrInvalidQuestions)
	}
	return qs, nil
}

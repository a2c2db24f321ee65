package evaluate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/switchboard/switchboard/knowledge"
)

// A LineError is a malformed line of a questions file. It matches
// knowledge.ErrInvalidQuestions with errors.Is.
type LineError struct {
	Line int   // 1-based line number
	Err  error // what is wrong with it
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns what is wrong with the line.
func (e *LineError) Unwrap() error { return e.Err }

// Is reports whether target is knowledge.ErrInvalidQuestions.
func (e *LineError) Is(target error) bool { return target == knowledge.ErrInvalidQuestions }

// kinds are the question kinds Read accepts.
var kinds = map[string]bool{
	knowledge.KindAnswer:     true,
	knowledge.KindOutOfScope: true,
	knowledge.KindHandoff:    true,
	knowledge.KindInjection:  true,
}

// Read reads a JSON Lines evaluation set: one object
// {"q","doc","any","kind","history"?} a line, blank lines skipped; an
// answer question may give "answer" (the sentence that answers it, as
// the trainer's question files do) instead of or beside "any". It is
// stricter than knowledge.ReadQuestions so that a typo does not silently
// score nothing: unknown fields, an unknown kind, an answer question
// without doc or facts, and empty facts or history turns are errors. Every
// error about a line is a *LineError naming it.
func Read(r io.Reader) ([]knowledge.EvalQuestion, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), knowledge.MaxQuestionLine)
	var qs []knowledge.EvalQuestion
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if len(qs) >= knowledge.MaxQuestions {
			return nil, &LineError{line, fmt.Errorf("more than %d questions", knowledge.MaxQuestions)}
		}
		q, err := parseQuestion(text)
		if err != nil {
			return nil, &LineError{line, err}
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{line + 1, fmt.Errorf("longer than %d bytes", knowledge.MaxQuestionLine)}
		}
		return nil, fmt.Errorf("read questions: %w", err)
	}
	return qs, nil
}

// parseQuestion decodes and checks one line.
func parseQuestion(text []byte) (knowledge.EvalQuestion, error) {
	var q knowledge.EvalQuestion
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return q, fmt.Errorf("decode question: %w", err)
	}
	if dec.More() {
		return q, errors.New("text after the question object")
	}
	switch {
	case strings.TrimSpace(q.Q) == "":
		return q, errors.New(`missing "q"`)
	case !kinds[q.Kind]:
		return q, fmt.Errorf(`unknown kind %q: want answer, out_of_scope, handoff or injection`, q.Kind)
	case q.Kind == knowledge.KindAnswer && strings.TrimSpace(q.Doc) == "":
		return q, errors.New(`an answer question needs "doc", the article that answers it`)
	case q.Kind == knowledge.KindAnswer && len(q.Facts()) == 0:
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

// Load reads the evaluation set in the file path (see Read).
func Load(path string) ([]knowledge.EvalQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open questions: %w", err)
	}
	defer f.Close()
	qs, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("read %s: %w: no questions", path, knowledge.ErrInvalidQuestions)
	}
	return qs, nil
}

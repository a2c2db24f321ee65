package knowledge

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// csvEntries reads a CSV or TSV FAQ as the entries of a JSON one: a
// spreadsheet of questions and answers is how many teams keep their FAQ
// (Dialogflow's FAQ documents, QnA Maker's TSV, a help desk's article
// export saved from Excel). The first row names the columns, matched as
// a JSON entry's fields are ("Question", "Answer", "Title", "Body",
// "URL"; HubSpot's "Article title" and "Article body" too), so an entry
// may link its page and be a draft as in JSON. A file of two columns
// whose first row names neither is a headerless list of questions and
// answers, as Dialogflow takes them. Commas, semicolons (Excel where the
// decimal mark is a comma) and tabs all separate columns: the one that
// splits the first row most is used.
func csvEntries(data []byte) ([]any, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = csvSeparator(data)
	// A short row leaves its last columns empty. Quotes are read
	// strictly: a quote left open would swallow the rows after it into
	// one answer, silently.
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalidFAQ, pe.StartLine, pe.Err)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidFAQ, err)
	}
	if len(rows) == 0 {
		return nil, errNotFAQ
	}
	header := make([]string, len(rows[0]))
	for i, h := range rows[0] {
		header[i] = columnKey(h)
	}
	if !slices.ContainsFunc(header, isQuestionKey) || !slices.ContainsFunc(header, isAnswerKey) {
		if len(header) != 2 {
			return nil, errNotFAQ
		}
		header = []string{"question", "answer"}
	} else {
		rows = rows[1:]
	}
	var list []any
	for _, row := range rows {
		m := make(map[string]any, len(row))
		blank := true
		for i, v := range row {
			if i >= len(header) || header[i] == "" {
				continue
			}
			blank = blank && strings.TrimSpace(v) == ""
			m[header[i]] = csvValue(v)
		}
		if !blank {
			list = append(list, m)
		}
	}
	return list, nil
}

// csvSeparator returns the separator that splits data's first line into
// the most columns: a comma, a semicolon or a tab.
func csvSeparator(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, most := ',', bytes.Count(line, []byte(","))
	for _, sep := range []rune{';', '\t'} {
		if n := bytes.Count(line, []byte(string(sep))); n > most {
			best, most = sep, n
		}
	}
	return best
}

// columnKey is a column's name as an entry's field: lowercase, words
// joined by '_' ("Public URL" is "public_url"), "Article title" is
// "title", and "Questions", "Answers" and "Response" name the question
// and the answer.
func columnKey(name string) string {
	k := strings.TrimPrefix(strings.Join(strings.Fields(strings.ToLower(name)), "_"), "article_")
	switch k {
	case "questions":
		return "question"
	case "answers", "response":
		return "answer"
	}
	return k
}

func isQuestionKey(k string) bool { return slices.Contains(titleKeys, k) }
func isAnswerKey(k string) bool   { return slices.Contains(answerKeys, k) }

// csvValue is a cell as a JSON value: "true" and "false" are booleans,
// so that a "draft" or "published" column marks drafts as in JSON.
func csvValue(v string) any {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	return v
}

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
// export saved from Excel). A header row (see faqHeader) names the
// columns, matched as a JSON entry's fields are ("Question", "Answer",
// "Title", "Body", "URL"; HubSpot's "Article title" and "Article body"
// too), so an entry may link its page and be a draft as in JSON. A file
// of two columns with no such row is a headerless list of questions and
// answers, as Dialogflow takes them. Commas, semicolons (Excel where the
// decimal mark is a comma) and tabs all separate columns (see
// csvSeparator), and Excel's "sep=;" first line names the one used.
func csvEntries(data []byte) ([]any, error) {
	sep, ok := declaredSeparator(data)
	if ok {
		_, data, _ = bytes.Cut(data, []byte("\n"))
	} else {
		sep = csvSeparator(data)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sep
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
	return rowEntries(rows)
}

// rowEntries reads the rows of a spreadsheet (see csvEntries) as FAQ
// entries.
func rowEntries(rows [][]string) ([]any, error) {
	if len(rows) == 0 {
		return nil, errNotFAQ
	}
	header, at := faqHeader(rows)
	switch {
	case header != nil:
		rows = rows[at+1:]
	case len(rows[0]) == 2:
		header = []string{"question", "answer"}
	default:
		return nil, errNotFAQ
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

// headerRows is how far down a spreadsheet its header row is looked
// for: a sheet made by hand often opens with its title ("Acme FAQ, last
// updated May") and a blank row.
const headerRows = 5

// faqHeader returns the columns of the first row among the first
// headerRows that names a question and an answer column, as entry
// fields, and its index; nil when none does.
func faqHeader(rows [][]string) ([]string, int) {
	for at := 0; at < len(rows) && at < headerRows; at++ {
		header := make([]string, len(rows[at]))
		for i, h := range rows[at] {
			header[i] = columnKey(h)
		}
		if slices.ContainsFunc(header, isQuestionKey) && slices.ContainsFunc(header, isAnswerKey) {
			return header, at
		}
	}
	return nil, 0
}

// declaredSeparator returns the separator a first line such as "sep=;"
// names, as Excel writes and reads it.
func declaredSeparator(data []byte) (rune, bool) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	v, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("sep="))
	if !ok || len(v) != 1 || v[0] == '"' || v[0] == '\r' || v[0] == '\n' {
		return 0, false
	}
	return rune(v[0]), true
}

// csvSeparator returns the separator of data's columns: a comma, a
// semicolon or a tab, whichever splits its first rows into the same
// number of columns, two or more ("Was kostet der Versand?;4,95 €" holds
// a comma too), else the one that splits the first row most.
func csvSeparator(data []byte) rune {
	best, bestRank := ',', -1
	for _, sep := range []rune{',', ';', '\t'} {
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
		first, even := 0, true
		for i := 0; i < 20; i++ {
			row, err := r.Read()
			if err != nil {
				break
			}
			if i == 0 {
				first = len(row)
			}
			even = even && len(row) == first
		}
		rank := first
		if even && first >= 2 {
			rank += 1000
		}
		if rank > bestRank {
			best, bestRank = sep, rank
		}
	}
	return best
}

// columnKey is a column's name as an entry's field: lowercase, words
// joined by '_' ("Public URL" is "public_url"), "Article title" is
// "title", and "Questions", "Response" and their names in the languages
// the bot speaks ("Frage", "Réponse") name the question and the answer.
func columnKey(name string) string {
	k := strings.TrimPrefix(strings.Join(strings.Fields(strings.ToLower(name)), "_"), "article_")
	switch {
	case questionColumns[k]:
		return "question"
	case answerColumns[k]:
		return "answer"
	}
	return k
}

var (
	questionColumns = setOf(`questions frage fragen pregunta preguntas vraag vragen domanda domande pergunta perguntas`)
	answerColumns   = setOf(`answers response antwort antworten réponse reponse réponses reponses respuesta respuestas
antwoord antwoorden risposta risposte resposta respostas`)
)

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

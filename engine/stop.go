package engine

import "strings"

// A stopper holds back generated text that could be the start of a stop
// string, so that a stop string spanning several tokens is never emitted.
type stopper struct {
	stops   []string
	pending strings.Builder // text decoded but not yet emitted
}

// newStopper returns a stopper for the non-empty strings of stops.
func newStopper(stops []string) *stopper {
	s := &stopper{}
	for _, st := range stops {
		if st != "" {
			s.stops = append(s.stops, st)
		}
	}
	return s
}

// add appends text and returns what can be emitted now. stopped reports
// that a stop string was found; emit is then the text before it and the
// rest is dropped.
func (s *stopper) add(text string) (emit string, stopped bool) {
	if len(s.stops) == 0 {
		return text, false
	}
	s.pending.WriteString(text)
	p := s.pending.String()
	cut := -1
	for _, stop := range s.stops {
		if i := strings.Index(p, stop); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		s.pending.Reset()
		return p[:cut], true
	}
	// Hold back the longest suffix of p that is a prefix of a stop string.
	hold := 0
	for _, stop := range s.stops {
		for n := min(len(stop)-1, len(p)); n > hold; n-- {
			if strings.HasSuffix(p, stop[:n]) {
				hold = n
				break
			}
		}
	}
	s.pending.Reset()
	s.pending.WriteString(p[len(p)-hold:])
	return p[:len(p)-hold], false
}

// flush returns the held-back text at the end of generation.
func (s *stopper) flush() string {
	p := s.pending.String()
	s.pending.Reset()
	return p
}

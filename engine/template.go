package engine

// A Template renders chat messages into a prompt.
type Template struct {
	Name string
}

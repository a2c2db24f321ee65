// Package bot wires configuration, knowledge, the decoder, the conversation
// pipeline and the platform adapters into one HTTP server with a lifecycle.
package bot

import (
	"context"
	"net/http"
)

// An Adapter connects one platform to the conversation pipeline.
type Adapter interface {
	// Name is the platform name used in logs and metrics ("slack").
	Name() string
	// Register adds the adapter's HTTP routes to mux.
	Register(mux *http.ServeMux)
}

// A Runner is implemented by adapters that keep connections of their own
// (Slack Socket Mode, the Discord gateway). Run blocks until ctx is done or
// the connection fails for good, and returns only after every goroutine it
// started has stopped.
type Runner interface {
	Run(ctx context.Context) error
}

// A Drainer is implemented by adapters that keep working after the HTTP
// request that started the work has been answered (webhook callbacks).
// Drain waits for that work until ctx is done, then cancels what remains
// and returns once it has stopped. The server calls it during Shutdown,
// after the HTTP server has drained and before the pipeline stops.
type Drainer interface {
	Drain(ctx context.Context) error
}

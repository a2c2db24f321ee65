package engine

import "errors"

// Errors returned (wrapped) by this package.
var (
	// ErrConfig means a model's hyperparameters are missing or impossible.
	ErrConfig = errors.New("engine: bad model configuration")
	// ErrMissingTensor means a weight the architecture needs is not in the file.
	ErrMissingTensor = errors.New("engine: missing tensor")
	// ErrShape means a weight's shape or size does not match the configuration.
	ErrShape = errors.New("engine: wrong tensor shape")
	// ErrArch means the file holds an architecture this package cannot run.
	ErrArch = errors.New("engine: unsupported architecture")
	// ErrContext means a sequence would exceed the model's context length.
	ErrContext = errors.New("engine: context length exceeded")
	// ErrClosed means the model was closed.
	ErrClosed = errors.New("engine: model closed")
	// ErrKVBudget means one generation's KV cache is larger than the
	// model's whole KV cache budget (Options.KVCacheBytes).
	ErrKVBudget = errors.New("engine: KV cache budget exceeded")
)

// A LoadError says which file and tensor made loading fail.
type LoadError struct {
	File   string // the model file or folder
	Tensor string // the tensor concerned, if any
	Err    error
}

func (e *LoadError) Error() string {
	s := "load model"
	if e.File != "" {
		s += " " + e.File
	}
	if e.Tensor != "" {
		s += ": tensor " + e.Tensor
	}
	return s + ": " + e.Err.Error()
}

func (e *LoadError) Unwrap() error { return e.Err }

// Package golden checks files that are generated from the repository's
// own data (the learned tables embedded in the binary) against what
// generates them, and rewrites them on request.
package golden

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// Check fails t unless the file at path holds what w writes; with update
// it writes that to the file instead. how says how to regenerate the
// file, for the failure message.
func Check(t testing.TB, path string, w io.WriterTo, update bool, how string) {
	t.Helper()
	var want bytes.Buffer
	if _, err := w.WriteTo(&want); err != nil {
		t.Fatalf("generate %s: %v", path, err)
	}
	if update {
		if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want.Bytes()) {
		t.Errorf("%s is not what generates it; %s", path, how)
	}
}

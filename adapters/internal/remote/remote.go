// Package remote names the caller of an HTTP request.
package remote

import (
	"net"
	"net/http"
)

// Host returns the host of r.RemoteAddr: the client's address, once the
// server has replaced a trusted proxy's with the one it forwarded for.
func Host(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

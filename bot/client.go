package bot

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddress sets r.RemoteAddr to the client's address when the
// request came through trusted proxies: the last X-Forwarded-For entry
// that is not itself a trusted proxy (each proxy appends the address it
// heard from, so entries left of that one are the client's to forge).
// Everything downstream (rate limits, first-message ids, logs) then sees
// the visitor, not the load balancer all visitors share.
func clientAddress(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if addr, ok := forwardedFor(r, trusted); ok {
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = net.JoinHostPort(addr.String(), "0")
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedFor returns the client address X-Forwarded-For names, when the
// peer is a trusted proxy.
func forwardedFor(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(peer.Addr().Unmap(), trusted) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false // a garbled chain names no one
		}
		if a = a.Unmap(); !isTrusted(a, trusted) || i == 0 {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

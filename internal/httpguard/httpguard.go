// Package httpguard holds the exposure rules shared by the collector's own
// HTTP servers (the dashboard and the alert API): a token is required once a
// server binds beyond loopback, and the Host header must name the server, so
// a DNS-rebinding page cannot reach a server that trusts "who can connect".
package httpguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// MinTokenBytes is the shortest bearer token accepted: 128 bits of a random
// token, and long enough that a typo'd one-word secret is refused.
const MinTokenBytes = 16

// DefaultAllowedHosts are the Host names accepted when none are configured:
// the loopback names a browser on the same machine uses.
func DefaultAllowedHosts() []string {
	return []string{"localhost", "127.0.0.1", "::1"}
}

// BindsBeyondLoopback reports whether a listen endpoint ("host:port") is
// reachable from other machines: an empty host, a wildcard or any address
// or name other than the loopback ones.
func BindsBeyondLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// ValidateToken checks a bearer token against the endpoint it protects: any
// token set must be at least MinTokenBytes long, and one is required when the
// endpoint binds beyond loopback. field names the token in messages
// ("bearer_token", "api.bearer_token"); the token itself is never printed.
func ValidateToken(field, endpoint, token string) error {
	switch {
	case token == "" && BindsBeyondLoopback(endpoint):
		return fmt.Errorf("%s: required when the endpoint %q binds beyond loopback (at least %d bytes; or listen on localhost)", field, endpoint, MinTokenBytes)
	case token != "" && len(token) < MinTokenBytes:
		return fmt.Errorf("%s: must be at least %d bytes, got %d", field, MinTokenBytes, len(token))
	}
	return nil
}

// ValidateAllowedHosts checks an allowed_hosts list: names or addresses
// without port or scheme, a ".example.com" suffix entry for a domain and its
// subdomains, or "*" alone for any host.
func ValidateAllowedHosts(field string, hosts []string) error {
	var errs []error
	for i, h := range hosts {
		switch {
		case h == "*":
			if len(hosts) > 1 {
				errs = append(errs, fmt.Errorf("%s[%d]: \"*\" allows any host and must be the only entry", field, i))
			}
		case h == "" || strings.ContainsAny(h, "/@ ") || (strings.Contains(h, ":") && net.ParseIP(h) == nil):
			errs = append(errs, fmt.Errorf("%s[%d]: %q must be a host name or address without scheme or port", field, i, h))
		}
	}
	return errors.Join(errs...)
}

// HostAllowed reports whether the Host of a request (with or without port)
// matches the allow-list.
func HostAllowed(allowed []string, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	for _, a := range allowed {
		switch {
		case a == "*":
			return true
		case strings.HasPrefix(a, "."):
			if strings.HasSuffix(strings.ToLower(host), strings.ToLower(a)) || strings.EqualFold(host, a[1:]) {
				return true
			}
		case strings.EqualFold(host, a):
			return true
		}
	}
	return false
}

// CheckHost wraps next so that requests whose Host is not allowed get 421
// Misdirected Request with a fixed JSON message; nothing of the request is
// echoed. An empty list means DefaultAllowedHosts.
func CheckHost(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		allowed = DefaultAllowedHosts()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !HostAllowed(allowed, r.Host) {
			WriteError(w, http.StatusMisdirectedRequest, "host not allowed: add it to allowed_hosts")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteError answers {"error": msg}. msg must be a fixed text: error
// responses never carry request content back (it may hold PII).
func WriteError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Package channelhealth keeps the delivery health of every outbound
// channel of the collector (alert channels, the dashboard's digest), so a
// failing one shows in /healthz and on the dashboard, not only in a log
// line. Channels come from configuration, so the set is bounded.
package channelhealth

import (
	"errors"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Status values.
const (
	StatusOK      = "ok"
	StatusFailing = "failing"
)

// State is one channel's delivery health.
type State struct {
	// Component is the collector component ID ("alert", "dashboard").
	Component string `json:"component"`
	Channel   string `json:"channel"`
	Status    string `json:"status"`
	// Since is when the current status began.
	Since time.Time `json:"since"`
	// LastError and Hint describe the failure; empty when ok. LastError
	// never holds the destination URL (callers strip it).
	LastError string `json:"last_error,omitempty"`
	Hint      string `json:"hint,omitempty"`
	// StatusCode is the last HTTP status of a failure; 0 without one.
	StatusCode int `json:"status_code,omitempty"`
}

// Registry holds the states; Default is the process's.
type Registry struct {
	mu     sync.Mutex
	states map[string]*State
}

// Default is the registry the components report to and read from.
var Default = &Registry{}

// Report records the outcome of one delivery attempt (err nil = success)
// and tells whether it began a failure (first failure after success or
// start) or ended one.
func (r *Registry) Report(component, channel string, err error, statusCode int, now time.Time) (firstFailure, recovered bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.states == nil {
		r.states = map[string]*State{}
	}
	key := component + "\x00" + channel
	s := r.states[key]
	if s == nil {
		s = &State{Component: component, Channel: channel, Status: StatusOK, Since: now}
		r.states[key] = s
	}
	if err == nil {
		recovered = s.Status == StatusFailing
		if recovered {
			s.Since = now
		}
		s.Status, s.LastError, s.Hint, s.StatusCode = StatusOK, "", "", 0
		return false, recovered
	}
	firstFailure = s.Status != StatusFailing
	if firstFailure {
		s.Since = now
	}
	s.Status, s.LastError, s.StatusCode = StatusFailing, err.Error(), statusCode
	s.Hint = Hint(err, statusCode)
	return firstFailure, false
}

// Forget drops a component's channels (at its shutdown).
func (r *Registry) Forget(component string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range r.states {
		if s.Component == component {
			delete(r.states, k)
		}
	}
}

// Snapshot returns every state, sorted by component and channel.
func (r *Registry) Snapshot() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]State, 0, len(r.states))
	for _, s := range r.states {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Component != out[j].Component {
			return out[i].Component < out[j].Component
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

// Hint is what an operator should check for a delivery error.
func Hint(err error, statusCode int) string {
	var dnsErr *net.DNSError
	msg := strings.ToLower(err.Error())
	switch {
	case errors.As(err, &dnsErr) || strings.Contains(msg, "no such host"):
		return "the destination's host name does not resolve: check the URL, DNS, or set a proxy if egress goes through one"
	case strings.Contains(msg, "connection refused"):
		return "nothing listens at the destination: check the URL and port, or a firewall"
	case strings.Contains(msg, "x509") || strings.Contains(msg, "certificate"):
		return "TLS verification failed: the destination's certificate is not trusted (a private CA needs tls.ca_file)"
	case strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "timeout"):
		return "the destination did not answer in time: check connectivity, a proxy, or raise the channel timeout"
	case statusCode == 401 || statusCode == 403:
		return "the destination refused the credentials: check the token, key or webhook secret"
	case statusCode == 404 || statusCode == 410:
		return "the destination does not exist (any more): the webhook may have been revoked; check the URL"
	case statusCode == 429:
		return "rate limited by the destination: notifications are retried after its Retry-After"
	case statusCode >= 500:
		return "the destination service is failing; delivery is retried with back-off"
	case statusCode >= 400:
		return "the destination rejected the message: check the channel's settings and templates"
	}
	return "delivery failed; retried with back-off"
}

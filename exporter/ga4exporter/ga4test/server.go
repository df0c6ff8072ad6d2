// Package ga4test is a local GA4 Measurement Protocol server for tests. It
// enforces every documented limit (events and params per request, name
// rules, value lengths, reserved names, body size, timestamp age) plus our
// privacy rules (no email, no IP), and rejects violating requests with 400 —
// stricter than GA4, which answers 2xx to malformed payloads. Unless created
// with AllowViolations, any violation fails the test at cleanup, so a test
// using it fails whenever the exporter breaks a limit.
//
// It serves /mp/collect and the validation server /debug/mp/collect, and can
// inject failures (5xx, 429) for retry tests.
package ga4test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Paths served.
const (
	CollectPath      = "/mp/collect"
	DebugCollectPath = "/debug/mp/collect"
)

// Request is one received request.
type Request struct {
	Path          string
	MeasurementID string
	Body          []byte
	// Payload is nil when the body did not decode.
	Payload    *Payload
	Violations []Violation
	Status     int
}

// ReceivedEvent is an event of an accepted request with its request header.
type ReceivedEvent struct {
	ClientID string
	UserID   string
	Consent  *Consent
	Event
}

// Server is the test server. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	measurementID string
	apiSecret     string
	now           func() time.Time

	mu         sync.Mutex
	requests   []Request
	failures   []int
	validation []Violation
	// purchases is transaction_id -> value of accepted purchases, to tell
	// a partial refund without items from a full one.
	purchases map[string]*big.Rat
}

// Option configures a Server.
type Option func(*Server)

// WithCredentials makes the server require this measurement id and secret.
func WithCredentials(measurementID, apiSecret string) Option {
	return func(s *Server) { s.measurementID, s.apiSecret = measurementID, apiSecret }
}

// WithClock sets the server clock used for the timestamp age limit.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New starts a server; it is closed at test cleanup, where any recorded
// violation fails t.
func New(t testing.TB, opts ...Option) *Server {
	return newServer(t, true, opts...)
}

// NewLenient starts a server that records violations without failing t, for
// tests that send bad payloads on purpose.
func NewLenient(t testing.TB, opts ...Option) *Server {
	return newServer(t, false, opts...)
}

func newServer(t testing.TB, strict bool, opts ...Option) *Server {
	s := &Server{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(func() {
		s.Close()
		if !strict {
			return
		}
		for _, r := range s.Requests() {
			for _, v := range r.Violations {
				t.Errorf("ga4test: %s request broke a Measurement Protocol rule: %s", r.Path, v)
			}
		}
	})
	return s
}

// FailNext makes the next len(statuses) collect requests answer with these
// statuses (e.g. 503, 429) without accepting their events; a 0 lets that
// request through normally.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// AddValidationMessages makes /debug/mp/collect also return these messages,
// as the real validation server does for payloads it dislikes.
func (s *Server) AddValidationMessages(vs ...Violation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validation = append(s.validation, vs...)
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Violations returns all violations seen.
func (s *Server) Violations() []Violation {
	var out []Violation
	for _, r := range s.Requests() {
		out = append(out, r.Violations...)
	}
	return out
}

// Events returns the events of accepted /mp/collect requests, in order.
func (s *Server) Events() []ReceivedEvent {
	var out []ReceivedEvent
	for _, r := range s.Requests() {
		if r.Path != CollectPath || r.Status/100 != 2 || r.Payload == nil {
			continue
		}
		for _, e := range r.Payload.Events {
			out = append(out, ReceivedEvent{ClientID: r.Payload.ClientID, UserID: r.Payload.UserID, Consent: r.Payload.Consent, Event: e})
		}
	}
	return out
}

// maxRead bounds what the server reads; bodies past the limit are a violation anyway.
const maxRead = 4 << 20

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRead))
	req := Request{Path: r.URL.Path, MeasurementID: r.URL.Query().Get("measurement_id"), Body: body}
	var vs []Violation
	add := func(path, code, desc string) {
		vs = append(vs, Violation{FieldPath: path, ValidationCode: code, Description: desc})
	}
	if r.URL.Path != CollectPath && r.URL.Path != DebugCollectPath {
		w.WriteHeader(http.StatusNotFound)
		req.Status = http.StatusNotFound
		add("", CodeValueInvalid, "unknown path "+r.URL.Path)
		s.record(req, vs)
		return
	}
	if r.Method != http.MethodPost {
		add("", CodeValueInvalid, "the Measurement Protocol accepts POST only")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
		add("", CodeValueInvalid, "Content-Type must be application/json, got "+ct)
	}
	q := r.URL.Query()
	if !measurementIDRe.MatchString(req.MeasurementID) || (s.measurementID != "" && req.MeasurementID != s.measurementID) {
		add("measurement_id", CodeValueInvalid, "unknown or malformed measurement_id")
	}
	if secret := q.Get("api_secret"); secret == "" || (s.apiSecret != "" && secret != s.apiSecret) {
		add("api_secret", CodeValueInvalid, "missing or wrong api_secret")
	}
	p, bodyVs := Validate(body, s.now())
	req.Payload = p
	vs = append(vs, bodyVs...)
	vs = append(vs, s.checkRefunds(p)...)

	if r.URL.Path == DebugCollectPath {
		s.mu.Lock()
		msgs := append(append([]Violation{}, vs...), s.validation...)
		s.mu.Unlock()
		req.Status = http.StatusOK
		s.record(req, vs)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"validationMessages": nonNil(msgs)})
		return
	}

	s.mu.Lock()
	var fail int
	if len(s.failures) > 0 {
		fail, s.failures = s.failures[0], s.failures[1:]
	}
	s.mu.Unlock()
	switch {
	case fail != 0:
		req.Status = fail
		req.Payload = nil // not accepted
	case len(vs) > 0:
		req.Status = http.StatusBadRequest
	default:
		req.Status = http.StatusNoContent
	}
	s.record(req, vs)
	if req.Status == http.StatusBadRequest {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(req.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"validationMessages": vs})
		return
	}
	if fail == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(req.Status)
}

// checkRefunds remembers purchase values and flags a refund without items
// whose value is below its purchase's: GA4 reads a refund without items as a
// full refund, so a partial refund must list the refunded items.
func (s *Server) checkRefunds(p *Payload) []Violation {
	if p == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var vs []Violation
	for i, e := range p.Events {
		tid, _ := e.Params["transaction_id"].(string)
		n, _ := e.Params["value"].(json.Number)
		value, ok := new(big.Rat).SetString(string(n))
		if tid == "" || !ok {
			continue
		}
		switch e.Name {
		case "purchase":
			if s.purchases == nil {
				s.purchases = map[string]*big.Rat{}
			}
			s.purchases[tid] = value
		case "refund":
			items, _ := e.Params["items"].([]any)
			if bought, ok := s.purchases[tid]; ok && len(items) == 0 && value.Cmp(bought) < 0 {
				vs = append(vs, Violation{
					FieldPath: fmt.Sprintf("events[%d].params.items", i), ValidationCode: CodeValueRequired,
					Description: fmt.Sprintf("partial refund of %s (value %s of %s) without items: GA4 would reverse the whole transaction", tid, n, bought.FloatString(2)),
				})
			}
		}
	}
	return vs
}

func (s *Server) record(req Request, vs []Violation) {
	req.Violations = vs
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

func nonNil(vs []Violation) []Violation {
	if vs == nil {
		return []Violation{}
	}
	return vs
}

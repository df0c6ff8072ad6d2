// Package channeltest provides sample notifications and a recording HTTP
// server for channel tests.
package channeltest

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Start is the StartsAt of sample alerts.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Alert returns a sample alert.
func Alert(name, status, severity string) contract.Alert {
	labels := map[string]string{"service.name": "checkout", "payment.provider": "stripe"}
	a := contract.Alert{
		Name: name, Status: status, Severity: severity, Labels: labels,
		Fingerprint: contract.ComputeFingerprint(name, labels),
		Summary:     name + " above threshold", Description: "Payment errors are above 5% for 5m",
		Value: 0.12, Threshold: 0.05, StartsAt: Start, RunbookURL: "https://runbooks.example.com/" + name,
		GeneratorURL: "https://grafana.example.com/alerting",
	}
	if status == contract.AlertResolved {
		a.EndsAt = Start.Add(10 * time.Minute)
	}
	return a
}

// Notification returns a notification with one critical firing alert and
// one resolved warning.
func Notification() *channel.Notification {
	return &channel.Notification{
		Receiver: "ops", Channel: "test", GroupKey: `0.1:{alert.name="PaymentErrorRate"}`,
		GroupLabels: map[string]string{contract.AlertName: "PaymentErrorRate"},
		Alerts: []contract.Alert{
			Alert("PaymentErrorRate", contract.AlertFiring, contract.SeverityCritical),
			Alert("CheckoutLatency", contract.AlertResolved, contract.SeverityWarning),
		},
		Level: 1,
	}
}

// NaNAlert is an alert without value and threshold.
func NaNAlert() contract.Alert {
	a := Alert("NoValue", contract.AlertFiring, contract.SeverityInfo)
	a.Value, a.Threshold = math.NaN(), math.NaN()
	return a
}

// Request is a recorded request.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	User, Password      string
	HasBasicAuth        bool
}

// Response is a scripted answer.
type Response struct {
	Status int
	Header map[string]string
	Body   string
}

// Server records requests and answers from a script; after the script it
// answers with Final.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	script   []Response
	Final    Response
}

// NewServer starts a server answering final after the scripted responses.
func NewServer(t *testing.T, final Response, script ...Response) *Server {
	s := &Server{script: script, Final: final}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, ok := r.BasicAuth()
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, User: user, Password: pass, HasBasicAuth: ok})
		resp := s.Final
		if len(s.script) > 0 {
			resp, s.script = s.script[0], s.script[1:]
		}
		s.mu.Unlock()
		for k, v := range resp.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.Status)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the recorded requests.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Package api serves the alert exporter's HTTP API: list active alerts,
// acknowledge, resolve by hand, and create, list and expire silences.
// Every request needs the configured bearer token.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/dispatch"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/httpguard"
)

// Config of the API server.
type Config struct {
	confighttp.ServerConfig `mapstructure:",squash"`
	// BearerToken must be presented as "Authorization: Bearer <token>".
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// AllowedHosts are the Host header names the API answers (no port;
	// ".example.com" for a domain and its subdomains; "*" for any). The
	// default, the loopback names, refuses DNS-rebinding pages.
	AllowedHosts []string `mapstructure:"allowed_hosts"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.NetAddr.Endpoint == "" {
		return errors.New("api.endpoint is required")
	}
	// Required on loopback too: the API changes state, and a local
	// process or browser page must not ack or silence alerts unasked.
	if len(c.BearerToken) < httpguard.MinTokenBytes {
		return fmt.Errorf("api.bearer_token: required and must be at least %d bytes, got %d", httpguard.MinTokenBytes, len(c.BearerToken))
	}
	return httpguard.ValidateAllowedHosts("api.allowed_hosts", c.AllowedHosts)
}

// handler is the API as served: the Host allow-list in front of the token
// check, so a rebinding page is refused before anything else.
func (c *Config) handler(b Backend, logger *zap.Logger) http.Handler {
	return httpguard.CheckHost(c.AllowedHosts, Handler(string(c.BearerToken), b, logger))
}

// Backend is what the API operates on; the exporter persists after each
// mutation.
type Backend interface {
	Alerts() []dispatch.AlertView
	Acknowledge(fingerprint, by string) error
	Resolve(fingerprint string) error
	AddSilence(route.Silence) (route.Silence, error)
	ExpireSilence(id string) error
	Silences() []route.Silence
	// Now is the backend's clock, for silences given as a duration.
	Now() time.Time
}

const maxBody = 64 << 10

// Handler returns the API's handler, rejecting requests without the token.
func Handler(token string, b Backend, logger *zap.Logger) http.Handler {
	mux := http.NewServeMux()
	h := &handler{b: b, logger: logger}
	mux.HandleFunc("GET /api/v1/alerts", h.listAlerts)
	mux.HandleFunc("POST /api/v1/alerts/{fingerprint}/ack", h.ack)
	mux.HandleFunc("POST /api/v1/alerts/{fingerprint}/resolve", h.resolve)
	mux.HandleFunc("GET /api/v1/silences", h.listSilences)
	mux.HandleFunc("POST /api/v1/silences", h.addSilence)
	mux.HandleFunc("DELETE /api/v1/silences/{id}", h.expireSilence)
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="alert"`)
			writeError(w, http.StatusUnauthorized, errors.New("missing or invalid bearer token"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	})
}

type handler struct {
	b      Backend
	logger *zap.Logger
}

func (h *handler) listAlerts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"alerts": h.b.Alerts()})
}

type ackRequest struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

func (h *handler) ack(w http.ResponseWriter, r *http.Request) {
	var req ackRequest
	if err := decode(r, &req, true); err != nil {
		writeError(w, http.StatusBadRequest, errInvalidBody)
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	h.mutate(w, h.b.Acknowledge(r.PathValue("fingerprint"), req.By), nil)
}

func (h *handler) resolve(w http.ResponseWriter, r *http.Request) {
	h.mutate(w, h.b.Resolve(r.PathValue("fingerprint")), nil)
}

func (h *handler) listSilences(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"silences": h.b.Silences()})
}

// silenceRequest takes either ends_at or a duration ("2h").
type silenceRequest struct {
	Matchers  []string  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Duration  string    `json:"duration"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
}

func (h *handler) addSilence(w http.ResponseWriter, r *http.Request) {
	var req silenceRequest
	if err := decode(r, &req, false); err != nil {
		writeError(w, http.StatusBadRequest, errInvalidBody)
		return
	}
	s := route.Silence{Matchers: req.Matchers, StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.CreatedBy, Comment: req.Comment}
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, errors.New("duration: must be a positive Go duration such as \"2h\""))
			return
		}
		if !s.EndsAt.IsZero() {
			writeError(w, http.StatusBadRequest, errors.New("give ends_at or duration, not both"))
			return
		}
		if s.StartsAt.IsZero() {
			s.StartsAt = h.b.Now()
		}
		s.EndsAt = s.StartsAt.Add(d)
	}
	created, err := h.b.AddSilence(s)
	if errors.Is(err, dispatch.ErrTooManySilences) {
		writeError(w, http.StatusConflict, dispatch.ErrTooManySilences)
		return
	}
	if err != nil {
		// The error quotes the matchers; the sender gets a fixed text.
		writeError(w, http.StatusBadRequest, errInvalidSilence)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (h *handler) expireSilence(w http.ResponseWriter, r *http.Request) {
	h.mutate(w, h.b.ExpireSilence(r.PathValue("id")), nil)
}

func (h *handler) mutate(w http.ResponseWriter, err error, body any) {
	switch {
	case err == nil:
		if body == nil {
			body = map[string]string{"status": "ok"}
		}
		writeJSON(w, http.StatusOK, body)
	case errors.Is(err, dispatch.ErrUnknownAlert), errors.Is(err, dispatch.ErrUnknownSilence):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, dispatch.ErrNotFiring):
		writeError(w, http.StatusConflict, err)
	default:
		h.logger.Error("alert API operation failed", zap.Error(err))
		writeError(w, http.StatusInternalServerError, errors.New("internal error"))
	}
}

// Error responses are fixed texts: a decoder or matcher error quotes the
// request, which may hold personal data.
var (
	errInvalidBody    = errors.New("invalid JSON body: want a JSON object with the documented fields")
	errInvalidSilence = errors.New("invalid silence: matchers must be name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\", and it must end in the future")
)

func decode(r *http.Request, v any, optional bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if optional && len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// Server is the running API.
type Server struct {
	srv  *http.Server
	done chan struct{}
	addr net.Addr
}

// Start listens on the configured endpoint.
func Start(ctx context.Context, cfg *Config, host component.Host, set component.TelemetrySettings, b Backend) (*Server, error) {
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		return nil, fmt.Errorf("alert API listen: %w", err)
	}
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), set, cfg.handler(b, set.Logger))
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("alert API server: %w", err)
	}
	s := &Server{srv: srv, done: make(chan struct{}), addr: ln.Addr()}
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			set.Logger.Error("alert API server stopped", zap.Error(err))
		}
	}()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.addr }

// Shutdown stops the server.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

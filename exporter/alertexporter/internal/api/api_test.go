package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/dispatch"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fakeBackend struct {
	acked    map[string]string
	resolved []string
	silences []route.Silence
	expired  []string
}

func (f *fakeBackend) Alerts() []dispatch.AlertView {
	return []dispatch.AlertView{{Fingerprint: "aa", Name: "PaymentsDown", Status: "firing", Severity: "critical"}}
}

func (f *fakeBackend) Acknowledge(fp, by string) error {
	switch fp {
	case "aa":
		f.acked[fp] = by
		return nil
	case "rr":
		return dispatch.ErrNotFiring
	}
	return dispatch.ErrUnknownAlert
}

func (f *fakeBackend) Resolve(fp string) error {
	if fp != "aa" {
		return dispatch.ErrUnknownAlert
	}
	f.resolved = append(f.resolved, fp)
	return nil
}

func (f *fakeBackend) AddSilence(s route.Silence) (route.Silence, error) {
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := s.Compile(); err != nil {
		return route.Silence{}, err
	}
	if s.CreatedBy == "loop" {
		return route.Silence{}, dispatch.ErrTooManySilences
	}
	s.ID = "s1"
	f.silences = append(f.silences, s)
	return s, nil
}

func (f *fakeBackend) ExpireSilence(id string) error {
	if id != "s1" {
		return dispatch.ErrUnknownSilence
	}
	f.expired = append(f.expired, id)
	return nil
}

func (f *fakeBackend) Silences() []route.Silence { return f.silences }
func (f *fakeBackend) Now() time.Time            { return now }

const token = "0123456789abcdef-token"

func do(t *testing.T, h http.Handler, method, path, auth, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAuthRequired(t *testing.T) {
	b := &fakeBackend{acked: map[string]string{}}
	h := Handler(token, b, zap.NewNop())
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token, "Bearer " + token + "x"} {
		for _, r := range [][2]string{
			{"GET", "/api/v1/alerts"},
			{"POST", "/api/v1/alerts/aa/ack"},
			{"POST", "/api/v1/alerts/aa/resolve"},
			{"POST", "/api/v1/silences"},
			{"DELETE", "/api/v1/silences/s1"},
		} {
			rec := do(t, h, r[0], r[1], auth, `{"matchers":["a=\"b\""],"duration":"1h"}`)
			assert.Equal(t, http.StatusUnauthorized, rec.Code, "%s %s with %q", r[0], r[1], auth)
			assert.NotEmpty(t, rec.Header().Get("WWW-Authenticate"))
		}
	}
	assert.Empty(t, b.acked, "nothing changes without the token")
	assert.Empty(t, b.resolved)
	assert.Empty(t, b.silences)
	assert.Empty(t, b.expired)
	// An empty configured token never authenticates.
	assert.Equal(t, http.StatusUnauthorized, do(t, Handler("", b, zap.NewNop()), "GET", "/api/v1/alerts", "Bearer ", "").Code)
}

func TestOperations(t *testing.T) {
	b := &fakeBackend{acked: map[string]string{}}
	h := Handler(token, b, zap.NewNop())
	auth := "Bearer " + token

	rec := do(t, h, "GET", "/api/v1/alerts", auth, "")
	require.Equal(t, http.StatusOK, rec.Code)
	var list struct {
		Alerts []dispatch.AlertView `json:"alerts"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.Alerts, 1)
	assert.Equal(t, "aa", list.Alerts[0].Fingerprint)

	assert.Equal(t, http.StatusOK, do(t, h, "POST", "/api/v1/alerts/aa/ack", auth, `{"by":"alice"}`).Code)
	assert.Equal(t, "alice", b.acked["aa"])
	assert.Equal(t, http.StatusNotFound, do(t, h, "POST", "/api/v1/alerts/zz/ack", auth, "").Code)
	assert.Equal(t, http.StatusConflict, do(t, h, "POST", "/api/v1/alerts/rr/ack", auth, "").Code)
	assert.Equal(t, http.StatusBadRequest, do(t, h, "POST", "/api/v1/alerts/aa/ack", auth, `{"who":"x"}`).Code, "unknown fields rejected")
	assert.Equal(t, http.StatusOK, do(t, h, "POST", "/api/v1/alerts/aa/resolve", auth, "").Code)
	assert.Equal(t, []string{"aa"}, b.resolved)

	rec = do(t, h, "POST", "/api/v1/silences", auth, `{"matchers":["service.name=\"checkout\""],"duration":"2h","created_by":"alice","comment":"deploy"}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var created route.Silence
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	assert.Equal(t, "s1", created.ID)
	assert.Equal(t, now, created.StartsAt, "starts on the backend clock")
	assert.Equal(t, now.Add(2*time.Hour), created.EndsAt)

	assert.Equal(t, http.StatusBadRequest, do(t, h, "POST", "/api/v1/silences", auth, `{"matchers":[],"duration":"1h"}`).Code)
	assert.Equal(t, http.StatusBadRequest, do(t, h, "POST", "/api/v1/silences", auth, `{"matchers":["a=\"b\""],"duration":"-1h"}`).Code)
	assert.Equal(t, http.StatusBadRequest, do(t, h, "POST", "/api/v1/silences", auth, `not json`).Code)
	rec = do(t, h, "POST", "/api/v1/silences", auth, `{"matchers":["a=\"b\""],"duration":"1h","created_by":"loop"}`)
	assert.Equal(t, http.StatusConflict, rec.Code, "the silence bound is reached")
	assert.Contains(t, rec.Body.String(), "too many silences")

	rec = do(t, h, "GET", "/api/v1/silences", auth, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"id":"s1"`)
	assert.Equal(t, http.StatusOK, do(t, h, "DELETE", "/api/v1/silences/s1", auth, "").Code)
	assert.Equal(t, http.StatusNotFound, do(t, h, "DELETE", "/api/v1/silences/nope", auth, "").Code)
	assert.Equal(t, http.StatusMethodNotAllowed, do(t, h, "PUT", "/api/v1/alerts", auth, "").Code)
}

func TestConfigValidate(t *testing.T) {
	c := Config{BearerToken: token}
	require.ErrorContains(t, c.Validate(), "endpoint")
	c.NetAddr.Endpoint = "localhost:9094"
	require.NoError(t, c.Validate())
	c.BearerToken = "short"
	require.ErrorContains(t, c.Validate(), "api.bearer_token: required and must be at least 16 bytes, got 5")
	c.BearerToken = ""
	require.ErrorContains(t, c.Validate(), "api.bearer_token")
	c.BearerToken = token
	c.AllowedHosts = []string{"alerts.example.com:9094"}
	assert.ErrorContains(t, c.Validate(), "api.allowed_hosts[0]")
}

// DNS rebinding: a request for another Host is refused before the token is
// even looked at; the configured names and the loopback default pass.
func TestHostAllowList(t *testing.T) {
	b := &fakeBackend{acked: map[string]string{}}
	auth := "Bearer " + token
	served := func(c Config, host string) int {
		req := httptest.NewRequest("POST", "/api/v1/alerts/aa/ack", strings.NewReader(`{"by":"x"}`))
		req.Host = host
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		c.handler(b, zap.NewNop()).ServeHTTP(rec, req)
		return rec.Code
	}
	def := Config{BearerToken: token}
	assert.Equal(t, http.StatusMisdirectedRequest, served(def, "rebind.evil:9094"))
	assert.Empty(t, b.acked)
	assert.Equal(t, http.StatusOK, served(def, "localhost:9094"))
	assert.Equal(t, http.StatusOK, served(def, "[::1]:9094"))
	custom := Config{BearerToken: token, AllowedHosts: []string{"alerts.example.com"}}
	assert.Equal(t, http.StatusOK, served(custom, "alerts.example.com"))
	assert.Equal(t, http.StatusMisdirectedRequest, served(custom, "localhost:9094"))
}

// Error responses never carry request content back: not the body, not a
// quoted matcher, not a JSON field name.
func TestErrorsDoNotEchoRequest(t *testing.T) {
	b := &fakeBackend{acked: map[string]string{}}
	h := Handler(token, b, zap.NewNop())
	auth := "Bearer " + token
	const secret = "jane.doe@example.com"
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/alerts/aa/ack", `{"` + secret + `":"x"}`},
		{"POST", "/api/v1/alerts/aa/ack", `{"by":` + secret + `}`},
		{"POST", "/api/v1/silences", `{"matchers":["` + secret + `"],"duration":"1h"}`},
		{"POST", "/api/v1/silences", `{"matchers":["a=\"b\""],"duration":"` + secret + `"}`},
		{"POST", "/api/v1/silences", secret},
	} {
		rec := do(t, h, tc.method, tc.path, auth, tc.body)
		assert.Equal(t, http.StatusBadRequest, rec.Code, tc.body)
		assert.NotContains(t, rec.Body.String(), "jane", tc.body)
		assert.Contains(t, rec.Body.String(), `"error"`)
	}
}

package httpguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBindsBeyondLoopback(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"localhost:8080":   false,
		"LOCALHOST:8080":   false,
		"127.0.0.1:8080":   false,
		"127.1.2.3:8080":   false,
		"[::1]:8080":       false,
		"0.0.0.0:8080":     true,
		":8080":            true,
		"[::]:8080":        true,
		"10.0.0.5:8080":    true,
		"gateway:8080":     true,
		"localhost.evil:1": true,
	} {
		assert.Equal(t, want, BindsBeyondLoopback(endpoint), endpoint)
	}
}

func TestValidateToken(t *testing.T) {
	long := strings.Repeat("k", MinTokenBytes)
	require.NoError(t, ValidateToken("bearer_token", "localhost:8080", ""))
	require.NoError(t, ValidateToken("bearer_token", "0.0.0.0:8080", long))

	err := ValidateToken("bearer_token", "0.0.0.0:8080", "")
	require.ErrorContains(t, err, "bearer_token: required")
	err = ValidateToken("bearer_token", "localhost:8080", "x")
	require.ErrorContains(t, err, "bearer_token: must be at least 16 bytes, got 1")
	err = ValidateToken("api.bearer_token", ":9094", long[:15])
	require.ErrorContains(t, err, "api.bearer_token")
	assert.NotContains(t, err.Error(), long[:15], "the token is never printed")
}

func TestValidateAllowedHosts(t *testing.T) {
	require.NoError(t, ValidateAllowedHosts("allowed_hosts", []string{"localhost", "::1", "dash.example.com", ".svc.cluster.local"}))
	require.NoError(t, ValidateAllowedHosts("allowed_hosts", []string{"*"}))
	require.ErrorContains(t, ValidateAllowedHosts("allowed_hosts", []string{"localhost", "*"}), "allowed_hosts[1]")
	require.ErrorContains(t, ValidateAllowedHosts("allowed_hosts", []string{"http://x"}), "allowed_hosts[0]")
	require.ErrorContains(t, ValidateAllowedHosts("allowed_hosts", []string{"x:8080"}), "without scheme or port")
	require.ErrorContains(t, ValidateAllowedHosts("allowed_hosts", []string{""}), "allowed_hosts[0]")
}

func TestHostAllowed(t *testing.T) {
	def := DefaultAllowedHosts()
	for host, want := range map[string]bool{
		"localhost:8080":     true,
		"LocalHost":          true,
		"localhost.:8080":    true,
		"127.0.0.1:8080":     true,
		"[::1]:8080":         true,
		"rebind.evil":        false,
		"rebind.evil:8080":   false,
		"localhost.evil":     false,
		"127.0.0.1.evil":     false,
		"":                   false,
		"evil.com#localhost": false,
	} {
		assert.Equal(t, want, HostAllowed(def, host), host)
	}
	suffix := []string{".svc.cluster.local", "dash.example.com"}
	assert.True(t, HostAllowed(suffix, "gw.payments.svc.cluster.local:8080"))
	assert.True(t, HostAllowed(suffix, "svc.cluster.local"))
	assert.False(t, HostAllowed(suffix, "evilsvc.cluster.local"))
	assert.True(t, HostAllowed(suffix, "DASH.example.com"))
	assert.False(t, HostAllowed(suffix, "localhost"))
	assert.True(t, HostAllowed([]string{"*"}, "anything"))
}

func TestCheckHostRefusesWithoutEcho(t *testing.T) {
	h := CheckHost(nil, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodPost, "/api/x", strings.NewReader(`{"email":"jane@example.com"}`))
	req.Host = "rebind.evil:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusMisdirectedRequest, rec.Code)
	assert.NotContains(t, rec.Body.String(), "rebind.evil")
	assert.NotContains(t, rec.Body.String(), "jane")

	req.Host = "localhost:8080"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusTeapot, rec.Code)
}

package sentryexporter

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
)

// These tests cover the `client:` block (confighttp): the HTTP client is
// built in Start from it and carries every envelope; the DSN decides the URL.

// oneShotConfig returns errors to the caller instead of retrying them.
func oneShotConfig(f *fakeSentry) *Config {
	cfg := syncConfig(f)
	cfg.BackOffConfig.Enabled = false
	return cfg
}

// consumeErrorLog sends one error log record through the full exporter.
func consumeErrorLog(t *testing.T, cfg *Config) error {
	t.Helper()
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	startWithCleanup(t, exp)
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	return exp.ConsumeLogs(context.Background(), ld)
}

func TestClientPrivateCA(t *testing.T) {
	f, caFile := newFakeSentryTLS(t)
	otherCAFile := newTestCA(t).writePEM(t)

	t.Run("ca_file of the server's CA", func(t *testing.T) {
		cfg := oneShotConfig(f)
		cfg.Client.TLS.CAFile = caFile
		require.NoError(t, consumeErrorLog(t, cfg))
		assert.Len(t, f.received(), 1)
	})

	for name, ca := range map[string]string{"no ca_file": "", "ca_file of another CA": otherCAFile} {
		t.Run(name, func(t *testing.T) {
			before := f.requestCount()
			cfg := oneShotConfig(f)
			cfg.Client.TLS.CAFile = ca
			err := consumeErrorLog(t, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "certificate")
			assert.Contains(t, err.Error(), "set client.tls.ca_file", "the error says how to fix it")
			assert.NotContains(t, err.Error(), testKey, "the DSN key must never be printed")
			assert.Equal(t, before, f.requestCount(), "nothing reaches an untrusted server")
		})
	}
}

func TestClientBadTLSConfigFailsStart(t *testing.T) {
	f, _ := newFakeSentryTLS(t)
	cfg := oneShotConfig(f)
	cfg.Client.TLS.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "client:")
	assert.Contains(t, err.Error(), "missing.pem")
	assert.NotContains(t, err.Error(), testKey)
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestClientProxyURL(t *testing.T) {
	// The fake is the proxy: the DSN's host does not resolve, so an event
	// that arrives went through proxy_url.
	proxy := newFakeSentry(t)
	cfg := oneShotConfig(proxy)
	cfg.DSN = configopaque.String("http://" + testKey + "@sentry.payments.invalid/" + testProject)
	cfg.Client.ProxyURL = proxy.srv.URL
	require.NoError(t, consumeErrorLog(t, cfg))
	assert.Len(t, proxy.received(), 1)
}

func TestClientTimeout(t *testing.T) {
	f := newFakeSentry(t)
	f.gate = make(chan struct{}) // the server never answers in time
	t.Cleanup(func() { close(f.gate) })
	cfg := oneShotConfig(f)
	cfg.Client.Timeout = 20 * time.Millisecond
	cfg.Timeout = 0 // no batch deadline: only client.timeout can end the request
	err := consumeErrorLog(t, cfg)
	require.Error(t, err)
	// The wording depends on where the deadline fired: check the kind.
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "a timeout, got %v", err)
	assert.NotContains(t, err.Error(), testKey)
}

func TestClientDefaultReusesConnections(t *testing.T) {
	// Existing configs (no client block) keep the previous client's
	// behaviour: keep-alive, one connection for sequential events.
	f := newFakeSentry(t)
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), oneShotConfig(f))
	require.NoError(t, err)
	startWithCleanup(t, exp)
	for i := 0; i < 3; i++ {
		ld := plog.NewLogs()
		errorLog(ld, "go", plog.SeverityNumberError)
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	}
	require.Len(t, f.received(), 3)
	assert.Equal(t, 1, f.connCount())
}

func TestClientHeadersAreSent(t *testing.T) {
	f := newFakeSentry(t)
	cfg := oneShotConfig(f)
	cfg.Client.Headers.Set("X-Tenant", "payments")
	require.NoError(t, consumeErrorLog(t, cfg))
	assert.Equal(t, []string{"payments"}, f.headerValues("X-Tenant"))
}

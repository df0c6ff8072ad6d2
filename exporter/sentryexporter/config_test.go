package sentryexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, DefaultFingerprint, cfg.Fingerprint)
	assert.Equal(t, 100, cfg.MaxEventsPerBatch)
	assert.False(t, cfg.Performance.Enabled, "transactions are off by default")
	assert.True(t, cfg.QueueConfig.HasValue())
	assert.True(t, cfg.BackOffConfig.Enabled)
	assert.Equal(t, 30*time.Second, cfg.Timeout)
	want := confighttp.NewDefaultClientConfig()
	keepalive := confighttp.NewDefaultKeepaliveClientConfig()
	keepalive.MaxIdleConnsPerHost = 10 // one per queue consumer
	want.Keepalive = configoptional.Some(keepalive)
	assert.Equal(t, want, cfg.Client, "no client block: confighttp's default, an idle connection per queue consumer")

	client := loadConfig(t, "client")
	require.NoError(t, confmap.Validate(client))
	assert.Equal(t, "http://egress-proxy.payments.internal:3128", client.Client.ProxyURL)
	assert.Equal(t, 5*time.Second, client.Client.Timeout)
	assert.Equal(t, "/etc/ssl/payments/sentry-ca.pem", client.Client.TLS.CAFile)
	tenant, ok := client.Client.Headers.Get("X-Tenant")
	assert.True(t, ok)
	assert.Equal(t, configopaque.String("payments"), tenant)
	assert.True(t, client.Client.Keepalive.HasValue(), "a client block keeps keep-alive on")
	assert.Equal(t, 30*time.Second, client.Timeout, "client.timeout is per request, timeout per batch")

	full := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(full))
	assert.Equal(t, "eu-prod", full.Environment)
	assert.Equal(t, []string{"{{ default }}", "service.name", "payment.provider"}, full.Fingerprint)
	assert.Equal(t, 20, full.MaxEventsPerBatch)
	assert.Equal(t, 30*time.Second, full.DedupWindow)
	assert.Equal(t, PerformanceConfig{Enabled: true, SampleRate: 0.25}, full.Performance)
	assert.Equal(t, 10*time.Second, full.Timeout)
	assert.Equal(t, 2, full.QueueConfig.Get().NumConsumers)
	assert.Equal(t, 10*time.Minute, full.BackOffConfig.MaxElapsedTime)
	dsn, err := parseDSN(string(full.DSN))
	require.NoError(t, err)
	assert.Equal(t, "https://sentry.example.com/relay/api/4242/envelope/", dsn.GetAPIURL().String())
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"missing_dsn", []string{"dsn: is required"}},
		{"malformed_dsn", []string{"dsn: malformed (empty host)"}},
		{"bad_scheme", []string{"dsn: malformed (invalid scheme)"}},
		{"bad_url", []string{"dsn: malformed (not a valid URL)"}},
		{"client_endpoint", []string{"client.endpoint: must not be set"}},
		{"client_bad_proxy", []string{"client.proxy_url: not an absolute URL"}},
		{"bad_values", []string{"fingerprint: must list", "max_events_per_batch: must be positive", "dedup_window: must not be negative", "performance.sample_rate: must be within [0, 1]", "shutdown_timeout: must be positive", `environment: Sentry drops "eu/prod"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, tt.name))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), testSecret, "the DSN key must never be printed")
		})
	}
}

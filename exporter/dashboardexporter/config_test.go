package dashboardexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/metadata"
)

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
	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, DefaultEndpoint, def.NetAddr.Endpoint)
	assert.Equal(t, "Local", def.Timezone)
	assert.Equal(t, DefaultLatencyThresholds(), def.LatencyThresholds)

	c := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(c))
	assert.Equal(t, "0.0.0.0:9090", c.NetAddr.Endpoint)
	assert.Equal(t, "s3cret-dashboard-token", string(c.BearerToken))
	assert.Equal(t, []string{"dash.example.com", ".svc.cluster.local"}, c.AllowedHosts)
	assert.Equal(t, "Europe/Berlin", c.Timezone)
	assert.Equal(t, TargetsConfig{Daily: 5000, Monthly: 150000}, c.Targets)
	assert.Equal(t, []LatencyThreshold{{Category: "payment", Match: `^payment\.`, Threshold: 4 * time.Second}}, c.LatencyThresholds)
	assert.Equal(t, 10*time.Minute, c.LatencyWindow)
	assert.Equal(t, 100, c.MaxSeries)
}

func TestValidateNamesEveryBadField(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "invalid"))
	require.Error(t, err)
	for _, field := range []string{
		"endpoint", "timezone", "reporting_currency", "targets", "latency_thresholds[0].category",
		"latency_thresholds[0].match", "latency_thresholds[0].threshold", "latency_window",
		"refresh_interval", "stale_after", "max_series", "max_alerts", "shutdown_timeout",
	} {
		assert.Contains(t, err.Error(), field+":")
	}
}

// No open door: beyond loopback the dashboard needs a token of at least 16
// bytes; a one-byte token is refused everywhere.
func TestValidateRefusesOpenOrWeakDashboard(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "open"))
	require.ErrorContains(t, err, "bearer_token: required when the endpoint \"0.0.0.0:9090\" binds beyond loopback")

	err = confmap.Validate(loadConfig(t, "short_token"))
	require.ErrorContains(t, err, "bearer_token: must be at least 16 bytes, got 1")
	require.ErrorContains(t, err, "allowed_hosts[0]")

	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def), "the loopback-only default runs without a token")
}

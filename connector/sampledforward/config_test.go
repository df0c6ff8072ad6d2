package sampledforward

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/connector/sampledforward/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, confmap.Validate(cfg)
}

func TestConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, &Config{SamplingPercentage: 100, SamplingPrecision: 4, FailClosed: true}, cfg)

	cfg, err = loadConfig(t, "tracing")
	require.NoError(t, err)
	assert.Equal(t, &Config{SamplingPercentage: 10, SamplingPrecision: 4, FailClosed: true}, cfg)

	cfg, err = loadConfig(t, "custom")
	require.NoError(t, err)
	assert.Equal(t, &Config{SamplingPercentage: 0.5, SamplingPrecision: 6, FailClosed: false}, cfg)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for name, want := range map[string]string{
		"negative":  "sampling_percentage: -1 is negative",
		"tiny":      "sampling_percentage: 1e-20% is below the smallest expressible probability",
		"precision": "sampling_precision: 15, want 1 to 14 hex digits",
	} {
		_, err := loadConfig(t, name)
		require.ErrorContains(t, err, want, name)
	}
}

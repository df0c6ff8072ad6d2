package ga4exporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
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
	assert.Equal(t, "G-ABC123XYZ", def.MeasurementID)
	assert.Equal(t, configopaque.String("s3cr3t"), def.APISecret)
	assert.Equal(t, GlobalBaseURL, def.baseURL())
	assert.Equal(t, mapping.DefaultEvents(), def.Events)
	assert.True(t, def.Dedup.Enabled)
	assert.Equal(t, 72*time.Hour, def.MaxEventAge)
	assert.True(t, def.QueueConfig.HasValue())
	// Each of the queue's 10 consumers keeps its connection idle between posts.
	require.True(t, def.ClientConfig.Keepalive.HasValue())
	assert.Equal(t, 10, def.ClientConfig.Keepalive.Get().MaxIdleConnsPerHost)

	eu := loadConfig(t, "eu")
	require.NoError(t, confmap.Validate(eu))
	assert.Equal(t, EUBaseURL, eu.baseURL())
	assert.True(t, eu.ValidationMode)
	assert.Equal(t, 5*time.Second, eu.ClientConfig.Timeout)
	assert.Empty(t, eu.Events[contract.EventViewItem], "disabled")
	assert.Equal(t, "purchase", eu.Events[contract.EventPurchase], "entries merge with the default table")
	assert.Equal(t, "inventory_update", eu.Events[contract.EventInventory])
	assert.Equal(t, map[string]string{contract.PaymentProvider: "payment_gateway"}, eu.ExtraParams)
	assert.Equal(t, ConsentConfig{AdUserData: "GRANTED", AdPersonalization: "DENIED"}, eu.Consent)
	assert.Equal(t, 48*time.Hour, eu.MaxEventAge)
	assert.Equal(t, 24*time.Hour, eu.Dedup.Window)
	assert.Equal(t, 5000, eu.Dedup.MaxEntries)
	require.NotNil(t, eu.Dedup.Storage)
	assert.Equal(t, "file_storage", eu.Dedup.Storage.String())
	require.NotNil(t, eu.QueueConfig.Get().StorageID)
}

func TestConfigValidateErrorsNameTheField(t *testing.T) {
	for name, want := range map[string]string{
		"bad_id":            "measurement_id",
		"no_secret":         "api_secret",
		"bad_region":        "region",
		"reserved_event":    "reserved",
		"bad_event_name":    "events[ecommerce.purchase]",
		"pii_param":         "extra_params[customer.email]: personal data",
		"reserved_param":    "extra_params[payment.provider]",
		"too_old":           "max_event_age",
		"bad_consent":       "consent::ad_user_data",
		"bad_endpoint":      "endpoint",
		"no_shutdown_bound": "shutdown_timeout",
	} {
		t.Run(name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, name))
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
			assert.NotContains(t, err.Error(), "s3cr3t")
		})
	}
}

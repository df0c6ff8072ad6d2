package seriesbudget

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg
}

func TestConfig(t *testing.T) {
	if cfg := loadConfig(t, ""); *cfg != (Config{MaxSeries: 2000, MaxSeriesPerMetric: 1000, Idle: 30 * time.Minute}) || cfg.Validate() != nil {
		t.Errorf("defaults: %+v (%v)", cfg, cfg.Validate())
	}
	if cfg := loadConfig(t, "custom"); *cfg != (Config{MaxSeries: 50000, MaxSeriesPerMetric: 20000, Idle: time.Hour}) || cfg.Validate() != nil {
		t.Errorf("custom: %+v (%v)", cfg, cfg.Validate())
	}
	for name, field := range map[string]string{"zero": "max_series:", "share_above_total": "max_series_per_metric:", "no_idle": "idle:"} {
		err := loadConfig(t, name).Validate()
		if err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%s: error %v, want one naming %s", name, err, field)
		}
	}
}

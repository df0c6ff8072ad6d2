package paymentbi

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

func loadConfig(t *testing.T, name string, cfg component.Config) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.ProcessorType, name).String())
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
}

func TestLoadProcessorConfig(t *testing.T) {
	def := NewFactory().CreateDefaultConfig().(*Config)
	if err := def.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	loadConfig(t, "full", cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	storage := component.MustNewIDWithName("file_storage", "paymentbi")
	if cfg.ReportingCurrency != "EUR" || cfg.ExchangeRates["USD"] != "0.92" || cfg.ExchangeRates["JPY"] != "0.0061" ||
		cfg.Timezone != "America/Denver" || cfg.DedupWindow != 2*time.Hour || cfg.DedupMaxEntries != 1000 ||
		cfg.CardinalityLimit != 50 || cfg.CustomerState.ExpectedCustomers != 1_000_000 ||
		cfg.CustomerState.FalsePositiveRate != 0.01 || cfg.CustomerState.Storage == nil ||
		*cfg.CustomerState.Storage != storage || cfg.CustomerState.SyncInterval != 30*time.Second {
		t.Errorf("loaded config = %+v", cfg)
	}
}

func TestLoadConnectorConfig(t *testing.T) {
	def := NewConnectorFactory().CreateDefaultConfig().(*ConnectorConfig)
	if err := def.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cfg := NewConnectorFactory().CreateDefaultConfig().(*ConnectorConfig)
	loadConfig(t, "connector", cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.DailyRevenueTarget != 50000 || cfg.MonthlyRevenueTarget != 1_500_000 || cfg.EmitInterval != 10*time.Second ||
		len(cfg.DurationBuckets) != 3 || cfg.DurationBuckets[1] != time.Second || cfg.ExchangeRates["EUR"] != "1.08" ||
		cfg.DedupWindow != 24*time.Hour || cfg.MaxSeriesPerMetric != 5000 {
		t.Errorf("loaded config = %+v", cfg)
	}
	if s, err := cfg.engineSettings(); err != nil || s.MaxSeriesPerMetric != 5000 {
		t.Errorf("engine settings = %+v, %v: max_series_per_metric not passed on", s, err)
	}
	if def.MaxSeriesPerMetric != engine.DefaultMaxSeriesPerMetric {
		t.Errorf("default max_series_per_metric %d, want the engine's %d", def.MaxSeriesPerMetric, engine.DefaultMaxSeriesPerMetric)
	}
	fc := cfg.InventoryForecast.settings()
	if fc.HalfLife != 2*time.Hour || fc.Bucket != 5*time.Minute || fc.ReservationTimeout != 30*time.Minute ||
		!fc.EventDate.Equal(time.Date(2026, 7, 17, 12, 0, 0, 0, time.UTC)) || !fc.EventDates["SKU-SAT"].Equal(time.Date(2026, 7, 18, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("inventory forecast settings = %+v", fc)
	}
	if ex := cfg.Experiments.settings(); ex.Alpha != 0.01 || ex.Control != "A" || ex.Tau != 0.05 || ex.MinTrials != 100 {
		t.Errorf("experiment settings = %+v", ex)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := map[string][]string{
		"bad_currency":   {"reporting_currency"},
		"bad_rate":       {"exchange_rates", "EUR"},
		"reporting_rate": {"exchange_rates", "USD"},
		"bad_timezone":   {"timezone"},
		"bad_limits": {
			"cardinality_limit", "dedup_window", "customer_state.expected_customers",
			"customer_state.false_positive_rate", "customer_state.sync_interval",
		},
		"huge_filter":        {"customer_state", "256 MiB"},
		"dedup_without_room": {"dedup_max_entries"},
	}
	for name, want := range tests {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		loadConfig(t, name, cfg)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
	}
	cfg := NewConnectorFactory().CreateDefaultConfig().(*ConnectorConfig)
	loadConfig(t, "bad_connector", cfg)
	err := cfg.Validate()
	for _, w := range []string{
		"daily_revenue_target", "emit_interval", "duration_buckets", "inventory_forecast.half_life",
		"inventory_forecast.reservation_timeout", "inventory_forecast.max_open_checkouts", "inventory_forecast.event_date",
		"experiments.alpha", "experiments.min_trials", "max_series_per_metric",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("connector error %v does not mention %q", err, w)
		}
	}
}

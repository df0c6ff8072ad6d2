package otlpsplitexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter/internal/metadata"
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

// The otlp_grpc exporter's settings, unchanged; the wrapped exporter gets
// them without its queue and retries, which are the wrapper's.
func TestConfigIsTheOTLPExporters(t *testing.T) {
	cfg := loadConfig(t, "gateway")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.ClientConfig.Endpoint != "gateway.payments.svc:4317" || cfg.TimeoutConfig.Timeout != 7*time.Second || !cfg.QueueConfig.HasValue() ||
		cfg.QueueConfig.Get().Sizer != exporterhelper.RequestSizerTypeBytes || cfg.RetryConfig.MaxElapsedTime != time.Hour {
		t.Errorf("config: %+v", cfg)
	}
	in := cfg.inner()
	if in.QueueConfig.HasValue() || in.RetryConfig.Enabled || in.ClientConfig.Endpoint != cfg.ClientConfig.Endpoint || in.TimeoutConfig.Timeout != 7*time.Second {
		t.Errorf("inner config: queue %v, retry %v, endpoint %q, timeout %s", in.QueueConfig.HasValue(), in.RetryConfig.Enabled, in.ClientConfig.Endpoint, in.TimeoutConfig.Timeout)
	}
	if !cfg.QueueConfig.HasValue() || !cfg.RetryConfig.Enabled {
		t.Error("inner() changed the wrapper's own config")
	}
	if err := loadConfig(t, "no_endpoint").Validate(); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("no endpoint: %v", err)
	}
}

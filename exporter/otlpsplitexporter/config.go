package otlpsplitexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter"

import (
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
)

// Config is the otlp_grpc exporter's configuration, unchanged: the same
// endpoint, TLS, compression, timeout, sending_queue and retry_on_failure.
type Config struct {
	otlpexporter.Config `mapstructure:",squash"`
}

// inner is the configuration of the wrapped otlp_grpc exporter: one
// attempt per call, synchronous, so that its error comes back to the
// splitter; the queue and the retries are the wrapper's.
func (c *Config) inner() *otlpexporter.Config {
	in := c.Config
	in.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	in.RetryConfig = configretry.BackOffConfig{Enabled: false}
	return &in
}

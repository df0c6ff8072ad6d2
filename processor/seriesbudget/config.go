package seriesbudget // import "github.com/otelcol-payments/otelcol-payments/processor/seriesbudget"

import (
	"fmt"
	"time"
)

// Config bounds the series a metrics pipeline passes on, counted as
// Prometheus counts them: one per number data point, buckets+2 per
// histogram, quantiles+2 per summary.
type Config struct {
	// MaxSeries is the total budget. The scrape of a Prometheus exporter
	// behind this processor is at most about MaxSeries lines.
	MaxSeries int `mapstructure:"max_series"`
	// MaxSeriesPerMetric is one metric name's share, so a flood of one
	// metric leaves room for the others.
	MaxSeriesPerMetric int `mapstructure:"max_series_per_metric"`
	// Idle is how long an admitted series keeps its place without a data
	// point. Keep it at least the Prometheus exporter's metric_expiration,
	// or the exporter may still show series whose place was given away.
	Idle time.Duration `mapstructure:"idle"`
}

func createDefaultConfig() *Config {
	return &Config{MaxSeries: 2000, MaxSeriesPerMetric: 1000, Idle: 30 * time.Minute}
}

// Validate checks the budget.
func (c *Config) Validate() error {
	switch {
	case c.MaxSeries < 1:
		return fmt.Errorf("max_series: must be positive, got %d", c.MaxSeries)
	case c.MaxSeriesPerMetric < 1 || c.MaxSeriesPerMetric > c.MaxSeries:
		return fmt.Errorf("max_series_per_metric: must be within 1 and max_series (%d), got %d", c.MaxSeries, c.MaxSeriesPerMetric)
	case c.Idle <= 0:
		return fmt.Errorf("idle: must be positive, got %s", c.Idle)
	}
	return nil
}

// Package seriesbudget bounds the number of metric series a pipeline
// passes on (typically to the Prometheus exporter), so that a flood of
// label values cannot grow the scrape and the exporter's memory without
// limit.
package seriesbudget // import "github.com/otelcol-payments/otelcol-payments/processor/seriesbudget"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"
)

// NewFactory returns the series_budget processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	b, err := newBudget(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, b.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithShutdown(b.shutdown))
}

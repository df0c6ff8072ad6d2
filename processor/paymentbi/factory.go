// Package paymentbi holds the paymentbi processor, which enriches business
// events and payment spans with normalised money, the funnel step and the
// customer segment, and the paymentbi connector, which turns them into
// revenue, conversion, customer and inventory metrics.
package paymentbi

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

func defaultConfig() Config {
	return Config{
		ReportingCurrency: "USD",
		ExchangeRates:     map[string]string{},
		Timezone:          "UTC",
		DedupWindow:       24 * time.Hour,
		DedupMaxEntries:   250_000,
		CardinalityLimit:  500,
		CustomerState: CustomerStateConfig{
			ExpectedCustomers: 10_000_000,
			FalsePositiveRate: 0.001,
			SyncInterval:      time.Minute,
		},
	}
}

func createDefaultConfig() component.Config {
	cfg := defaultConfig()
	return &cfg
}

// NewFactory returns the factory of the paymentbi processor.
func NewFactory() processor.Factory { return newFactory(time.Now) }

func newFactory(now func() time.Time) processor.Factory {
	reg := newRegistry()
	p := &processorFactory{reg: reg, now: now}
	return processor.NewFactory(
		metadata.ProcessorType,
		createDefaultConfig,
		processor.WithTraces(p.createTraces, metadata.TracesStability),
		processor.WithLogs(p.createLogs, metadata.LogsStability),
	)
}

type processorFactory struct {
	reg *registry
	now func() time.Time
}

func (p *processorFactory) shared(set processor.Settings, cfg component.Config) (*sharedcomponent.Component[*shared], error) {
	return p.reg.GetOrAdd(cfg, func() (*shared, error) {
		c := cfg.(*Config)
		es, err := c.engineSettings()
		if err != nil {
			return nil, err
		}
		es.Now, es.Logger = p.now, set.Logger
		eng, err := engine.New(es)
		if err != nil {
			return nil, err
		}
		tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings, component.KindProcessor)
		if err != nil {
			return nil, err
		}
		return &shared{
			engine: eng, kind: component.KindProcessor, id: set.ID, logger: set.Logger,
			storageID: c.CustomerState.Storage, syncInterval: c.CustomerState.SyncInterval, skipped: tb.JournalRecordsSkipped,
		}, nil
	})
}

var mutates = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func (p *processorFactory) createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	sc, err := p.shared(set, cfg)
	if err != nil {
		return nil, err
	}
	s := sc.Unwrap()
	return processorhelper.NewTraces(ctx, set, cfg, next,
		func(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
			return td, s.engine.EnrichTraces(ctx, td)
		},
		mutates, processorhelper.WithStart(sc.Start), processorhelper.WithShutdown(sc.Shutdown))
}

func (p *processorFactory) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	sc, err := p.shared(set, cfg)
	if err != nil {
		return nil, err
	}
	s := sc.Unwrap()
	return processorhelper.NewLogs(ctx, set, cfg, next,
		func(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
			return ld, s.engine.EnrichLogs(ctx, ld)
		},
		mutates, processorhelper.WithStart(sc.Start), processorhelper.WithShutdown(sc.Shutdown))
}

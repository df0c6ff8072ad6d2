package paymentbi

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

func createDefaultConnectorConfig() component.Config {
	return &ConnectorConfig{
		Config:             defaultConfig(),
		EmitInterval:       15 * time.Second,
		MaxSeriesPerMetric: engine.DefaultMaxSeriesPerMetric,
		InventoryForecast:  defaultInventoryForecast(),
		Experiments:        defaultExperiments(),
		DurationBuckets: []time.Duration{
			50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
			time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second,
		},
	}
}

// NewConnectorFactory returns the factory of the paymentbi connector.
func NewConnectorFactory() connector.Factory { return newConnectorFactory(time.Now) }

func newConnectorFactory(now func() time.Time) connector.Factory {
	f := &connectorFactory{reg: newRegistry(), now: now}
	return connector.NewFactory(
		metadata.ConnectorType,
		createDefaultConnectorConfig,
		connector.WithTracesToMetrics(f.createTracesToMetrics, metadata.TracesToMetricsStability),
		connector.WithLogsToMetrics(f.createLogsToMetrics, metadata.LogsToMetricsStability),
	)
}

type connectorFactory struct {
	reg *registry
	now func() time.Time
}

// bizConnector is one signal's face of the shared engine.
type bizConnector struct {
	*shared
	lifecycle *sharedcomponent.Component[*shared]
}

func (c bizConnector) Start(ctx context.Context, host component.Host) error {
	return c.lifecycle.Start(ctx, host)
}

func (c bizConnector) Shutdown(ctx context.Context) error { return c.lifecycle.Shutdown(ctx) }

func (bizConnector) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// ConsumeTraces counts td; with storage it returns only once the batch is
// journaled, and an error (the receiver refuses the batch, retryably) when
// the journal write failed, in which case nothing was counted.
func (c bizConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return c.engine.ObserveTraces(ctx, td)
}

// ConsumeLogs counts ld, journaled like ConsumeTraces.
func (c bizConnector) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return c.engine.ObserveLogs(ctx, ld)
}

func (f *connectorFactory) shared(set connector.Settings, cfg component.Config, next consumer.Metrics) (*sharedcomponent.Component[*shared], error) {
	return f.reg.GetOrAdd(cfg, func() (*shared, error) {
		c := cfg.(*ConnectorConfig)
		es, err := c.engineSettings()
		if err != nil {
			return nil, err
		}
		es.Now, es.Logger = f.now, set.Logger
		eng, err := engine.New(es)
		if err != nil {
			return nil, err
		}
		tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings, component.KindConnector)
		if err != nil {
			return nil, err
		}
		resource := set.Resource
		emit := func(ctx context.Context) error {
			md := pmetric.NewMetrics()
			rm := md.ResourceMetrics().AppendEmpty()
			resource.CopyTo(rm.Resource())
			sm := rm.ScopeMetrics().AppendEmpty()
			sm.Scope().SetName(metadata.ScopeName)
			eng.AppendMetrics(sm)
			if sm.Metrics().Len() == 0 {
				return nil
			}
			return next.ConsumeMetrics(ctx, md)
		}
		return &shared{
			engine: eng, kind: component.KindConnector, id: set.ID, logger: set.Logger,
			storageID: c.CustomerState.Storage, syncInterval: c.CustomerState.SyncInterval, skipped: tb.JournalRecordsSkipped,
			emitInterval: c.EmitInterval, emit: emit,
		}, nil
	})
}

func (f *connectorFactory) createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	sc, err := f.shared(set, cfg, next)
	if err != nil {
		return nil, err
	}
	return bizConnector{sc.Unwrap(), sc}, nil
}

func (f *connectorFactory) createLogsToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
	sc, err := f.shared(set, cfg, next)
	if err != nil {
		return nil, err
	}
	return bizConnector{sc.Unwrap(), sc}, nil
}

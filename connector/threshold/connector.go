package threshold

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
)

// thresholdConnector is one pipeline's handle on the shared engine.
type thresholdConnector struct {
	e      *engine
	shared *sharedcomponent.Component[*engine]
}

func (c *thresholdConnector) Start(ctx context.Context, host component.Host) error {
	return c.shared.Start(ctx, host)
}

func (c *thresholdConnector) Shutdown(ctx context.Context) error {
	return c.shared.Shutdown(ctx)
}

func (c *thresholdConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Consume* never fail: the data is only observed, and an alert the next
// consumer refuses is counted, not pushed back onto the producer.

func (c *thresholdConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	c.e.consumeTraces(ctx, td)
	return nil
}

func (c *thresholdConnector) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	c.e.consumeMetrics(ctx, md)
	return nil
}

func (c *thresholdConnector) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.e.consumeLogs(ctx, ld)
	return nil
}

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// CaptureType is the component type of the capture exporter.
var CaptureType = component.MustNewType("capture")

// Capture holds what a capture exporter instance received. Consumers signal
// every delivery, so tests wait for data without polling or sleeping.
type Capture struct {
	Traces  consumertest.TracesSink
	Metrics consumertest.MetricsSink
	Logs    consumertest.LogsSink

	mu      sync.Mutex
	changed chan struct{}
}

var (
	capturesMu sync.Mutex
	captures   = map[string]*Capture{}
)

// Sinks returns the capture of the exporter "capture/NAME" (created on first
// use, so a test may fetch it before the collector starts). Use a name unique
// to the test: captures are process-wide.
func Sinks(name string) *Capture {
	capturesMu.Lock()
	defer capturesMu.Unlock()
	c, ok := captures[name]
	if !ok {
		c = &Capture{changed: make(chan struct{})}
		captures[name] = c
	}
	return c
}

// ResetSinks forgets the capture "capture/NAME", so a test run again in the
// same process (go test -count=N) starts from an empty capture.
func ResetSinks(name string) {
	capturesMu.Lock()
	defer capturesMu.Unlock()
	delete(captures, name)
}

func (c *Capture) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *Capture) waitChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// WaitFor blocks until cond holds, re-checking it on every delivery to this
// capture, and fails the test when timeout passes first.
func (c *Capture) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(*Capture) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ch := c.waitChan()
		if cond(c) {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("capture: timed out after %s waiting for %s", timeout, what)
		}
	}
}

// LogRecordCount is the number of log records received so far.
func (c *Capture) LogRecordCount() int { return c.Logs.LogRecordCount() }

// SpanCount is the number of spans received so far.
func (c *Capture) SpanCount() int { return c.Traces.SpanCount() }

type captureConfig struct{}

// CaptureFactory returns the factory of the capture exporter: each instance
// capture/NAME delivers into Sinks(NAME).
func CaptureFactory() exporter.Factory {
	return exporter.NewFactory(CaptureType,
		func() component.Config { return &captureConfig{} },
		exporter.WithTraces(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Traces, error) {
			c := Sinks(set.ID.Name())
			return &captureExporter{Traces: func(ctx context.Context, td ptrace.Traces) error {
				err := c.Traces.ConsumeTraces(ctx, td)
				c.notify()
				return err
			}}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithMetrics(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Metrics, error) {
			c := Sinks(set.ID.Name())
			return &captureExporter{Metrics: func(ctx context.Context, md pmetric.Metrics) error {
				err := c.Metrics.ConsumeMetrics(ctx, md)
				c.notify()
				return err
			}}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithLogs(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Logs, error) {
			c := Sinks(set.ID.Name())
			return &captureExporter{Logs: func(ctx context.Context, ld plog.Logs) error {
				err := c.Logs.ConsumeLogs(ctx, ld)
				c.notify()
				return err
			}}, nil
		}, component.StabilityLevelDevelopment),
	)
}

type captureExporter struct {
	component.StartFunc
	component.ShutdownFunc
	Traces  func(context.Context, ptrace.Traces) error
	Metrics func(context.Context, pmetric.Metrics) error
	Logs    func(context.Context, plog.Logs) error
}

func (e *captureExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (e *captureExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if e.Traces == nil {
		return fmt.Errorf("capture exporter: no traces consumer")
	}
	return e.Traces(ctx, td)
}

func (e *captureExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if e.Metrics == nil {
		return fmt.Errorf("capture exporter: no metrics consumer")
	}
	return e.Metrics(ctx, md)
}

func (e *captureExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if e.Logs == nil {
		return fmt.Errorf("capture exporter: no logs consumer")
	}
	return e.Logs(ctx, ld)
}

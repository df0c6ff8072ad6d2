package sentryexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// The simulator records every exception both ways (an exception span event
// and an ERROR log record) and answers provider errors with a 5xx; card
// testing raises security.incident. Through a collector whose traces and
// logs pipelines share one sentry exporter, each exception is exactly one
// Sentry event, each incident one event, and no event id repeats.
func TestSimulatorExceptionsAreOneEventEach(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator through a collector")
	}
	f := newFakeSentry(t)
	otlp := e2e.FreeAddr(t)
	col := e2e.Start(t, e2e.WithExporters(e2e.BaseFactories(), NewFactory()), `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+otlp+`
exporters:
  capture/sentrysim: {}
  sentry:
    dsn: `+f.dsn()+`
    max_events_per_batch: 100000
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [sentry]
    logs:
      receivers: [otlp]
      exporters: [sentry]
    metrics:
      receivers: [otlp]
      exporters: [capture/sentrysim]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ledger, err := sim.Run(ctx, sim.Config{
		Endpoint: otlp, Insecure: true, Seed: 11, Count: 300, Rate: 0,
		SpanEventShare: 0.2, CardTestingRate: 0.03, MetricInterval: time.Hour,
		Outage: &sim.Outage{FromSession: 100, Sessions: 50, FailureRate: 0.7},
	})
	require.NoError(t, err)
	require.NoError(t, col.Shutdown())

	var incidents int64
	for _, n := range ledger.SecurityIncidents {
		incidents += n
	}
	require.Positive(t, ledger.Exceptions)
	require.Positive(t, incidents)
	var exceptions, incidentEvents, other int64
	ids := map[string]bool{}
	for _, ev := range f.received() {
		assert.False(t, ids[string(ev.EventID)], "event id %s sent twice", ev.EventID)
		ids[string(ev.EventID)] = true
		switch {
		case ev.Transaction == contract.EventSecurity:
			incidentEvents++
		case len(ev.Exception) > 0 && ev.Exception[0].Stacktrace != nil:
			exceptions++
		default:
			other++
		}
	}
	t.Logf("%d exceptions (each a span event and an ERROR log), %d incidents: %d Sentry events", ledger.Exceptions, incidents, len(f.received()))
	assert.Equal(t, ledger.Exceptions, exceptions, "each exception (span event + ERROR log) is one event")
	assert.Equal(t, incidents, incidentEvents, "each security.incident is one event")
	assert.Zero(t, other, "no extra event for the 5xx server spans of failed requests")
}

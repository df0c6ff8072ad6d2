package ga4exporter

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// simTraffic is the simulator's telemetry (test/perf's load mix: default
// span-event share, refund and card-testing rates) as one batch of log
// records and one of spans, timed just before baseTime.
type simTraffic struct {
	logs   plog.Logs
	traces ptrace.Traces
}

func (s *simTraffic) Advance(time.Time) {}

func (s *simTraffic) ConsumeLogs(ld plog.Logs) {
	ld.ResourceLogs().MoveAndAppendTo(s.logs.ResourceLogs())
}

func (s *simTraffic) ConsumeTraces(td ptrace.Traces) {
	td.ResourceSpans().MoveAndAppendTo(s.traces.ResourceSpans())
}

func replaySimTraffic(tb testing.TB, sessions int) *simTraffic {
	tb.Helper()
	s := &simTraffic{logs: plog.NewLogs(), traces: ptrace.NewTraces()}
	_, err := sim.Replay(context.Background(), sim.Config{
		Seed: 10, Count: sessions, Rate: 50, DuplicateRate: 0.02, SpanEventShare: sim.DefaultSpanEventShare,
		RefundRate: sim.DefaultRefundRate, CardTestingRate: sim.DefaultCardTestingRate,
	}, baseTime.Add(-time.Hour), s)
	require.NoError(tb, err)
	return s
}

// BenchmarkSimulatorTraffic is the gateway's GA4 work on its business-heavy
// load, per GA4 event: "convert" maps and encodes the events of simulator
// traffic (what runs before the queue), "convert_and_send" also packs and
// posts them to an in-process transport answering 204.
func BenchmarkSimulatorTraffic(b *testing.B) {
	traffic := replaySimTraffic(b, 600)
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID, cfg.APISecret = testMeasurementID, testSecret
	cfg.Dedup.Enabled = false // repeated purchases would be skipped
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg, func() time.Time { return baseTime })
	require.NoError(b, err)
	e.wrapTransport = func(http.RoundTripper) http.RoundTripper { return accept{} }
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, e.shutdown(context.Background())) })
	ctx := context.Background()
	for _, send := range []bool{false, true} {
		name := "convert"
		if send {
			name = "convert_and_send"
		}
		b.Run(name, func(b *testing.B) {
			events := 0
			b.ReportAllocs()
			for b.Loop() {
				lreq, err := e.convertLogs(ctx, traffic.logs)
				require.NoError(b, err)
				treq, err := e.convertTraces(ctx, traffic.traces)
				require.NoError(b, err)
				events = lreq.ItemsCount() + treq.ItemsCount()
				if send {
					require.NoError(b, e.push(ctx, lreq))
					require.NoError(b, e.push(ctx, treq))
				}
			}
			b.ReportMetric(float64(events), "events/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
		})
	}
}

package piisanitizer

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

// simBatchSize is the SDK batch processors' default export size.
const simBatchSize = 512

// simTraffic is the simulator's checkout traffic (the load of the gateway
// benchmark in test/perf) as the batches an SDK exports: HTTP, DB and
// payment spans with ids, routes, providers, currencies, customer ids and
// emails, client addresses; business log records with JSON items and a
// sentence with an email in the purchase and refund bodies.
type simTraffic struct {
	traces []ptrace.Traces
	logs   []plog.Logs
	spans  int
	logRec int
}

var (
	simOnce sync.Once
	simLoad simTraffic
	simErr  error
)

func loadSimTraffic(tb testing.TB) *simTraffic {
	tb.Helper()
	simOnce.Do(func() {
		b := &simBatcher{}
		cfg := sim.Config{
			Seed: 10, Count: 400, Rate: 10,
			DuplicateRate: 0.02, SpanEventShare: sim.DefaultSpanEventShare, RefundRate: sim.DefaultRefundRate,
			CardTestingRate: sim.DefaultCardTestingRate,
		}
		_, simErr = sim.Replay(context.Background(), cfg, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), b)
		b.flush()
		simLoad = b.out
	})
	if simErr != nil {
		tb.Fatal(simErr)
	}
	return &simLoad
}

// simBatcher gathers the replay's spans and log records (one per export
// there) into batches of simBatchSize under one resource and scope.
type simBatcher struct {
	out    simTraffic
	traces ptrace.Traces
	logs   plog.Logs
	nt, nl int
}

func (*simBatcher) Advance(time.Time) {}

func (b *simBatcher) ConsumeTraces(td ptrace.Traces) {
	rs := td.ResourceSpans().At(0)
	if b.nt == 0 {
		b.traces = ptrace.NewTraces()
		dst := b.traces.ResourceSpans().AppendEmpty()
		rs.Resource().CopyTo(dst.Resource())
		rs.ScopeSpans().At(0).Scope().CopyTo(dst.ScopeSpans().AppendEmpty().Scope())
	}
	spans := b.traces.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	src := rs.ScopeSpans().At(0).Spans()
	for i := 0; i < src.Len(); i++ {
		src.At(i).CopyTo(spans.AppendEmpty())
		b.nt++
		b.out.spans++
	}
	if b.nt >= simBatchSize {
		b.out.traces = append(b.out.traces, b.traces)
		b.nt = 0
	}
}

func (b *simBatcher) ConsumeLogs(ld plog.Logs) {
	rl := ld.ResourceLogs().At(0)
	if b.nl == 0 {
		b.logs = plog.NewLogs()
		dst := b.logs.ResourceLogs().AppendEmpty()
		rl.Resource().CopyTo(dst.Resource())
		rl.ScopeLogs().At(0).Scope().CopyTo(dst.ScopeLogs().AppendEmpty().Scope())
	}
	recs := b.logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	src := rl.ScopeLogs().At(0).LogRecords()
	for i := 0; i < src.Len(); i++ {
		src.At(i).CopyTo(recs.AppendEmpty())
		b.nl++
		b.out.logRec++
	}
	if b.nl >= simBatchSize {
		b.out.logs = append(b.out.logs, b.logs)
		b.nl = 0
	}
}

func (b *simBatcher) flush() {
	if b.nt > 0 {
		b.out.traces = append(b.out.traces, b.traces)
	}
	if b.nl > 0 {
		b.out.logs = append(b.out.logs, b.logs)
	}
}

// gatewayConfig is the processor as config/gateway.yaml sets it up.
func gatewayConfig() *Config {
	cfg := testConfig()
	cfg.EdgeLimits.DropForbiddenMetricAttributes = true
	cfg.EdgeLimits.NormalizeSpanNames = true
	cfg.EdgeLimits.MaxServices = 200
	return cfg
}

// BenchmarkSimTraffic runs the processor, as the gateway configures it,
// over the simulator's traffic; one op is the whole load. Reproduce with
// go test -run '^$' -bench BenchmarkSimTraffic -benchmem -count 6 ./processor/piisanitizer/
func BenchmarkSimTraffic(b *testing.B) {
	load := loadSimTraffic(b)
	ctx := context.Background()
	set := processortest.NewNopSettings(metadata.Type)
	b.Run("traces", func(b *testing.B) {
		p, err := NewFactory().CreateTraces(ctx, set, gatewayConfig(), consumertest.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		work := make([]ptrace.Traces, len(load.traces))
		for i := range work {
			work[i] = ptrace.NewTraces()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for j, td := range load.traces {
				td.CopyTo(work[j])
			}
			b.StartTimer()
			for _, td := range work {
				if err := p.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*load.spans), "ns/span")
	})
	b.Run("logs", func(b *testing.B) {
		p, err := NewFactory().CreateLogs(ctx, set, gatewayConfig(), consumertest.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		work := make([]plog.Logs, len(load.logs))
		for i := range work {
			work[i] = plog.NewLogs()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for j, ld := range load.logs {
				ld.CopyTo(work[j])
			}
			b.StartTimer()
			for _, ld := range work {
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*load.logRec), "ns/record")
	})
}

package perf

import (
	"context"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// cpuPerSpan holds the last cpu_ns/span of each sub-benchmark, for the ratio.
var cpuPerSpan = map[string]float64{}

const passthroughName = "BenchmarkPipelineCPU/passthrough"

// BenchmarkPipelineCPU replays the same recorded simulator load through a
// passthrough collector (otlp → batch → counting sink) and through the full
// gateway pipeline with local sinks, and reports the process CPU time
// (user + system, getrusage) per span of each, and on the full pipelines'
// lines their ratio to the passthrough (x_passthrough_cpu).
// One iteration is one pass over the load (~23k spans, ~9k log records);
// every pass carries its own order ids so de-duplication does not turn
// replays into no-ops.
//
//	go test -run '^$' -bench BenchmarkPipelineCPU -benchtime 10x ./test/perf/
func BenchmarkPipelineCPU(b *testing.B) {
	l := recordedLoad(b)
	b.Run("passthrough", func(b *testing.B) {
		addr := e2e.FreeAddr(b)
		e2e.Start(b, factories(), passthroughConfig(addr))
		sink := sinkCounts("passthrough")
		sink.spans.Store(0)
		sink.records.Store(0)
		measureCPU(b, b.Name(), l, addr, func(passes int) {
			sink.waitFor(b, 2*time.Minute, "the passthrough sink to receive every pass", func() bool {
				return sink.spans.Load() == int64(passes*l.spans) && sink.records.Load() == int64(passes*l.records)
			})
		})
	})
	full := func(validateGA4 bool) func(*testing.B) {
		return func(b *testing.B) {
			be := newBackends(b, validateGA4)
			addr := e2e.FreeAddr(b)
			e2e.Start(b, factories(), fullConfig(b, addr, be, logAlertYAML, "1s"))
			// GA4 and Sentry push inside each request (queues off): when
			// the last export returns, the pass has been processed.
			measureCPU(b, b.Name(), l, addr, func(int) {})
			if be.ga4Delivered() == 0 || be.sentry.envelopes.Load() == 0 {
				b.Fatalf("full pipeline made %d GA4 requests and %d Sentry envelopes; want both > 0", be.ga4Delivered(), be.sentry.envelopes.Load())
			}
		}
	}
	// GA4 into ga4test, which checks every request against GA4's limits;
	// its validation runs in this process and is part of the figure.
	b.Run("full", full(true))
	// The same with a bare 204 endpoint for GA4: the pipeline alone.
	b.Run("full-bare-ga4", full(false))
}

// measureCPU sends b.N passes of the load and reports CPU and wall time per
// span; drained waits until the collector finished the passes sent so far.
func measureCPU(b *testing.B, pipeline string, l *load, addr string, drained func(passes int)) {
	c := newClient(b, addr)
	ctx := context.Background()
	// Warm-up pass (connections, pools, first-seen series), not measured.
	l.setPass(0)
	if err := c.replay(ctx, l, 0); err != nil {
		b.Fatal(err)
	}
	drained(1)
	b.ResetTimer()
	var cpu time.Duration
	for i := range b.N {
		b.StopTimer()
		l.setPass(i + 1)
		b.StartTimer()
		before := cpuTime(b)
		if err := c.replay(ctx, l, 0); err != nil {
			b.Fatal(err)
		}
		drained(i + 2)
		cpu += cpuTime(b) - before
	}
	b.StopTimer()
	l.setPass(0)
	spans := float64(b.N * l.spans)
	perSpan := float64(cpu.Nanoseconds()) / spans
	cpuPerSpan[pipeline] = perSpan
	b.ReportMetric(perSpan, "cpu_ns/span")
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*(l.spans+l.records)), "cpu_ns/record")
	// The ratio goes on the full pipelines' lines when the passthrough ran
	// first in this process (it does: sub-benchmarks run in order).
	if pt := cpuPerSpan[passthroughName]; pipeline != passthroughName && pt > 0 {
		b.ReportMetric(perSpan/pt, "x_passthrough_cpu")
	}
}

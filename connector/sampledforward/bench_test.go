package sampledforward

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
)

// benchTraces is a batch like the gateway's: spans without a tracestate,
// a dozen attributes each, two events on some.
func benchTraces() ptrace.Traces {
	r := rand.New(rand.NewPCG(1, 2))
	td := ptrace.NewTraces()
	for range 4 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "checkout")
		rs.Resource().Attributes().PutStr("service.version", "1.4.2")
		rs.Resource().Attributes().PutStr("telemetry.sdk.language", "go")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("checkout")
		for i := range 250 {
			s := ss.Spans().AppendEmpty()
			var tid pcommon.TraceID
			for j := range tid {
				tid[j] = byte(r.Uint32())
			}
			s.SetTraceID(tid)
			s.SetSpanID(pcommon.SpanID{byte(i), 1, 2, 3, 4, 5, 6, 7})
			s.SetName("payment.charge")
			a := s.Attributes()
			for _, k := range []string{"payment.provider", "payment.method", "payment.status", "http.route", "http.request.method", "order.id", "customer.id", "payment.currency", "db.system.name", "server.address"} {
				a.PutStr(k, "value-of-"+k)
			}
			a.PutInt("http.response.status_code", 200)
			a.PutDouble("payment.amount", 42.5)
			if i%4 == 0 {
				e := s.Events().AppendEmpty()
				e.SetName("exception")
				e.Attributes().PutStr("exception.type", "TimeoutError")
				e.Attributes().PutStr("exception.message", "provider did not answer")
			}
		}
	}
	return td
}

// BenchmarkForwardCloneSample is what the gateway's traces/tracing path did
// before this connector: the fan-out clones every batch for the forward
// connector (its pipeline mutates), then probabilistic_sampler samples it.
func BenchmarkForwardCloneSample(b *testing.B) {
	f := probabilisticsamplerprocessor.NewFactory()
	cfg := f.CreateDefaultConfig().(*probabilisticsamplerprocessor.Config)
	cfg.Mode = probabilisticsamplerprocessor.Proportional
	cfg.SamplingPercentage = 10
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	td := benchTraces()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clone := ptrace.NewTraces()
		td.CopyTo(clone)
		_ = p.ConsumeTraces(context.Background(), clone)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
}

// BenchmarkSampledForward is the same sample taken by this connector from
// the shared, read-only batch.
func BenchmarkSampledForward(b *testing.B) {
	c, err := newConnector(componenttest.NewNopTelemetrySettings(),
		&Config{SamplingPercentage: 10, SamplingPrecision: defaultPrecision, FailClosed: true}, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	td := benchTraces()
	td.MarkReadOnly()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = c.ConsumeTraces(context.Background(), td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
}

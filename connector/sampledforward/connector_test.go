package sampledforward

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/connector/sampledforward/internal/metadata"
)

// tracestates a span may arrive with: none, other vendors', an arriving
// threshold (consistent or not with the trace id), explicit randomness,
// the always/never extremes and unparseable ones.
var traceStates = []string{
	"", "", "", "",
	"vendor=value",
	"ot=th:8", "ot=th:c", "ot=th:e668", "ot=th:fff",
	"ot=rv:00000000000000", "ot=rv:ffffffffffffff", "ot=rv:80000000000000;th:4",
	"ot=th:0", "ot=th:8;rv:1234567890abcd,vendor=x",
	"ot=th:zz", "not a tracestate", "ot=rv:123",
}

// priorities are values of sampling.priority (nil: no attribute).
var priorities = []any{nil, nil, nil, int64(0), int64(1), int64(-1), 0.5, 0.0, "0", "2", "x"}

func randomTraces(r *rand.Rand, spans int) ptrace.Traces {
	td := ptrace.NewTraces()
	for range 3 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", r.IntN(5)))
		for range 2 {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("scope")
			for range spans / 6 {
				s := ss.Spans().AppendEmpty()
				var tid pcommon.TraceID
				if r.IntN(20) != 0 { // some spans without a trace id
					for i := range tid {
						tid[i] = byte(r.Uint32())
					}
				}
				s.SetTraceID(tid)
				s.SetSpanID(pcommon.SpanID{byte(r.Uint32()), 1, 2, 3, 4, 5, 6, 7})
				s.SetName("op")
				s.TraceState().FromRaw(traceStates[r.IntN(len(traceStates))])
				s.Attributes().PutStr("payment.provider", "stripe")
				switch p := priorities[r.IntN(len(priorities))].(type) {
				case int64:
					s.Attributes().PutInt("sampling.priority", p)
				case float64:
					s.Attributes().PutDouble("sampling.priority", p)
				case string:
					s.Attributes().PutStr("sampling.priority", p)
				}
			}
		}
	}
	return td
}

// contribSample is what probabilistic_sampler forwards of td.
func contribSample(t *testing.T, cfg *Config, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	f := probabilisticsamplerprocessor.NewFactory()
	pcfg := f.CreateDefaultConfig().(*probabilisticsamplerprocessor.Config)
	pcfg.Mode = probabilisticsamplerprocessor.Proportional
	pcfg.SamplingPercentage = cfg.SamplingPercentage
	pcfg.SamplingPrecision = cfg.SamplingPrecision
	pcfg.FailClosed = cfg.FailClosed
	sink := &consumertest.TracesSink{}
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), pcfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	in := ptrace.NewTraces()
	td.CopyTo(in)
	require.NoError(t, p.ConsumeTraces(context.Background(), in))
	out := ptrace.NewTraces()
	for _, b := range sink.AllTraces() {
		b.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

func newTestConnector(t *testing.T, cfg *Config, next *consumertest.TracesSink) *sampledForward {
	t.Helper()
	require.NoError(t, cfg.Validate())
	c, err := NewFactory().CreateTracesToTraces(context.Background(), connectortest.NewNopSettings(metadata.Type), cfg, next)
	require.NoError(t, err)
	return c.(*sampledForward)
}

// The connector forwards exactly what probabilistic_sampler in proportional
// mode keeps — the same spans, with the same tracestate, in the same
// resource and scope groups — and leaves its input as it was.
func TestSameSampleAsProbabilisticSampler(t *testing.T) {
	for _, pct := range []float32{10, 25, 5, 100, 150, 0, 0.001} {
		for _, failClosed := range []bool{true, false} {
			for _, precision := range []int{4, 1} {
				cfg := &Config{SamplingPercentage: pct, SamplingPrecision: precision, FailClosed: failClosed}
				t.Run(fmt.Sprintf("%g%%/fail_closed=%v/precision=%d", pct, failClosed, precision), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(pct*1000), uint64(precision)))
					td := randomTraces(r, 600)
					td.MarkReadOnly() // a write to the input panics
					want := contribSample(t, cfg, td)
					sink := &consumertest.TracesSink{}
					c := newTestConnector(t, cfg, sink)
					require.NoError(t, c.ConsumeTraces(context.Background(), td))
					got := ptrace.NewTraces()
					for _, b := range sink.AllTraces() {
						b.ResourceSpans().MoveAndAppendTo(got.ResourceSpans())
					}
					require.NoError(t, ptracetest.CompareTraces(want, got))
					if pct == 10 && failClosed && precision == 4 {
						// Not vacuous: some kept, some dropped, some rewritten.
						require.Greater(t, got.SpanCount(), 20)
						require.Less(t, got.SpanCount(), 200)
					}
				})
			}
		}
	}
}

// A span that arrives without a tracestate and is sampled at 10 % carries
// the threshold of 10 % (th:e666 at precision 4) for the tracing backend.
func TestSampledSpanCarriesThreshold(t *testing.T) {
	sink := &consumertest.TracesSink{}
	c := newTestConnector(t, &Config{SamplingPercentage: 10, SamplingPrecision: 4, FailClosed: true}, sink)
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	// Randomness 0xffffffffffffff (the trace id's last 7 bytes) is sampled
	// at any probability.
	s.SetTraceID(pcommon.TraceID{0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	require.NoError(t, c.ConsumeTraces(context.Background(), td))
	require.Equal(t, 1, sink.SpanCount())
	got := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	require.Equal(t, "ot=th:e666", got.TraceState().AsRaw())
	require.Empty(t, s.TraceState().AsRaw(), "the input span is not changed")
}

// A batch with nothing sampled is not forwarded at all.
func TestNothingSampledNothingForwarded(t *testing.T) {
	sink := &consumertest.TracesSink{}
	c := newTestConnector(t, &Config{SamplingPercentage: 10, SamplingPrecision: 4, FailClosed: true}, sink)
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(pcommon.TraceID{15: 1}) // randomness 1: below every threshold but 100 %
	require.NoError(t, c.ConsumeTraces(context.Background(), td))
	require.Empty(t, sink.AllTraces())
}

func TestDoesNotMutate(t *testing.T) {
	c := newTestConnector(t, &Config{SamplingPercentage: 10, SamplingPrecision: 4, FailClosed: true}, &consumertest.TracesSink{})
	require.False(t, c.Capabilities().MutatesData)
}

// The error of the next pipeline goes back to the sender, as with the
// forward connector.
func TestNextErrorReturned(t *testing.T) {
	c := newTestConnector(t, &Config{SamplingPercentage: 100, SamplingPrecision: 4, FailClosed: true}, &consumertest.TracesSink{})
	c.next = consumertest.NewErr(fmt.Errorf("queue full"))
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetTraceID(pcommon.TraceID{15: 1})
	require.ErrorContains(t, c.ConsumeTraces(context.Background(), td), "queue full")
}

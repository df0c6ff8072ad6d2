package sampledforward // import "github.com/otelcol-payments/otelcol-payments/connector/sampledforward"

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-payments/otelcol-payments/connector/sampledforward/internal/metadata"
)

type sampledForward struct {
	component.StartFunc
	component.ShutdownFunc

	next consumer.Traces
	// ratio is the sampling probability, 0 to 1.
	ratio     float64
	precision int
	// threshold applies to spans that arrive without one (ratio at the
	// configured precision), the common case, computed once.
	threshold  sampling.Threshold
	failClosed bool
	// plain is the tracestate of a span that arrived without one, sampled
	// at threshold.
	plain string

	spans           metric.Int64Counter
	sampledAttrs    metric.AddOption
	notSampledAttrs metric.AddOption
}

func newConnector(set component.TelemetrySettings, cfg *Config, next consumer.Traces) (*sampledForward, error) {
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	c := &sampledForward{
		next:            next,
		precision:       cfg.SamplingPrecision,
		failClosed:      cfg.FailClosed,
		spans:           tb.Spans,
		sampledAttrs:    metric.WithAttributeSet(attribute.NewSet(attribute.Bool("sampled", true))),
		notSampledAttrs: metric.WithAttributeSet(attribute.NewSet(attribute.Bool("sampled", false))),
	}
	// As probabilistic_sampler's makeSampler: above 100 % is 100 %, a
	// positive probability too small to express is the smallest one.
	c.ratio = min(float64(cfg.SamplingPercentage)/100, 1)
	if c.ratio > 0 && c.ratio < sampling.MinSamplingProbability {
		c.ratio = sampling.MinSamplingProbability
	}
	c.threshold = c.thresholdFor(1)
	ts, _ := sampling.NewW3CTraceState("")
	_ = ts.OTelValue().UpdateTValueWithSampling(c.threshold)
	var w strings.Builder
	_ = ts.Serialize(&w)
	c.plain = w.String()
	return c, nil
}

// Capabilities: the input is only read; what is forwarded is a new batch.
// So the fan-out in front of this connector hands it the batch its other
// consumers read, instead of a clone of every span.
func (*sampledForward) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeTraces forwards a new batch with copies of the sampled spans
// (their resource and scope copied once), their tracestate updated as
// probabilistic_sampler updates it; nothing when no span is sampled.
func (c *sampledForward) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	var out ptrace.Traces
	total, kept := 0, 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var outRS ptrace.ResourceSpans
		haveRS := false
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			var outSS ptrace.ScopeSpans
			haveSS := false
			spans := ss.Spans()
			total += spans.Len()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				sampled, traceState, rewrite := c.decide(span)
				if !sampled {
					continue
				}
				kept++
				if !haveRS {
					if out == (ptrace.Traces{}) {
						out = ptrace.NewTraces()
					}
					outRS = out.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(outRS.Resource())
					outRS.SetSchemaUrl(rs.SchemaUrl())
					haveRS = true
				}
				if !haveSS {
					outSS = outRS.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(outSS.Scope())
					outSS.SetSchemaUrl(ss.SchemaUrl())
					haveSS = true
				}
				dst := outSS.Spans().AppendEmpty()
				span.CopyTo(dst)
				if rewrite {
					dst.TraceState().FromRaw(traceState)
				}
			}
		}
	}
	if kept > 0 {
		c.spans.Add(ctx, int64(kept), c.sampledAttrs)
	}
	if total > kept {
		c.spans.Add(ctx, int64(total-kept), c.notSampledAttrs)
	}
	if kept == 0 {
		return nil
	}
	return c.next.ConsumeTraces(ctx, out)
}

// thresholdFor is the proportional sampler's threshold for a span that
// arrives sampled with probability incoming.
func (c *sampledForward) thresholdFor(incoming float64) sampling.Threshold {
	if c.ratio == 0 {
		return sampling.NeverSampleThreshold
	}
	th, err := sampling.ProbabilityToThresholdWithPrecision(incoming*c.ratio, c.precision)
	if errors.Is(err, sampling.ErrProbabilityRange) {
		// The product fell below the smallest probability: unsampled.
		return sampling.NeverSampleThreshold
	}
	return th
}

// decide is probabilistic_sampler's per-span decision in proportional mode
// (commonShouldSampleLogic with its traces randomness and priority rules):
// randomness from the tracestate's rv, else the trace id; the threshold
// proportional to the one the span arrived with; sampling.priority 0 never
// and > 0 always samples. A sampled span with a parseable tracestate gets
// it re-serialised with the new threshold (rewrite true).
func (c *sampledForward) decide(span ptrace.Span) (sampled bool, traceState string, rewrite bool) {
	if c.ratio == 0 {
		return c.decideNever(span)
	}
	raw := span.TraceState().AsRaw()
	ts, err := sampling.NewW3CTraceState(raw)
	carrier := err == nil
	rnd := sampling.AllProbabilitiesRandomness // missing randomness
	hasRnd := false
	if carrier {
		if rv, ok := ts.OTelValue().RValueRandomness(); ok {
			rnd, hasRnd = rv, true
		} else if tid := span.TraceID(); !tid.IsEmpty() {
			rnd, hasRnd = sampling.TraceIDToRandomness(tid), true
		}
		if !hasRnd {
			err = errMissingRandomness
		} else if tv, has := ts.OTelValue().TValueThreshold(); has && !tv.ShouldSample(rnd) {
			// The trace id contradicts the arriving threshold: cleared,
			// as the specification recommends.
			ts.OTelValue().ClearTValue()
			err = errInconsistentThreshold
		}
	}
	var threshold sampling.Threshold
	switch {
	case err != nil && c.failClosed:
		threshold = sampling.NeverSampleThreshold
	case err != nil:
		threshold = sampling.AlwaysSampleThreshold
	default:
		threshold = c.threshold
		if tv, has := ts.OTelValue().TValueThreshold(); has {
			threshold = c.thresholdFor(tv.Probability())
		}
	}
	switch samplingPriority(span.Attributes()) {
	case priorityNever:
		threshold = sampling.NeverSampleThreshold
	case priorityAlways:
		threshold = sampling.AlwaysSampleThreshold
	}
	if !threshold.ShouldSample(rnd) {
		return false, "", false
	}
	if !carrier {
		return true, "", false
	}
	// An error here (a threshold may only rise) keeps the arriving one, as
	// probabilistic_sampler does.
	_ = ts.OTelValue().UpdateTValueWithSampling(threshold)
	if raw == "" && threshold == c.threshold {
		return true, c.plain, true
	}
	var w strings.Builder
	if ts.Serialize(&w) != nil {
		return true, "", false
	}
	return true, w.String(), true
}

// decideNever is decide at 0 %: probabilistic_sampler's never-sampler,
// which checks no randomness (every threshold but "never" samples) and
// re-serialises the tracestate even when it did not parse.
func (c *sampledForward) decideNever(span ptrace.Span) (sampled bool, traceState string, rewrite bool) {
	ts, err := sampling.NewW3CTraceState(span.TraceState().AsRaw())
	threshold := sampling.NeverSampleThreshold
	if err != nil && !c.failClosed {
		threshold = sampling.AlwaysSampleThreshold
	}
	switch samplingPriority(span.Attributes()) {
	case priorityNever:
		threshold = sampling.NeverSampleThreshold
	case priorityAlways:
		threshold = sampling.AlwaysSampleThreshold
	}
	if !threshold.ShouldSample(sampling.AllProbabilitiesRandomness) {
		return false, "", false
	}
	_ = ts.OTelValue().UpdateTValueWithSampling(threshold)
	var w strings.Builder
	if ts.Serialize(&w) != nil {
		return true, "", false
	}
	return true, w.String(), true
}

var (
	errMissingRandomness     = errors.New("missing randomness")
	errInconsistentThreshold = errors.New("inconsistent arriving threshold")
)

type priority int

const (
	priorityDefer priority = iota
	priorityNever
	priorityAlways
)

// samplingPriority reads the span's sampling.priority attribute (int,
// double or numeric string): 0 never samples, a positive value always.
func samplingPriority(attrs pcommon.Map) priority {
	if attrs.Len() == 0 {
		return priorityDefer
	}
	v, ok := attrs.Get("sampling.priority")
	if !ok {
		return priorityDefer
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		p, err := strconv.ParseFloat(v.Str(), 64)
		if err != nil {
			return priorityDefer
		}
		f = p
	default:
		return priorityDefer
	}
	switch {
	case f == 0:
		return priorityNever
	case f > 0:
		return priorityAlways
	}
	return priorityDefer
}

package otlpsplitexporter

import (
	"iter"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// halveLogs copies the first half of ld's records into one batch and the
// rest into another, each under copies of its resource and scope. ld is
// left as it is (the exporter does not mutate data).
func halveLogs(ld plog.Logs) (plog.Logs, plog.Logs) {
	return halve[plog.LogRecord](ld, ld.LogRecordCount(), plog.NewLogs,
		plog.Logs.ResourceLogs, plog.ResourceLogs.ScopeLogs, plog.ScopeLogs.LogRecords)
}

// halveTraces is halveLogs for spans.
func halveTraces(td ptrace.Traces) (ptrace.Traces, ptrace.Traces) {
	return halve[ptrace.Span](td, td.SpanCount(), ptrace.NewTraces,
		ptrace.Traces.ResourceSpans, ptrace.ResourceSpans.ScopeSpans, ptrace.ScopeSpans.Spans)
}

// halveMetrics is halveLogs for metrics (whole metrics, not data points).
func halveMetrics(md pmetric.Metrics) (pmetric.Metrics, pmetric.Metrics) {
	return halve[pmetric.Metric](md, md.MetricCount(), pmetric.NewMetrics,
		pmetric.Metrics.ResourceMetrics, pmetric.ResourceMetrics.ScopeMetrics, pmetric.ScopeMetrics.Metrics)
}

// pdataSlice is what halve uses of a pdata slice (ResourceLogsSlice ...).
type pdataSlice[E any] interface {
	All() iter.Seq2[int, E]
	AppendEmpty() E
}

// resourceEntry is a ResourceLogs, ResourceSpans or ResourceMetrics.
type resourceEntry interface {
	Resource() pcommon.Resource
	SchemaUrl() string
	SetSchemaUrl(string)
}

// scopeEntry is a ScopeLogs, ScopeSpans or ScopeMetrics.
type scopeEntry interface {
	Scope() pcommon.InstrumentationScope
	SchemaUrl() string
	SetSchemaUrl(string)
}

// halve splits data's count items (I: log records, spans, metrics) into
// two new batches, the first count/2 in one, keeping each item under a
// copy of its resource and scope, in order.
func halve[I interface{ CopyTo(I) }, T any, RS pdataSlice[R], R resourceEntry, SS pdataSlice[S], S scopeEntry, IS pdataSlice[I]](
	data T, count int, newData func() T,
	resources func(T) RS, scopes func(R) SS, items func(S) IS,
) (T, T) {
	half := count / 2
	sides := [2]struct {
		out    T
		r      R
		s      S
		ri, si int
	}{{out: newData(), ri: -1}, {out: newData(), ri: -1}}
	n := 0
	for ri, r := range resources(data).All() {
		for si, s := range scopes(r).All() {
			for _, item := range items(s).All() {
				side := &sides[min(n/max(half, 1), 1)]
				n++
				if side.ri != ri {
					side.r = resources(side.out).AppendEmpty()
					r.Resource().CopyTo(side.r.Resource())
					side.r.SetSchemaUrl(r.SchemaUrl())
					side.ri, side.si = ri, -1
				}
				if side.si != si {
					side.s = scopes(side.r).AppendEmpty()
					s.Scope().CopyTo(side.s.Scope())
					side.s.SetSchemaUrl(s.SchemaUrl())
					side.si = si
				}
				item.CopyTo(items(side.s).AppendEmpty())
			}
		}
	}
	return sides[0].out, sides[1].out
}

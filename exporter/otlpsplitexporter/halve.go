package otlpsplitexporter

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// halveLogs copies the first half of ld's records into one batch and the
// rest into another, each under copies of its resource and scope. ld is
// left as it is (the exporter does not mutate data).
func halveLogs(ld plog.Logs) (plog.Logs, plog.Logs) {
	half := ld.LogRecordCount() / 2
	sides := [2]struct {
		out    plog.Logs
		rl     plog.ResourceLogs
		sl     plog.ScopeLogs
		ri, si int
	}{{out: plog.NewLogs(), ri: -1}, {out: plog.NewLogs(), ri: -1}}
	n := 0
	for ri, rl := range ld.ResourceLogs().All() {
		for si, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				side := &sides[min(n/max(half, 1), 1)]
				n++
				if side.ri != ri {
					side.rl = side.out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(side.rl.Resource())
					side.rl.SetSchemaUrl(rl.SchemaUrl())
					side.ri, side.si = ri, -1
				}
				if side.si != si {
					side.sl = side.rl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(side.sl.Scope())
					side.sl.SetSchemaUrl(sl.SchemaUrl())
					side.si = si
				}
				lr.CopyTo(side.sl.LogRecords().AppendEmpty())
			}
		}
	}
	return sides[0].out, sides[1].out
}

// halveTraces is halveLogs for spans.
func halveTraces(td ptrace.Traces) (ptrace.Traces, ptrace.Traces) {
	half := td.SpanCount() / 2
	sides := [2]struct {
		out    ptrace.Traces
		rs     ptrace.ResourceSpans
		ss     ptrace.ScopeSpans
		ri, si int
	}{{out: ptrace.NewTraces(), ri: -1}, {out: ptrace.NewTraces(), ri: -1}}
	n := 0
	for ri, rs := range td.ResourceSpans().All() {
		for si, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				side := &sides[min(n/max(half, 1), 1)]
				n++
				if side.ri != ri {
					side.rs = side.out.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(side.rs.Resource())
					side.rs.SetSchemaUrl(rs.SchemaUrl())
					side.ri, side.si = ri, -1
				}
				if side.si != si {
					side.ss = side.rs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(side.ss.Scope())
					side.ss.SetSchemaUrl(ss.SchemaUrl())
					side.si = si
				}
				span.CopyTo(side.ss.Spans().AppendEmpty())
			}
		}
	}
	return sides[0].out, sides[1].out
}

// halveMetrics is halveLogs for metrics (whole metrics, not data points).
func halveMetrics(md pmetric.Metrics) (pmetric.Metrics, pmetric.Metrics) {
	half := md.MetricCount() / 2
	sides := [2]struct {
		out    pmetric.Metrics
		rm     pmetric.ResourceMetrics
		sm     pmetric.ScopeMetrics
		ri, si int
	}{{out: pmetric.NewMetrics(), ri: -1}, {out: pmetric.NewMetrics(), ri: -1}}
	n := 0
	for ri, rm := range md.ResourceMetrics().All() {
		for si, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				side := &sides[min(n/max(half, 1), 1)]
				n++
				if side.ri != ri {
					side.rm = side.out.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(side.rm.Resource())
					side.rm.SetSchemaUrl(rm.SchemaUrl())
					side.ri, side.si = ri, -1
				}
				if side.si != si {
					side.sm = side.rm.ScopeMetrics().AppendEmpty()
					sm.Scope().CopyTo(side.sm.Scope())
					side.sm.SetSchemaUrl(sm.SchemaUrl())
					side.si = si
				}
				m.CopyTo(side.sm.Metrics().AppendEmpty())
			}
		}
	}
	return sides[0].out, sides[1].out
}

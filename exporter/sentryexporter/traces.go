package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"encoding/binary"
	"strings"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// errorsFromTraces builds one error event per `exception` span event, one
// per error span that recorded no exception event, and one message event per
// `security.incident` span event.
func (c *converter) errorsFromTraces(td ptrace.Traces, out []builtEvent) []builtEvent {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var ri *resourceInfo
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				isError := span.Status().Code() == ptrace.StatusCodeError
				events := span.Events()
				if !isError && !hasReportedEvent(events) {
					continue // the common case: no allocation
				}
				if ri == nil {
					info := c.resource(rs.Resource())
					ri = &info
				}
				src := source{resource: i, scope: j, record: k}
				recorded := false
				for e := 0; e < events.Len(); e++ {
					se := events.At(e)
					if se.Name() == contract.EventSecurity {
						r := spanRecord(span, ss.Scope().Name(), "span_event", e)
						r.attrs = []pcommon.Map{se.Attributes(), span.Attributes()}
						r.timestamp = nonZeroTime(se.Timestamp(), span.EndTimestamp(), span.StartTimestamp())
						r.incident = firstNonEmpty(getStr(se.Attributes(), contract.SecurityIncidentType), "unknown")
						out = append(out, c.build(ri, &r, src))
						continue
					}
					if se.Name() != contract.ExceptionEventName {
						continue
					}
					r := spanRecord(span, ss.Scope().Name(), "span_event", e)
					r.attrs = []pcommon.Map{se.Attributes(), span.Attributes()}
					r.timestamp = nonZeroTime(se.Timestamp(), span.EndTimestamp(), span.StartTimestamp())
					r.exception = exceptionFrom(se.Attributes())
					if r.exception == nil {
						r.exception = &exceptionInfo{}
					}
					out = append(out, c.build(ri, &r, src))
					recorded = true
				}
				if isError && !recorded {
					r := spanRecord(span, ss.Scope().Name(), "span", 0)
					r.attrs = []pcommon.Map{span.Attributes()}
					r.timestamp = nonZeroTime(span.EndTimestamp(), span.StartTimestamp())
					r.exception = exceptionFrom(span.Attributes())
					if r.exception == nil {
						r.exception = &exceptionInfo{}
					}
					out = append(out, c.build(ri, &r, src))
				}
			}
		}
	}
	return out
}

// hasReportedEvent: an exception or a security incident recorded as a span
// event.
func hasReportedEvent(events ptrace.SpanEventSlice) bool {
	for e := 0; e < events.Len(); e++ {
		if n := events.At(e).Name(); n == contract.ExceptionEventName || n == contract.EventSecurity {
			return true
		}
	}
	return false
}

func spanRecord(span ptrace.Span, scope, kind string, index int) record {
	ok := span.Status().Code() != ptrace.StatusCodeError
	msg := span.Status().Message()
	if msg == "" {
		msg = span.Name() + " failed"
	}
	return record{
		kind:      kind,
		operation: span.Name(),
		scope:     scope,
		level:     sentry.LevelError,
		traceID:   span.TraceID(),
		spanID:    span.SpanID(),
		parentID:  span.ParentSpanID(),
		spanKind:  spanOp(span),
		spanOK:    &ok,
		message:   msg,
		index:     index,
	}
}

// spanOp is the Sentry operation of a span: http.server / http.client /
// db for spans with those semantics, else the span kind.
func spanOp(span ptrace.Span) string {
	attrs := span.Attributes()
	switch span.Kind() {
	case ptrace.SpanKindServer:
		if _, ok := attrOf(attrs, contract.HTTPRequestMethod); ok {
			return "http.server"
		}
		return "server"
	case ptrace.SpanKindClient:
		if _, ok := attrOf(attrs, contract.DBSystemName); ok {
			return "db"
		}
		if _, ok := attrOf(attrs, contract.HTTPRequestMethod); ok {
			return "http.client"
		}
		return "client"
	case ptrace.SpanKindProducer:
		return "queue.publish"
	case ptrace.SpanKindConsumer:
		return "queue.process"
	}
	return strings.ToLower(span.Kind().String())
}

// sampledTrace keeps a trace by its id so a trace is kept or dropped whole,
// in every batch and on every collector. The low 8 bytes of a W3C trace id
// are random.
func sampledTrace(id pcommon.TraceID, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	return float64(binary.BigEndian.Uint64(id[8:])>>11)/(1<<53) < rate
}

// maxTransactionSpans is how many child spans a transaction carries, as
// the Sentry SDKs' default MaxSpans: a trace with thousands of spans in one
// batch would otherwise pass Sentry's 1 MiB event limit and be refused.
const maxTransactionSpans = 1000

// validSpanTimes reports whether Sentry can take a span's times: Relay drops
// a whole transaction when it, or any of its spans, ends before it starts
// (an unset end is 1970).
func validSpanTimes(span ptrace.Span) bool {
	return span.EndTimestamp() != 0 && span.EndTimestamp() >= span.StartTimestamp()
}

// transactionsFromTraces builds a transaction per root or server/consumer
// span of a sampled trace, with the batch's spans below it as child spans.
// Spans of the trace that arrive in another batch are not attached: Sentry
// still links them through the trace id. Child spans with invalid times are
// left out; invalid counts the roots that make no transaction for that reason.
func (c *converter) transactionsFromTraces(td ptrace.Traces, rate float64, out []builtEvent) (_ []builtEvent, invalid int) {
	type node struct {
		span  ptrace.Span
		ri    *resourceInfo
		src   source
		scope string
	}
	nodes := map[pcommon.SpanID]*node{}
	var order []*node
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		info := c.resource(rss.At(i).Resource())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if !sampledTrace(span.TraceID(), rate) {
					continue
				}
				n := &node{span: span, ri: &info, src: source{i, j, k}, scope: sss.At(j).Scope().Name()}
				nodes[span.SpanID()] = n
				order = append(order, n)
			}
		}
	}
	isRoot := func(s ptrace.Span) bool {
		return s.ParentSpanID().IsEmpty() || s.Kind() == ptrace.SpanKindServer || s.Kind() == ptrace.SpanKindConsumer
	}
	tx := map[pcommon.SpanID]*sentry.Event{}
	var built []builtEvent
	for _, n := range order {
		if !isRoot(n.span) {
			continue
		}
		if !validSpanTimes(n.span) {
			invalid++
			continue
		}
		ev := transactionEvent(n.ri, n.span)
		tx[n.span.SpanID()] = ev
		built = append(built, builtEvent{
			event:  ev,
			origin: origin{release: n.ri.release, environment: n.ri.environment, platform: firstNonEmpty(n.ri.platform, "other"), serverName: n.ri.serverName},
			src:    n.src,
		})
	}
	for _, n := range order {
		if isRoot(n.span) || !validSpanTimes(n.span) {
			continue
		}
		// Walk up to the nearest transaction root in this batch (bounded by
		// the batch size, so a parent cycle in bad data cannot loop forever).
		p, steps := nodes[n.span.ParentSpanID()], 0
		for p != nil && !isRoot(p.span) && steps < len(order) {
			p, steps = nodes[p.span.ParentSpanID()], steps+1
		}
		if p == nil || !isRoot(p.span) || p.span.TraceID() != n.span.TraceID() {
			continue
		}
		ev := tx[p.span.SpanID()]
		if ev == nil || len(ev.Spans) >= maxTransactionSpans { // no transaction, or a full one
			continue
		}
		ev.Spans = append(ev.Spans, childSpan(n.span))
	}
	return append(out, built...), invalid
}

func transactionEvent(ri *resourceInfo, span ptrace.Span) *sentry.Event {
	status := sentry.SpanStatusOK
	if span.Status().Code() == ptrace.StatusCodeError {
		status = sentry.SpanStatusInternalError
	}
	r := record{traceID: span.TraceID(), spanID: span.SpanID(), parentID: span.ParentSpanID(), kind: "transaction", timestamp: span.StartTimestamp()}
	tc := sentry.Context{
		"trace_id": span.TraceID().String(),
		"span_id":  span.SpanID().String(),
		"op":       spanOp(span),
		"status":   "ok",
	}
	if status != sentry.SpanStatusOK {
		tc["status"] = "internal_error"
	}
	if !span.ParentSpanID().IsEmpty() {
		tc["parent_span_id"] = span.ParentSpanID().String()
	}
	ev := &sentry.Event{
		Type:            "transaction",
		EventID:         eventID(&r, ""),
		Transaction:     truncate(span.Name(), maxTagValue),
		TransactionInfo: &sentry.TransactionInfo{Source: sentry.SourceCustom},
		StartTime:       span.StartTimestamp().AsTime().UTC(),
		Timestamp:       span.EndTimestamp().AsTime().UTC(),
		Environment:     ri.environment,
		Release:         ri.release,
		Contexts:        map[string]sentry.Context{"trace": tc},
		Tags:            map[string]string{},
	}
	if route := getStr(span.Attributes(), contract.HTTPRoute); route != "" {
		ev.TransactionInfo.Source = sentry.SourceRoute
	}
	if ri.service != "" {
		setTag(ev.Tags, contract.ServiceName, ri.service)
	}
	for _, k := range tagKeys {
		if v, ok := attrOf(span.Attributes(), k); ok {
			if s := v.AsString(); s != "" {
				setTag(ev.Tags, k, s)
			}
		}
	}
	return ev
}

func childSpan(span ptrace.Span) *sentry.Span {
	s := &sentry.Span{
		TraceID:      sentry.TraceID(span.TraceID()),
		SpanID:       sentry.SpanID(span.SpanID()),
		ParentSpanID: sentry.SpanID(span.ParentSpanID()),
		Op:           spanOp(span),
		Description:  truncate(span.Name(), maxTagValue),
		Status:       sentry.SpanStatusOK,
		StartTime:    span.StartTimestamp().AsTime().UTC(),
		EndTime:      span.EndTimestamp().AsTime().UTC(),
	}
	if span.Status().Code() == ptrace.StatusCodeError {
		s.Status = sentry.SpanStatusInternalError
	}
	return s
}

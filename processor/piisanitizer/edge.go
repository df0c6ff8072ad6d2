package piisanitizer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/detect"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

// EdgeLimitsConfig bounds what one item may carry, so that whatever a
// collector accepts the next tier accepts too (protobuf refuses values
// nested about 30 levels deep; OTLP/JSON has no limit) and so that metric
// series cannot multiply per customer. Items are never dropped: the excess
// is truncated and counted in otelcol_processor_piisanitizer_edge_limited.
type EdgeLimitsConfig struct {
	// MaxDepth is the deepest nesting of maps and slices in an attribute
	// value or log body; deeper values are replaced by a marker string.
	MaxDepth int `mapstructure:"max_depth"`
	// MaxAttributes bounds the entries of one attribute map (or nested map);
	// the entries beyond it are removed.
	MaxAttributes int `mapstructure:"max_attributes"`
	// MaxValueBytes bounds one string or bytes value; longer values are cut
	// (at a UTF-8 boundary).
	MaxValueBytes int `mapstructure:"max_value_bytes"`
	// DropForbiddenMetricAttributes removes the contract's identifying keys
	// (customer.*, client.address, order.id, payment.id, ...) from metric
	// data points.
	DropForbiddenMetricAttributes bool `mapstructure:"drop_forbidden_metric_attributes"`
	// NormalizeSpanNames replaces the pseudonyms and masks that sanitizing
	// left in span names by "{pii}", so span metrics get one span_name, not
	// one per customer.
	NormalizeSpanNames bool `mapstructure:"normalize_span_names"`
	// MaxServices bounds the distinct service.name values seen within
	// ServiceIdle; a new one beyond it is renamed OverflowService, so a flood
	// of service names cannot multiply every per-service series. 0 is off.
	MaxServices int `mapstructure:"max_services"`
	// ServiceIdle is how long a service unseen keeps its place.
	ServiceIdle time.Duration `mapstructure:"service_idle"`
}

// OverflowService replaces service.name beyond edge_limits.max_services.
const OverflowService = "overflow"

// maxEdgeDepth keeps the deepest allowed value inside protobuf's recursion
// limit of 100 (each map level costs 3, plus the envelope).
const maxEdgeDepth = 30

func defaultEdgeLimits() EdgeLimitsConfig {
	// The two settings that change what sanitizing alone would output are
	// off in the component and on in every profile of the distribution.
	return EdgeLimitsConfig{MaxDepth: 16, MaxAttributes: 128, MaxValueBytes: 64 << 10, ServiceIdle: 10 * time.Minute}
}

// Validate checks the limits.
func (c *EdgeLimitsConfig) Validate() error {
	switch {
	case c.MaxDepth < 1 || c.MaxDepth > maxEdgeDepth:
		return fmt.Errorf("edge_limits.max_depth: must be within 1 and %d (deeper values do not pass protobuf), got %d", maxEdgeDepth, c.MaxDepth)
	case c.MaxAttributes < 1:
		return fmt.Errorf("edge_limits.max_attributes: must be positive, got %d", c.MaxAttributes)
	case c.MaxValueBytes < 64:
		return fmt.Errorf("edge_limits.max_value_bytes: must be at least 64, got %d", c.MaxValueBytes)
	case c.MaxServices < 0:
		return fmt.Errorf("edge_limits.max_services: must not be negative, got %d", c.MaxServices)
	case c.MaxServices > 0 && c.ServiceIdle <= 0:
		return fmt.Errorf("edge_limits.service_idle: must be positive with max_services, got %s", c.ServiceIdle)
	}
	return nil
}

// Reasons of the edge_limited counter.
const (
	edgeDepth           = "depth"
	edgeAttributes      = "attributes"
	edgeValueSize       = "value_size"
	edgeMetricAttribute = "metric_attribute"
	edgeSpanName        = "span_name"
	edgeService         = "service"
)

var edgeReasons = []string{edgeDepth, edgeAttributes, edgeValueSize, edgeMetricAttribute, edgeSpanName, edgeService}

// edge applies EdgeLimitsConfig around the sanitizer: limits before it (a
// bounded value is cheaper to scan), span name normalisation after it (it
// looks for what sanitizing left).
type edge struct {
	cfg     EdgeLimitsConfig
	logger  *zap.Logger
	counter metric.Int64Counter
	opts    map[string]metric.AddOption
	now     func() time.Time
	// scanner places the cut of a long value before a finding it would
	// split (nil: cut at the limit).
	scanner *detect.Scanner

	mu       sync.Mutex
	lastWarn time.Time
	services map[string]time.Time // service.name -> last seen
	swept    time.Time
}

func newEdge(cfg EdgeLimitsConfig, set processor.Settings, scanner *detect.Scanner) (*edge, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &edge{cfg: cfg, logger: set.Logger, counter: tb.EdgeLimited, opts: map[string]metric.AddOption{}, now: time.Now, services: map[string]time.Time{}, scanner: scanner}
	for _, r := range edgeReasons {
		e.opts[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttributeReason, r)))
	}
	return e, nil
}

// counts are one batch's edge findings by reason.
type counts map[string]int64

// report adds a batch's counts to the counter and warns at most once a
// minute, naming only reasons and numbers (never content).
func (e *edge) report(ctx context.Context, c counts) {
	if len(c) == 0 {
		return
	}
	fields := make([]zap.Field, 0, len(c))
	for r, n := range c {
		e.counter.Add(ctx, n, e.opts[r])
		fields = append(fields, zap.Int64(r, n))
	}
	e.mu.Lock()
	now := e.now()
	warn := now.Sub(e.lastWarn) >= time.Minute
	if warn {
		e.lastWarn = now
	}
	e.mu.Unlock()
	if warn {
		e.logger.Warn("input exceeded edge limits: truncated and counted in "+metadata.EdgeLimitedMetric+" (this warning repeats at most once a minute)", fields...)
	}
}

// wrapTraces, wrapLogs and wrapMetrics put the edge around a sanitizing
// function; the factory is their only caller.
func (e *edge) wrapTraces(next processorhelper.ProcessTracesFunc) processorhelper.ProcessTracesFunc {
	return func(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
		c := counts{}
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rs := rss.At(i)
			e.resource(rs.Resource().Attributes(), c)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				e.attrs(ss.Scope().Attributes(), c)
				for k := 0; k < ss.Spans().Len(); k++ {
					span := ss.Spans().At(k)
					if name, cut := e.text(span.Name(), c); cut {
						span.SetName(name)
					}
					if msg, cut := e.text(span.Status().Message(), c); cut {
						span.Status().SetMessage(msg)
					}
					e.attrs(span.Attributes(), c)
					for x := 0; x < span.Events().Len(); x++ {
						ev := span.Events().At(x)
						if name, cut := e.text(ev.Name(), c); cut {
							ev.SetName(name)
						}
						e.attrs(ev.Attributes(), c)
					}
					for x := 0; x < span.Links().Len(); x++ {
						e.attrs(span.Links().At(x).Attributes(), c)
					}
				}
			}
		}
		td, err := next(ctx, td)
		if err == nil && e.cfg.NormalizeSpanNames {
			for i := 0; i < td.ResourceSpans().Len(); i++ {
				sss := td.ResourceSpans().At(i).ScopeSpans()
				for j := 0; j < sss.Len(); j++ {
					spans := sss.At(j).Spans()
					for k := 0; k < spans.Len(); k++ {
						if name, ok := normalizeSpanName(spans.At(k).Name()); ok {
							spans.At(k).SetName(name)
							c[edgeSpanName]++
						}
					}
				}
			}
		}
		e.report(ctx, c)
		return td, err
	}
}

func (e *edge) wrapLogs(next processorhelper.ProcessLogsFunc) processorhelper.ProcessLogsFunc {
	return func(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
		c := counts{}
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			rl := rls.At(i)
			e.resource(rl.Resource().Attributes(), c)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				e.attrs(sl.Scope().Attributes(), c)
				for k := 0; k < sl.LogRecords().Len(); k++ {
					lr := sl.LogRecords().At(k)
					if name, cut := e.text(lr.EventName(), c); cut {
						lr.SetEventName(name)
					}
					e.value(lr.Body(), 0, c)
					e.attrs(lr.Attributes(), c)
				}
			}
		}
		e.report(ctx, c)
		return next(ctx, ld)
	}
}

func (e *edge) wrapMetrics(next processorhelper.ProcessMetricsFunc) processorhelper.ProcessMetricsFunc {
	return func(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
		c := counts{}
		rms := md.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			rm := rms.At(i)
			e.resource(rm.Resource().Attributes(), c)
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				sm := rm.ScopeMetrics().At(j)
				e.attrs(sm.Scope().Attributes(), c)
				for k := 0; k < sm.Metrics().Len(); k++ {
					m := sm.Metrics().At(k)
					if name, cut := e.text(m.Name(), c); cut {
						m.SetName(name)
					}
					if desc, cut := e.text(m.Description(), c); cut {
						m.SetDescription(desc)
					}
					// Metadata and exemplars travel in OTLP too: one value
					// nested too deep there fails the whole batch as well.
					e.attrs(m.Metadata(), c)
					forEachPoint(m, func(attrs pcommon.Map, exemplars pmetric.ExemplarSlice) {
						for x := 0; x < exemplars.Len(); x++ {
							e.attrs(exemplars.At(x).FilteredAttributes(), c)
						}
						e.attrs(attrs, c)
						if e.cfg.DropForbiddenMetricAttributes {
							attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
								if contract.IsForbiddenMetricAttribute(k) {
									c[edgeMetricAttribute]++
									return true
								}
								return false
							})
						}
					})
				}
			}
		}
		e.report(ctx, c)
		return next(ctx, md)
	}
}

// forEachPoint calls f with every data point's attributes and exemplars
// (none for summaries).
func forEachPoint(m pmetric.Metric, f func(attrs pcommon.Map, exemplars pmetric.ExemplarSlice)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for i := 0; i < m.Gauge().DataPoints().Len(); i++ {
			dp := m.Gauge().DataPoints().At(i)
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSum:
		for i := 0; i < m.Sum().DataPoints().Len(); i++ {
			dp := m.Sum().DataPoints().At(i)
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeHistogram:
		for i := 0; i < m.Histogram().DataPoints().Len(); i++ {
			dp := m.Histogram().DataPoints().At(i)
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for i := 0; i < m.ExponentialHistogram().DataPoints().Len(); i++ {
			dp := m.ExponentialHistogram().DataPoints().At(i)
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSummary:
		for i := 0; i < m.Summary().DataPoints().Len(); i++ {
			f(m.Summary().DataPoints().At(i).Attributes(), pmetric.NewExemplarSlice())
		}
	}
}

// resource bounds a resource's attributes and its service.name budget.
func (e *edge) resource(attrs pcommon.Map, c counts) {
	e.attrs(attrs, c)
	if e.cfg.MaxServices == 0 {
		return
	}
	v, ok := attrs.Get(contract.ServiceName)
	if !ok || v.Type() != pcommon.ValueTypeStr || v.Str() == OverflowService {
		return
	}
	if !e.admitService(v.Str()) {
		v.SetStr(OverflowService)
		c[edgeService]++
	}
}

// admitService records a service.name and reports whether it is within
// the budget: known services always are; a new one is when, after
// forgetting services idle for ServiceIdle, there is room.
func (e *edge) admitService(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if _, ok := e.services[name]; ok {
		e.services[name] = now
		return true
	}
	if len(e.services) >= e.cfg.MaxServices && now.Sub(e.swept) >= time.Second {
		e.swept = now
		for s, seen := range e.services {
			if now.Sub(seen) >= e.cfg.ServiceIdle {
				delete(e.services, s)
			}
		}
	}
	if len(e.services) >= e.cfg.MaxServices {
		return false
	}
	e.services[name] = now
	return true
}

// attrs applies the limits to one attribute map at depth 1.
func (e *edge) attrs(m pcommon.Map, c counts) {
	e.mapValue(m, 1, c)
}

func (e *edge) mapValue(m pcommon.Map, depth int, c counts) {
	if m.Len() > e.cfg.MaxAttributes {
		kept := 0
		m.RemoveIf(func(string, pcommon.Value) bool {
			kept++
			if kept > e.cfg.MaxAttributes {
				c[edgeAttributes]++
				return true
			}
			return false
		})
	}
	longKey := false
	m.Range(func(k string, v pcommon.Value) bool {
		if len(k) > e.cfg.MaxValueBytes {
			longKey = true
			return true
		}
		e.value(v, depth, c)
		return true
	})
	if longKey {
		// A key is no value to cut (two cut keys could become one): the
		// attribute goes, like one beyond max_attributes.
		m.RemoveIf(func(k string, _ pcommon.Value) bool {
			if len(k) > e.cfg.MaxValueBytes {
				c[edgeAttributes]++
				return true
			}
			return false
		})
	}
}

// value bounds v, which sits at nesting depth (an attribute value is at
// depth 1, a value inside a map attribute at 2).
func (e *edge) value(v pcommon.Value, depth int, c counts) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if s := v.Str(); len(s) > e.cfg.MaxValueBytes {
			v.SetStr(contract.CutUTF8(s, e.cutAt(s)))
			c[edgeValueSize]++
		}
	case pcommon.ValueTypeBytes:
		if b := v.Bytes(); b.Len() > e.cfg.MaxValueBytes {
			raw := b.AsRaw()
			cut := append([]byte(nil), raw[:e.cutAt(unsafe.String(unsafe.SliceData(raw), len(raw)))]...)
			v.SetEmptyBytes().FromRaw(cut)
			c[edgeValueSize]++
		}
	case pcommon.ValueTypeMap:
		if depth >= e.cfg.MaxDepth {
			v.SetStr(truncatedMarker(e.cfg.MaxDepth))
			c[edgeDepth]++
			return
		}
		e.mapValue(v.Map(), depth+1, c)
	case pcommon.ValueTypeSlice:
		if depth >= e.cfg.MaxDepth {
			v.SetStr(truncatedMarker(e.cfg.MaxDepth))
			c[edgeDepth]++
			return
		}
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			e.value(s.At(i), depth+1, c)
		}
	}
}

// text bounds a name or message (span, event and metric names, a status
// message, a metric description) like a string value: a span name becomes
// the span.name label of every span metric, and none bounded it.
func (e *edge) text(s string, c counts) (string, bool) {
	if len(s) <= e.cfg.MaxValueBytes {
		return s, false
	}
	c[edgeValueSize]++
	return contract.CutUTF8(s, e.cutAt(s)), true
}

// cutAt is where a value longer than max_value_bytes is cut: sanitizing
// comes after the cut, so the cut must not split a finding.
func (e *edge) cutAt(s string) int {
	if e.scanner == nil {
		return e.cfg.MaxValueBytes
	}
	return e.scanner.CutBefore(s, e.cfg.MaxValueBytes)
}

// fitSanitized cuts a sanitized value that sanitizing made longer than n
// (a pseudonym is longer than most addresses) to n bytes: a second tier
// with the same limit would cut it otherwise, and sanitizing would not be
// idempotent. The cut goes before a placeholder or pseudonym it would
// split. n <= 0 is no limit.
func fitSanitized(out string, n int) string {
	if n <= 0 || len(out) <= n {
		return out
	}
	cut := n
	for _, prefix := range [...]string{detect.RedactedPrefix, detect.PseudonymPrefix} {
		from := max(0, n-maxSanitizedToken)
		k := strings.LastIndex(out[from:n], prefix)
		if k < 0 {
			continue
		}
		start := from + k
		end := start + detect.PseudonymLen
		if prefix == detect.RedactedPrefix {
			end = len(out)
			if e := strings.IndexByte(out[start:], ']'); e >= 0 {
				end = start + e + 1
			}
		}
		if end > n {
			cut = min(cut, start)
		}
	}
	return contract.CutUTF8(out, cut)
}

// maxSanitizedToken is longer than any placeholder or pseudonym.
const maxSanitizedToken = 128

func truncatedMarker(depth int) string {
	return "[TRUNCATED: nested deeper than " + strconv.Itoa(depth) + " levels]"
}

// piiInName matches what sanitizing leaves in a name: a pseudonym
// (detect.PseudonymPrefix + hex), a redaction placeholder, or a masked token
// (a run of '*' with what is attached to it, and the space- or
// dash-separated groups of a masked card number).
var piiInName = regexp.MustCompile(detect.PseudonymPrefix + `[0-9a-f]{8,}|\` + detect.RedactedPrefix + `[^\]]*\]|[^\s/?&=:,;]*\*{2,}(?:[ -](?:\*+|\d+))*[^\s/?&=:,;]*`)

// normalizeSpanName replaces every sanitized token in name by "{pii}".
func normalizeSpanName(name string) (string, bool) {
	// Each alternative of piiInName holds one of these literals; most span
	// names hold none, and the regexp cost ~15 % of the gateway's traces
	// path (issue 18).
	if !strings.Contains(name, detect.PseudonymPrefix) && !strings.Contains(name, detect.RedactedPrefix) && !strings.Contains(name, "**") {
		return name, false
	}
	if !piiInName.MatchString(name) {
		return name, false
	}
	return piiInName.ReplaceAllString(name, "{pii}"), true
}

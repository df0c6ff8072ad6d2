package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// isErrorLog: severity ERROR or above, an exception recorded as log
// attributes (the semantic conventions' replacement for span events), or a
// security.incident event whatever its severity (as its span-event form).
// Alert records (event.name "alert") are the collector's own notifications,
// not application errors: the alert exporter delivers them.
func isErrorLog(lr plog.LogRecord) bool {
	switch contract.LogEventName(lr) {
	case contract.EventAlert:
		return false
	case contract.EventSecurity:
		return true
	}
	if severityOf(lr) >= plog.SeverityNumberError {
		return true
	}
	attrs := lr.Attributes()
	for _, k := range [...]string{contract.ExceptionType, contract.ExceptionMessage, contract.ExceptionStacktrace} {
		if _, ok := attrs.Get(k); ok {
			return true
		}
	}
	return false
}

func (c *converter) errorsFromLogs(ld plog.Logs, out []builtEvent) []builtEvent {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var ri *resourceInfo
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if !isErrorLog(lr) {
					continue
				}
				if ri == nil {
					info := c.resource(rl.Resource())
					ri = &info
				}
				attrs := lr.Attributes()
				r := record{
					kind:      "log",
					attrs:     []pcommon.Map{attrs},
					operation: firstNonEmpty(getStr(attrs, contract.EventName), sl.Scope().Name()),
					scope:     sl.Scope().Name(),
					level:     levelFromSeverity(int32(severityOf(lr))),
					timestamp: nonZeroTime(lr.Timestamp(), lr.ObservedTimestamp()),
					traceID:   lr.TraceID(),
					spanID:    lr.SpanID(),
					message:   bodyText(lr.Body()),
					exception: exceptionFrom(attrs),
					incident:  incidentType(lr),
					// No index: a retried remainder renumbers the records,
					// and the event id must stay the same.
				}
				out = append(out, c.build(ri, &r, source{resource: i, scope: j, record: k}))
			}
		}
	}
	return out
}

// severityOf is the record's severity number, else the one its severity
// text names: the number is optional in OTLP, and log bridges and shippers
// that only have a level name ("ERROR", "Critical", "severe") send the text
// alone. Unknown text is unspecified.
func severityOf(lr plog.LogRecord) plog.SeverityNumber {
	if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		return n
	}
	text := strings.ToLower(strings.TrimSpace(lr.SeverityText()))
	// The data model's short names carry a digit for finer levels (ERROR2).
	text = strings.TrimRight(text, "234")
	switch text {
	case "fatal", "critical", "crit", "panic", "emergency", "emerg", "alert":
		return plog.SeverityNumberFatal
	case "error", "err", "severe":
		return plog.SeverityNumberError
	case "warn", "warning":
		return plog.SeverityNumberWarn
	case "info", "information", "informational", "notice":
		return plog.SeverityNumberInfo
	case "debug":
		return plog.SeverityNumberDebug
	case "trace", "verbose":
		return plog.SeverityNumberTrace
	}
	return plog.SeverityNumberUnspecified
}

// incidentType is the security.incident.type of a security.incident event
// ("unknown" when missing), else "".
func incidentType(lr plog.LogRecord) string {
	if contract.LogEventName(lr) != contract.EventSecurity {
		return ""
	}
	return firstNonEmpty(getStr(lr.Attributes(), contract.SecurityIncidentType), "unknown")
}

// bodyText renders the body; maps and slices as JSON (bounded later).
func bodyText(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeEmpty {
		return ""
	}
	return v.AsString()
}

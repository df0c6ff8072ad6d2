package contract

import "go.opentelemetry.io/collector/pdata/plog"

// LogEventName returns the event name of a log record: the OTLP event_name
// field, which current SDKs set (Logger.Emit with an event name), or else the
// event.name attribute, which older SDKs and hand-built records carry.
// Applications that set both must set them to the same value.
func LogEventName(lr plog.LogRecord) string {
	if n := lr.EventName(); n != "" {
		return n
	}
	if v, ok := lr.Attributes().Get(EventName); ok {
		return v.AsString()
	}
	return ""
}

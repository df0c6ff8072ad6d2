package contract

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TimestampTime converts an OTLP timestamp (nanoseconds since 1970 as an
// unsigned 64-bit number) to a time. ok is false when the timestamp is unset
// (0) or beyond 2262-04-11, the last instant int64 nanoseconds hold:
// pcommon's AsTime wraps those to before 1970, so a 2^64-1 timestamp would
// read as 1969 and an event be dropped as too old. Callers treat !ok as an
// unknown time (GA4 and paymentbi use the processing time).
func TimestampTime(ts pcommon.Timestamp) (time.Time, bool) {
	if ts == 0 || uint64(ts) > math.MaxInt64 {
		return time.Time{}, false
	}
	return ts.AsTime(), true
}

// WritableTime reports whether t's UTC form has a four-digit year, the
// range RFC 3339 and JSON (time.Time.MarshalJSON) can write: a time
// outside it fails the whole document that holds it.
func WritableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

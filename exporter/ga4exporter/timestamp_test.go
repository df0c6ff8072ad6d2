package ga4exporter

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// A 2^64-1 timestamp used to wrap to 1969 and the event was dropped as too
// old; now it is unknown: the observed time, or else none (the mapping
// takes the processing time).
func TestLogTimeNeverWraps(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.SetTimestamp(pcommon.Timestamp(math.MaxUint64))
	assert.True(t, logTime(lr).IsZero())

	observed := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	assert.Equal(t, observed, logTime(lr).UTC())

	lr.SetTimestamp(pcommon.NewTimestampFromTime(observed.Add(-time.Hour)))
	assert.Equal(t, observed.Add(-time.Hour), logTime(lr).UTC())
}

package contract

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestAlertRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	in := Alert{
		Name: "PaymentFailureRate", Status: AlertResolved, Severity: SeverityCritical,
		Value: 0.31, Threshold: 0.2, Summary: "payment failure rate 31% > 20%",
		Labels:   map[string]string{"service.name": "checkout", "payment.provider": "stripe"},
		StartsAt: start, EndsAt: start.Add(5 * time.Minute), Rule: "payment_failure_rate",
	}
	lr := plog.NewLogRecord()
	in.WriteTo(lr)
	assert.Equal(t, plog.SeverityNumberFatal, lr.SeverityNumber())
	assert.Equal(t, start.Add(5*time.Minute), lr.Timestamp().AsTime())

	out, err := AlertFromLogRecord(lr)
	require.NoError(t, err)
	in.Fingerprint = ComputeFingerprint(in.Name, in.Labels)
	assert.Equal(t, in.Fingerprint, out.Fingerprint)
	out.StartsAt, out.EndsAt = out.StartsAt.UTC(), out.EndsAt.UTC()
	assert.Equal(t, in, out)
}

func TestAlertFromApplicationRecordDefaults(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.Attributes().PutStr(EventName, EventAlert)
	lr.Attributes().PutStr(AlertName, "ManualAlert")
	lr.Body().SetStr("something is wrong")
	lr.SetTimestamp(1e18)
	a, err := AlertFromLogRecord(lr)
	require.NoError(t, err)
	assert.Equal(t, AlertFiring, a.Status)
	assert.Equal(t, SeverityWarning, a.Severity)
	assert.Equal(t, "something is wrong", a.Summary)
	assert.True(t, math.IsNaN(a.Value))
	assert.Equal(t, ComputeFingerprint("ManualAlert", map[string]string{}), a.Fingerprint)

	lr.Attributes().PutStr(AlertSeverity, "catastrophic")
	_, err = AlertFromLogRecord(lr)
	require.ErrorIs(t, err, ErrAlertBadSeverity)

	_, err = AlertFromLogRecord(plog.NewLogRecord())
	require.ErrorIs(t, err, ErrNotAlert)
}

func TestFingerprintDependsOnLabelsNotOrder(t *testing.T) {
	a := ComputeFingerprint("x", map[string]string{"a": "1", "b": "2"})
	b := ComputeFingerprint("x", map[string]string{"b": "2", "a": "1"})
	c := ComputeFingerprint("x", map[string]string{"a": "12"})
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	assert.Len(t, a, 16)
}

// ±Inf has no JSON form: an alert carrying one would fail every state
// save and document that holds it, so a value that is not finite is
// unknown, in whichever type the sender wrote it.
func TestAlertValuesThatAreNotFiniteAreUnknown(t *testing.T) {
	for _, set := range []func(lr plog.LogRecord){
		func(lr plog.LogRecord) { lr.Attributes().PutDouble(AlertValue, math.Inf(1)) },
		func(lr plog.LogRecord) { lr.Attributes().PutDouble(AlertValue, math.Inf(-1)) },
		func(lr plog.LogRecord) { lr.Attributes().PutStr(AlertValue, "+Inf") },
		func(lr plog.LogRecord) { lr.Attributes().PutStr(AlertValue, "-infinity") },
		func(lr plog.LogRecord) { lr.Attributes().PutStr(AlertValue, "1e999") },
	} {
		lr := plog.NewLogRecord()
		lr.Attributes().PutStr(EventName, EventAlert)
		lr.Attributes().PutStr(AlertName, "ManualAlert")
		lr.Attributes().PutStr(AlertThreshold, "-Inf")
		set(lr)
		a, err := AlertFromLogRecord(lr)
		require.NoError(t, err)
		v, _ := lr.Attributes().Get(AlertValue)
		assert.True(t, math.IsNaN(a.Value), "value %s", v.AsString())
		assert.True(t, math.IsNaN(a.Threshold))
	}
	lr := plog.NewLogRecord()
	Alert{Name: "A", Status: AlertFiring, Severity: SeverityHigh, Value: math.MaxFloat64, Threshold: -0.5}.WriteTo(lr)
	a, err := AlertFromLogRecord(lr)
	require.NoError(t, err)
	assert.Equal(t, math.MaxFloat64, a.Value, "finite values stay")
	assert.Equal(t, -0.5, a.Threshold)
}

// A time is kept only when its UTC form has a four-digit year, as RFC 3339
// and JSON write it; otherwise the record time stands in.
func TestAlertTimesBeyondFourDigitYearsFallBackToRecordTime(t *testing.T) {
	record := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"9999-12-31T23:59:59-23:59": record,
		"0000-01-01T00:00:00+01:00": record,
		"not a time":                record,
		"9999-12-31T23:59:59Z":      time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		"2026-11-28T11:00:00+01:00": record,
	} {
		lr := plog.NewLogRecord()
		lr.Attributes().PutStr(EventName, EventAlert)
		lr.Attributes().PutStr(AlertName, "ManualAlert")
		lr.Attributes().PutStr(AlertStartsAt, in)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(record))
		a, err := AlertFromLogRecord(lr)
		require.NoError(t, err)
		assert.True(t, want.Equal(a.StartsAt), "%s: got %s", in, a.StartsAt)
		_, err = a.StartsAt.UTC().MarshalJSON()
		assert.NoError(t, err, in)
	}
}

// Applications send alerts directly, and the alert exporter keeps and
// stores every active one: a record is cut to bounds when decoded, the
// same way whatever the order of its labels.
func TestAlertRecordIsCutToBounds(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	record := func(reverse bool) plog.LogRecord {
		lr := plog.NewLogRecord()
		a := lr.Attributes()
		a.PutStr(EventName, EventAlert)
		a.PutStr(AlertName, "Flood"+big)
		a.PutStr(AlertSummary, big)
		a.PutStr(AlertDescription, big)
		a.PutStr(AlertRunbookURL, "https://runbooks.example.com/"+big)
		labels := a.PutEmptyMap(AlertLabels)
		for i := range 100 {
			if reverse {
				i = 99 - i
			}
			labels.PutStr(fmt.Sprintf("label%03d", i), big)
		}
		return lr
	}
	a, err := AlertFromLogRecord(record(false))
	require.NoError(t, err)
	assert.Len(t, a.Labels, MaxAlertLabels)
	assert.Contains(t, a.Labels, "label000")
	assert.NotContains(t, a.Labels, fmt.Sprintf("label%03d", MaxAlertLabels), "the first in key order are kept")
	for k, v := range a.Labels {
		assert.LessOrEqual(t, len(v), MaxLabelValueBytes+len("…"), k)
	}
	assert.LessOrEqual(t, len(a.Name), MaxLabelValueBytes+len("…"))
	assert.LessOrEqual(t, len(a.Summary), MaxAlertTextBytes+len("…"))
	assert.LessOrEqual(t, len(a.Description), MaxAlertTextBytes+len("…"))
	assert.LessOrEqual(t, len(a.RunbookURL), MaxAlertTextBytes+len("…"))

	b, err := AlertFromLogRecord(record(true))
	require.NoError(t, err)
	assert.Equal(t, a.Fingerprint, b.Fingerprint, "labels sent in another order are the same alert")
	assert.Equal(t, a.Labels, b.Labels)
}

// A full alert book gives up the least severe alert below the newcomer's
// severity, the oldest of those, then by fingerprint; never an ineligible
// one or one as severe as the newcomer.
func TestEvictionVictim(t *testing.T) {
	type entry struct {
		sev, fp  string
		at       int
		eligible bool
	}
	describe := func(e entry) (string, time.Time, string, bool) {
		return e.sev, time.Unix(int64(e.at), 0), e.fp, e.eligible
	}
	book := []entry{
		{SeverityWarning, "w-old", 1, true},
		{SeverityInfo, "i-new", 9, true},
		{SeverityInfo, "i-b", 5, true},
		{SeverityInfo, "i-a", 5, true},
		{SeverityInfo, "i-resolved", 0, false},
		{SeverityCritical, "c", 0, true},
	}
	v, ok := EvictionVictim(slices.Values(book), SeverityCritical, describe)
	assert.True(t, ok)
	assert.Equal(t, "i-a", v.fp, "lowest severity, oldest, then smallest fingerprint; never an ineligible one")
	v, ok = EvictionVictim(slices.Values(book[:1]), SeverityCritical, describe)
	assert.True(t, ok)
	assert.Equal(t, "w-old", v.fp)
	_, ok = EvictionVictim(slices.Values(book), SeverityInfo, describe)
	assert.False(t, ok, "nothing is less severe than info")
	_, ok = EvictionVictim(slices.Values(book[5:]), SeverityCritical, describe)
	assert.False(t, ok, "an alert as severe as the newcomer stays")
}

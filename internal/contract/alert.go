package contract

import (
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"sort"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Alert record keys. An alert travels as a log record whose event.name is
// EventAlert, whose trace and span ids link to an example span, and whose
// body is the summary.
const (
	AlertName        = "alert.name"
	AlertStatus      = "alert.status"
	AlertSeverity    = "alert.severity"
	AlertFingerprint = "alert.fingerprint"
	AlertValue       = "alert.value"
	AlertThreshold   = "alert.threshold"
	AlertSummary     = "alert.summary"
	AlertDescription = "alert.description"
	// AlertLabels is a map of string labels that identify the alert series
	// (rule grouping labels such as service.name, payment.provider).
	AlertLabels = "alert.labels"
	// AlertStartsAt and AlertEndsAt are RFC 3339 timestamps; EndsAt is set
	// only on resolved alerts.
	AlertStartsAt     = "alert.starts_at"
	AlertEndsAt       = "alert.ends_at"
	AlertRunbookURL   = "alert.runbook_url"
	AlertRule         = "alert.rule"
	AlertGeneratorURL = "alert.generator_url"
)

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Alert severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Severities lists the alert severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityWarning, SeverityInfo}

// SeverityRank orders severities: critical 4 … info 1; unknown 0.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return len(Severities) - i
		}
	}
	return 0
}

// EvictionVictim is the alert a full alert book gives up to make room for
// a new one of severity, so a flood of low-severity alerts cannot lock out
// a critical one: among the eligible alerts less severe than severity, the
// lowest severity, then the oldest (at), then the smallest fingerprint, so
// the choice does not depend on map order. ok is false when there is none.
func EvictionVictim[T any](alerts iter.Seq[T], severity string,
	describe func(T) (sev string, at time.Time, fingerprint string, eligible bool),
) (victim T, ok bool) {
	rank := SeverityRank(severity)
	var vRank int
	var vAt time.Time
	var vFP string
	for a := range alerts {
		sev, at, fp, eligible := describe(a)
		r := SeverityRank(sev)
		if !eligible || r >= rank {
			continue
		}
		if !ok || r < vRank || (r == vRank && (at.Before(vAt) || (at.Equal(vAt) && fp < vFP))) {
			victim, ok, vRank, vAt, vFP = a, true, r, at, fp
		}
	}
	return victim, ok
}

// Alert is the decoded form of an alert record.
type Alert struct {
	Name         string
	Status       string
	Severity     string
	Fingerprint  string
	Value        float64
	Threshold    float64
	Summary      string
	Description  string
	Labels       map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	RunbookURL   string
	Rule         string
	GeneratorURL string
	TraceID      pcommon.TraceID
	SpanID       pcommon.SpanID
}

// ComputeFingerprint identifies an alert series: FNV-1a 64 over the alert name
// and its sorted labels, as 16 hex digits. Alertmanager fingerprints label
// sets the same way.
func ComputeFingerprint(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	for _, k := range keys {
		_, _ = h.Write([]byte{0xff})
		_, _ = h.Write([]byte(k))
		_, _ = h.Write([]byte{0xfe})
		_, _ = h.Write([]byte(labels[k]))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func severityNumber(sev string) (plog.SeverityNumber, string) {
	switch sev {
	case SeverityCritical:
		return plog.SeverityNumberFatal, "FATAL"
	case SeverityHigh:
		return plog.SeverityNumberError, "ERROR"
	case SeverityWarning:
		return plog.SeverityNumberWarn, "WARN"
	default:
		return plog.SeverityNumberInfo, "INFO"
	}
}

// WriteTo fills lr with the alert record. The fingerprint is computed when
// empty. Timestamp is the time of this state change (EndsAt when resolved).
func (a Alert) WriteTo(lr plog.LogRecord) {
	if a.Fingerprint == "" {
		a.Fingerprint = ComputeFingerprint(a.Name, a.Labels)
	}
	attrs := lr.Attributes()
	attrs.PutStr(EventName, EventAlert)
	attrs.PutStr(AlertName, a.Name)
	attrs.PutStr(AlertStatus, a.Status)
	attrs.PutStr(AlertSeverity, a.Severity)
	attrs.PutStr(AlertFingerprint, a.Fingerprint)
	if !math.IsNaN(a.Value) {
		attrs.PutDouble(AlertValue, a.Value)
	}
	if !math.IsNaN(a.Threshold) {
		attrs.PutDouble(AlertThreshold, a.Threshold)
	}
	attrs.PutStr(AlertSummary, a.Summary)
	if a.Description != "" {
		attrs.PutStr(AlertDescription, a.Description)
	}
	labels := attrs.PutEmptyMap(AlertLabels)
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels.EnsureCapacity(len(keys))
	for _, k := range keys {
		labels.PutStr(k, a.Labels[k])
	}
	attrs.PutStr(AlertStartsAt, a.StartsAt.UTC().Format(time.RFC3339Nano))
	if !a.EndsAt.IsZero() {
		attrs.PutStr(AlertEndsAt, a.EndsAt.UTC().Format(time.RFC3339Nano))
	}
	if a.RunbookURL != "" {
		attrs.PutStr(AlertRunbookURL, a.RunbookURL)
	}
	if a.Rule != "" {
		attrs.PutStr(AlertRule, a.Rule)
	}
	if a.GeneratorURL != "" {
		attrs.PutStr(AlertGeneratorURL, a.GeneratorURL)
	}
	lr.SetTraceID(a.TraceID)
	lr.SetSpanID(a.SpanID)
	num, text := severityNumber(a.Severity)
	lr.SetSeverityNumber(num)
	lr.SetSeverityText(text)
	ts := a.StartsAt
	if a.Status == AlertResolved && !a.EndsAt.IsZero() {
		ts = a.EndsAt
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.Body().SetStr(a.Summary)
}

// IsAlertRecord reports whether lr carries an alert (event name "alert", in
// the event_name field or the event.name attribute, see LogEventName).
func IsAlertRecord(lr plog.LogRecord) bool {
	return LogEventName(lr) == EventAlert
}

// Bounds of a decoded alert record. Applications send alerts directly,
// and the alert exporter keeps up to max_alerts of them and writes them
// all to storage after every batch: without bounds one alert could carry
// 128 labels of 64 KiB (what the edge lets through).
const (
	// MaxAlertLabels bounds the labels; beyond it the labels first in key
	// order are kept, so the fingerprint does not depend on map order.
	MaxAlertLabels = 64
	// MaxAlertTextBytes bounds the summary, description, rule and URLs.
	// Names, label keys and values and fingerprints are cut to
	// MaxLabelValueBytes.
	MaxAlertTextBytes = 16 << 10
)

// Errors of AlertFromLogRecord.
var (
	ErrNotAlert         = errors.New("log record is not an alert (event.name != \"alert\")")
	ErrAlertNoName      = errors.New("alert record has no alert.name")
	ErrAlertBadStatus   = errors.New("alert.status must be firing or resolved")
	ErrAlertBadSeverity = errors.New("alert.severity must be critical, high, warning or info")
)

// AlertFromLogRecord decodes an alert record. Applications may send alerts
// directly, so everything is checked: missing optional fields get defaults
// (severity warning, status firing, starts_at from the record time), invalid
// required ones are an error.
func AlertFromLogRecord(lr plog.LogRecord) (Alert, error) {
	if !IsAlertRecord(lr) {
		return Alert{}, ErrNotAlert
	}
	attrs := lr.Attributes()
	a := Alert{
		Value:     math.NaN(),
		Threshold: math.NaN(),
		Labels:    map[string]string{},
		TraceID:   lr.TraceID(),
		SpanID:    lr.SpanID(),
	}
	a.Name = CutLabelValue(str(attrs, AlertName))
	if a.Name == "" {
		return Alert{}, ErrAlertNoName
	}
	a.Status = str(attrs, AlertStatus)
	if a.Status == "" {
		a.Status = AlertFiring
	}
	if a.Status != AlertFiring && a.Status != AlertResolved {
		return Alert{}, ErrAlertBadStatus
	}
	a.Severity = str(attrs, AlertSeverity)
	if a.Severity == "" {
		a.Severity = SeverityWarning
	}
	if SeverityRank(a.Severity) == 0 {
		return Alert{}, ErrAlertBadSeverity
	}
	if v, ok := attrs.Get(AlertLabels); ok && v.Type() == pcommon.ValueTypeMap {
		readLabels(v.Map(), a.Labels)
	}
	a.Fingerprint = CutLabelValue(str(attrs, AlertFingerprint))
	if a.Fingerprint == "" {
		a.Fingerprint = ComputeFingerprint(a.Name, a.Labels)
	}
	a.Value = num(attrs, AlertValue)
	a.Threshold = num(attrs, AlertThreshold)
	a.Summary = str(attrs, AlertSummary)
	if a.Summary == "" {
		a.Summary = lr.Body().AsString()
	}
	a.Summary = cutText(a.Summary, MaxAlertTextBytes)
	a.Description = cutText(str(attrs, AlertDescription), MaxAlertTextBytes)
	a.RunbookURL = cutText(str(attrs, AlertRunbookURL), MaxAlertTextBytes)
	a.Rule = cutText(str(attrs, AlertRule), MaxAlertTextBytes)
	a.GeneratorURL = cutText(str(attrs, AlertGeneratorURL), MaxAlertTextBytes)
	recordTime := lr.Timestamp().AsTime()
	if lr.Timestamp() == 0 {
		recordTime = lr.ObservedTimestamp().AsTime()
	}
	a.StartsAt = parseTime(str(attrs, AlertStartsAt), recordTime)
	if a.Status == AlertResolved {
		a.EndsAt = parseTime(str(attrs, AlertEndsAt), recordTime)
	}
	return a, nil
}

// readLabels puts at most MaxAlertLabels of m's labels, first in key
// order, into dst, keys and values cut to MaxLabelValueBytes.
func readLabels(m pcommon.Map, dst map[string]string) {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(dst) == MaxAlertLabels {
			return
		}
		v, _ := m.Get(k)
		dst[CutLabelValue(k)] = CutLabelValue(v.AsString())
	}
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

// num reads a number; NaN (unknown) when absent or not finite: ±Inf has
// no JSON form, and one such alert would make every state save, API
// answer and dashboard document that holds it fail to encode.
func num(m pcommon.Map, k string) float64 {
	v, ok := m.Get(k)
	if !ok {
		return math.NaN()
	}
	f := math.NaN()
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeStr:
		if p, err := strconv.ParseFloat(v.Str(), 64); err == nil {
			f = p
		}
	}
	if math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// parseTime reads an RFC 3339 time, else fallback. A time whose UTC form
// leaves years 0000-9999 ("9999-12-31T23:59:59-23:59") is refused too:
// channels send times in UTC, and JSON cannot carry it, so one such alert
// failed the whole notification of its group.
func parseTime(s string, fallback time.Time) time.Time {
	if s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if WritableTime(t) {
				return t
			}
		}
	}
	return fallback
}

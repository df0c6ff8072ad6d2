package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// JournalRecordsSkippedName is the own-telemetry counter of journal records
// a start skipped because they did not decode.
const JournalRecordsSkippedName = "otelcol_paymentbi_journal_records_skipped"

// NewJournalRecordsSkipped creates that counter.
func NewJournalRecordsSkipped(set component.TelemetrySettings) (metric.Int64Counter, error) {
	return set.MeterProvider.Meter(ScopeName).Int64Counter(JournalRecordsSkippedName,
		metric.WithDescription("Journal records skipped at start because they did not decode (corrupt or from another version): their events are not counted."),
		metric.WithUnit("{record}"))
}

package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Names of the own-telemetry counter of journal records a start skipped
// because they did not decode, otelcol_<kind>_<type>_<name> like contrib
// components' telemetry: the processor and the connector keep separate
// journals, so each kind has its own name.
const (
	ProcessorJournalRecordsSkipped = "otelcol_processor_paymentbi_journal_records_skipped"
	ConnectorJournalRecordsSkipped = "otelcol_connector_paymentbi_journal_records_skipped"
)

// TelemetryBuilder holds the component's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
	// JournalRecordsSkipped counts journal records skipped at start.
	JournalRecordsSkipped metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments of the processor or (kind
// connector) the connector.
func NewTelemetryBuilder(set component.TelemetrySettings, kind component.Kind) (*TelemetryBuilder, error) {
	name := ProcessorJournalRecordsSkipped
	if kind == component.KindConnector {
		name = ConnectorJournalRecordsSkipped
	}
	skipped, err := set.MeterProvider.Meter(ScopeName).Int64Counter(name,
		metric.WithDescription("Journal records skipped at start because they did not decode (corrupt or from another version): their events are not counted."),
		metric.WithUnit("{record}"))
	if err != nil {
		return nil, err
	}
	return &TelemetryBuilder{JournalRecordsSkipped: skipped}, nil
}

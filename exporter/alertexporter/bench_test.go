package alertexporter

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// BenchmarkPush decodes and ingests a batch of 100 alert records (already
// known alerts being refreshed, the steady state).
func BenchmarkPush(b *testing.B) {
	cfg := logOnlyConfig()
	e, err := newAlertExporter(cfg, exportertest.NewNopSettings(metadata.Type), clock.NewFake(t0))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.shutdown(context.Background()) }()
	alerts := make([]contract.Alert, 100)
	for i := range alerts {
		a := critical()
		a.Labels = map[string]string{"service.name": fmt.Sprintf("svc-%d", i), "payment.provider": "stripe"}
		alerts[i] = a
	}
	ld := alertLogs(alerts...)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := e.push(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(alerts))/b.Elapsed().Seconds(), "records/s")
}

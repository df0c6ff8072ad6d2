package sim

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRun measures end-to-end throughput: simulated sessions through
// the OTel SDK and OTLP gRPC into the collector's otlpreceiver.
//
//	go test -run '^$' -bench BenchmarkRun -benchtime 20000x ./internal/sim/
func BenchmarkRun(b *testing.B) {
	endpoint, got := startReceiver(b)
	cfg := Config{
		Endpoint: endpoint, Insecure: true, Seed: 1, Count: b.N, DuplicateRate: 0.02,
		SpanEventShare: DefaultSpanEventShare, RefundRate: DefaultRefundRate, CardTestingRate: DefaultCardTestingRate,
		MetricInterval: time.Hour,
	}
	b.ResetTimer()
	l, err := Run(context.Background(), cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if int64(got.traces.SpanCount()) != l.Spans || int64(got.logs.LogRecordCount()) != l.LogRecords {
		b.Fatalf("received %d spans / %d logs, ledger says %d / %d", got.traces.SpanCount(), got.logs.LogRecordCount(), l.Spans, l.LogRecords)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(l.Spans+l.LogRecords)/secs, "records/s")
	b.ReportMetric(float64(l.Events)/secs, "events/s")
	b.ReportMetric(float64(l.Spans+l.LogRecords)/float64(b.N), "records/session")
}

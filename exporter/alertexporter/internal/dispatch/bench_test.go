package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

type discard struct{}

func (discard) Send(string, *channel.Notification) bool { return false }

// BenchmarkIngestRefresh: the steady state, where the source re-sends
// already-known firing alerts (1000 alerts in 50 groups) per batch.
func BenchmarkIngestRefresh(b *testing.B) {
	f, alerts := benchFixture(b, contract.SeverityWarning)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.e.Ingest(alerts)
	}
	b.ReportMetric(float64(b.N*len(alerts))/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkTick: one evaluation with 1000 active alerts in 50 groups, every
// group due, plus the state snapshot.
func BenchmarkTick(b *testing.B) {
	f, _ := benchFixture(b, contract.SeverityCritical)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.clk.Advance(5 * time.Minute)
		f.e.Tick()
	}
}

// benchFixture ingests 1000 alerts in 50 groups into an engine whose
// notifications are discarded.
func benchFixture(b *testing.B, severity string) (*fixture, []contract.Alert) {
	f := newFixture(b, nil)
	f.e.sender = discard{}
	alerts := make([]contract.Alert, 1000)
	for i := range alerts {
		alerts[i] = alert(fmt.Sprintf("Alert%02d", i%50), severity, fmt.Sprintf("svc-%d", i))
	}
	f.e.Ingest(alerts)
	return f, alerts
}

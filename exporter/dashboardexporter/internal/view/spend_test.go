package view

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

func TestSpendPanelAndSummaryLine(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, _, _ := testBuilder(t, now)
	assert.Empty(t, b.Dashboard().Spend.Destinations, "no source: an empty panel")
	assert.NotNil(t, b.Dashboard().Spend.Destinations, "[] in the JSON, not null")

	reg := spend.NewRegistry(func() time.Time { return now })
	reg.Meter(spend.Key{Exporter: "ga4", Kind: "ga4", Host: "www.google-analytics.com"}, spend.Traces|spend.Logs).Sent(25, 12_345)
	reg.Meter(spend.Key{Exporter: "otlp_split/tracing", Kind: "otlp_grpc", Host: "tempo:4317"}, spend.Traces).Sent(40, 2_500_000)
	reg.Meter(spend.Key{Exporter: "sentry", Kind: "sentry", Host: "o1.ingest.sentry.io"}, spend.Traces|spend.Logs) // idle
	reg.Received(spend.Traces, 400)
	reg.Received(spend.Logs, 100)
	b.opts.Spend = reg.Snapshot

	d := b.Dashboard()
	require.Len(t, d.Spend.Destinations, 3)
	assert.Equal(t, int64(25), d.Spend.Destinations[0].EventsLastHour)
	s := BuildSummary(d)
	var line string
	for _, i := range s.Insights {
		if i.Source == "Monitoring spend" {
			line = i.Text
		}
	}
	assert.Equal(t, "last hour: ga4 → ga4 25 events, 12.3 kB (5.0% of received); otlp_split/tracing → otlp_grpc 40 events, 2.5 MB (10.0% of received)", line)
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 8200: "8.2 kB", 2_500_000: "2.5 MB", 3e12: "3.0 TB"} {
		assert.Equal(t, want, HumanBytes(n), n)
	}
}

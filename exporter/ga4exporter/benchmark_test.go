package ga4exporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// accept answers every request with 204 without touching the network, so the
// benchmark measures mapping, encoding and the HTTP client path.
type accept struct{}

func (accept) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	_ = req.Body.Close()
	return &http.Response{StatusCode: http.StatusNoContent, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: req}, nil
}

// benchLogs is 1000 business events of 100 clients: purchases with three
// items, add_to_cart and view_item, with unique order ids.
func benchLogs(b *testing.B, round int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	names := []string{contract.EventPurchase, contract.EventAddToCart, contract.EventViewItem}
	for i := 0; i < 1000; i++ {
		lr := lrs.AppendEmpty()
		require.NoError(b, lr.Attributes().FromRaw(map[string]any{
			contract.EventName:          names[i%3],
			contract.GAClientID:         fmt.Sprintf("%d.1764300000", i%100),
			contract.GASessionID:        "1764327600",
			contract.CustomerID:         "pii_9f86d081884c7d659f86d081884c7d65",
			contract.OrderID:            fmt.Sprintf("ord-%d-%d", round, i),
			contract.PaymentAmountMinor: 4997,
			contract.PaymentCurrency:    "USD",
			contract.OrderItems: []any{
				map[string]any{contract.ItemID: "sku-1", contract.ItemName: "Mug", contract.ItemPriceMinor: 1299, contract.ItemQuantity: 2},
				map[string]any{contract.ItemID: "sku-2", contract.ItemName: "Coaster", contract.ItemPrice: "4.99"},
				map[string]any{contract.ItemID: "sku-3", contract.ItemName: "Tea", contract.ItemPriceMinor: 1900},
			},
		}))
		lr.SetTimestamp(1795863600000000000)
	}
	return ld
}

func BenchmarkPushLogs(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID, cfg.APISecret = testMeasurementID, testSecret
	// Dedup off: repeated batches would otherwise skip their purchases and
	// flatter the figure.
	cfg.Dedup.Enabled = false
	set := exportertest.NewNopSettings(metadata.Type)
	e, err := newExporter(set, cfg, func() time.Time { return baseTime })
	require.NoError(b, err)
	e.wrapTransport = func(http.RoundTripper) http.RoundTripper { return accept{} }
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, e.shutdown(context.Background())) })

	batches := make([]plog.Logs, 8)
	for i := range batches {
		batches[i] = benchLogs(b, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		require.NoError(b, e.pushLogs(context.Background(), batches[i%len(batches)]))
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

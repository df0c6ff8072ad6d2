package ga4exporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"

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
		req, err := e.convertLogs(context.Background(), batches[i%len(batches)])
		require.NoError(b, err)
		require.NoError(b, e.push(context.Background(), req))
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// mixedLogs is a gateway-like batch: 1000 log records of which every tenth
// is a GA4 business event and the rest application logs.
func mixedLogs(b *testing.B) plog.Logs {
	ld := benchLogs(b, 0)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		if i%10 == 0 {
			continue
		}
		lr := lrs.At(i)
		lr.Attributes().Clear()
		lr.Body().SetStr("GET /api/products/sku-1 200 in 12ms")
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		require.NoError(b, lr.Attributes().FromRaw(map[string]any{
			"http.request.method": "GET", "http.route": "/api/products/{id}", "http.response.status_code": 200,
			contract.CheckoutSessionID: fmt.Sprintf("cs_%d", i), "code.function.name": "handleProduct",
		}))
	}
	return ld
}

// BenchmarkQueueItem is what the persistent sending queue costs per batch:
// writing and reading back one queue item. "batch" is the whole OTLP batch
// (what the queue held before), "ga4_request" the mapped GA4 events of the
// same batch (what it holds now; the mapping is part of the figure).
func BenchmarkQueueItem(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID, cfg.APISecret = testMeasurementID, testSecret
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg, func() time.Time { return baseTime })
	require.NoError(b, err)
	ld := mixedLogs(b)
	ctx := context.Background()
	b.Run("batch", func(b *testing.B) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			buf, err := pdatareq.MarshalLogs(ctx, ld)
			require.NoError(b, err)
			_, back, err := pdatareq.UnmarshalLogs(buf)
			require.NoError(b, err)
			require.Equal(b, 1000, back.LogRecordCount())
			size = len(buf)
		}
		b.ReportMetric(float64(size), "bytes/item")
	})
	b.Run("ga4_request", func(b *testing.B) {
		b.ReportAllocs()
		enc := e.queueEncoding(false)
		size := 0
		for b.Loop() {
			req, err := e.convertLogs(ctx, ld)
			require.NoError(b, err)
			buf, err := enc.Marshal(ctx, req)
			require.NoError(b, err)
			_, back, err := enc.Unmarshal(buf)
			require.NoError(b, err)
			require.Equal(b, 100, back.ItemsCount())
			size = len(buf)
		}
		b.ReportMetric(float64(size), "bytes/item")
	})
}

// BenchmarkPostLoopback is one GA4 POST over loopback HTTP/1.1 keep-alive,
// with the collector's telemetry providers set as in a running collector
// (metrics level normal): what each request costs the exporter besides
// mapping, on top of a minimal local server (whose CPU is in the figure too).
func BenchmarkPostLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID, cfg.APISecret = testMeasurementID, testSecret
	cfg.ClientConfig.Endpoint = srv.URL
	tel := componenttest.NewTelemetry()
	b.Cleanup(func() { require.NoError(b, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newExporter(set, cfg, func() time.Time { return baseTime })
	require.NoError(b, err)
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, e.shutdown(context.Background())) })
	body := []byte(`{"client_id":"1234567890.1764300000","timestamp_micros":1795863600000000,"events":[` +
		strings.Repeat(`{"name":"add_to_cart","params":{"currency":"USD","value":25.98,"session_id":"1764327600","engagement_time_msec":1,"items":[{"item_id":"sku-1","item_name":"Mug","price":12.99,"quantity":2}]}},`, 2) +
		`{"name":"view_item","params":{"currency":"USD","value":12.99,"session_id":"1764327600","engagement_time_msec":1}}]}`)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		require.NoError(b, e.post(ctx, body, 3))
	}
	// Wall time per op swings with the shared machine's load; the process's
	// CPU time per op is the figure to compare.
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user + system) the test process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

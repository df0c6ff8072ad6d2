package paymentbi

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

// runResult is what one collector run of processor → connector emitted.
type runResult struct {
	segments []string           // customer.segment the processor set, per record
	metrics  map[string]float64 // the connector's final figures (USD, card, stripe)
}

// runPipeline runs the paymentbi processor and connector of one collector
// on file_storage in dir, both named paymentbi, feeds them the logs and
// shuts down cleanly.
func runPipeline(t *testing.T, dir string, now func() time.Time, batches ...plog.Logs) runResult {
	t.Helper()
	ctx := context.Background()
	ext, h := startFileStorage(t, dir)
	defer func() { _ = ext.Shutdown(ctx) }()

	pf, cf := newFactory(now), newConnectorFactory(now)
	pcfg := pf.CreateDefaultConfig().(*Config)
	pcfg.CustomerState.ExpectedCustomers = 100_000
	pcfg.CustomerState.Storage = &storageID
	ccfg := cf.CreateDefaultConfig().(*ConnectorConfig)
	ccfg.CustomerState.ExpectedCustomers = 100_000
	ccfg.CustomerState.Storage = &storageID
	ccfg.EmitInterval = time.Hour // only the shutdown flush emits

	metricsSink := new(consumertest.MetricsSink)
	cset := connectortest.NewNopSettings(metadata.ConnectorType)
	cset.ID = component.NewID(metadata.ConnectorType) // nop settings name it randomly; a collector's id is stable
	conn, err := cf.CreateLogsToMetrics(ctx, cset, ccfg, metricsSink)
	if err != nil {
		t.Fatal(err)
	}
	logsSink := new(consumertest.LogsSink)
	proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(metadata.ProcessorType), pcfg, logsSink)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []component.Component{conn, proc} {
		if err := c.Start(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	var res runResult
	for _, ld := range batches {
		if err := proc.ConsumeLogs(ctx, ld); err != nil {
			t.Fatal(err)
		}
		out := logsSink.AllLogs()[len(logsSink.AllLogs())-1]
		if err := conn.ConsumeLogs(ctx, out); err != nil {
			t.Fatal(err)
		}
		res.segments = append(res.segments, strAttr(out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes(), contract.CustomerSegment))
	}
	// one regular emission announces new series at 0; the shutdown flush
	// then has every value
	if err := conn.(bizConnector).emit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []component.Component{proc, conn} {
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// the shutdown flush: its points summed per metric
	res.metrics = map[string]float64{}
	if all := metricsSink.AllMetrics(); len(all) > 0 {
		md := all[len(all)-1]
		ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		for i := 0; i < ms.Len(); i++ {
			m := ms.At(i)
			var dps pmetric.NumberDataPointSlice
			if m.Type() == pmetric.MetricTypeSum {
				dps = m.Sum().DataPoints()
			} else if m.Type() == pmetric.MetricTypeGauge {
				dps = m.Gauge().DataPoints()
			} else {
				continue // histograms
			}
			for j := 0; j < dps.Len(); j++ {
				res.metrics[m.Name()] += dps.At(j).DoubleValue() + float64(dps.At(j).IntValue())
			}
		}
	}
	return res
}

// A purchase redelivered after a restart (persistent queues deliver at
// least once) is counted once by the connector and enriched as at its first
// delivery by the processor; the day's revenue continues from the saved
// total; processor and connector keep separate state files on the one
// storage extension.
func TestRedeliveryAfterRestartCountsOnce(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	first := runPipeline(t, dir, clock.now, purchaseLog("o1", "h:c1", "USD", 40))
	if first.metrics["payment.orders"] != 1 || first.metrics["payment.revenue.daily"] != 40 {
		t.Fatalf("first run: %v", first.metrics)
	}

	clock.t = clock.t.Add(time.Hour) // within the default 24h dedup_window
	second := runPipeline(t, dir, clock.now,
		purchaseLog("o1", "h:c1", "USD", 40), // redelivered
		purchaseLog("o2", "h:c1", "USD", 2.5))
	if got := second.metrics["payment.orders"]; got != 2 {
		t.Errorf("orders after restart = %v, want 2: the counter continues, o1 was counted before", got)
	}
	if got := second.metrics["payment.revenue"]; got != 42.5 {
		t.Errorf("revenue after restart = %v, want 42.5: the counter continues", got)
	}
	if got := second.metrics["payment.revenue.daily"]; got != 42.5 {
		t.Errorf("daily revenue = %v, want 42.5: the saved 40 plus o2", got)
	}
	if got := second.metrics["paymentbi.duplicate_events"]; got != 1 {
		t.Errorf("duplicates = %v, want 1", got)
	}
	if len(second.segments) != 2 || second.segments[0] != "new" || second.segments[1] != "returning" {
		t.Errorf("segments after restart = %v, want [new returning]: o1 keeps its first decision", second.segments)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Base(e.Name()))
	}
	sort.Strings(files)
	if len(files) != 2 || files[0] != "connector_paymentbi_" || files[1] != "processor_paymentbi_" {
		t.Errorf("state files %v, want one per component kind", files)
	}
}

// A journal record that does not decode is counted in the component's own
// telemetry at start (and the collector starts).
func TestUndecodableJournalRecordIsCounted(t *testing.T) {
	ctx := context.Background()
	ext, h := startFileStorage(t, t.TempDir())
	defer func() { _ = ext.Shutdown(ctx) }()
	cset := connectortest.NewNopSettings(metadata.ConnectorType)
	cset.ID = component.NewID(metadata.ConnectorType)
	// a torn first record of a collector killed before its first sync
	client, err := ext.(storage.Extension).GetClient(ctx, component.KindConnector, cset.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, "journal/0000000000000001", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(ctx); err != nil {
		t.Fatal(err)
	}

	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(ctx) }()
	cset.TelemetrySettings = tel.NewTelemetrySettings()
	cf := newConnectorFactory(time.Now)
	ccfg := cf.CreateDefaultConfig().(*ConnectorConfig)
	ccfg.CustomerState.ExpectedCustomers = 100_000
	ccfg.CustomerState.Storage = &storageID
	conn, err := cf.CreateLogsToMetrics(ctx, cset, ccfg, new(consumertest.MetricsSink))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Shutdown(ctx) }()
	m, err := tel.GetMetric(metadata.ConnectorJournalRecordsSkipped)
	if err != nil {
		t.Fatal(err)
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || len(sum.DataPoints) != 1 || sum.DataPoints[0].Value != 1 {
		t.Errorf("%s = %+v, want 1", metadata.ConnectorJournalRecordsSkipped, m.Data)
	}
}

package paymentbi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func newClock() *fixedClock { return &fixedClock{t: time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)} }

func purchaseLog(order, customer, currency string, amount float64) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(contract.EventPurchase)
	a := lr.Attributes()
	a.PutStr(contract.OrderID, order)
	a.PutStr(contract.CustomerID, customer)
	a.PutStr(contract.PaymentCurrency, currency)
	a.PutDouble(contract.PaymentAmount, amount)
	a.PutStr(contract.PaymentMethod, "card")
	a.PutStr(contract.PaymentProvider, "stripe")
	return ld
}

// purchaseSpan carries the same purchase as a span event.
func purchaseSpan(order, customer, currency string, amount float64) ptrace.Traces {
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName(contract.SpanCheckoutSessionCreate)
	ev := span.Events().AppendEmpty()
	ev.SetName(contract.EventPurchase)
	purchaseLog(order, customer, currency, amount).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).
		Attributes().CopyTo(ev.Attributes())
	return td
}

func strAttr(m pcommon.Map, k string) string {
	v, _ := m.Get(k)
	return v.AsString()
}

func TestProcessorSignalsShareOneEngine(t *testing.T) {
	ctx := context.Background()
	f := newFactory(newClock().now)
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.ExchangeRates = map[string]string{"JPY": "0.0067"}
	set := processortest.NewNopSettings(metadata.ProcessorType)
	logSink, traceSink := new(consumertest.LogsSink), new(consumertest.TracesSink)
	lp, err := f.CreateLogs(ctx, set, cfg, logSink)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := f.CreateTraces(ctx, set, cfg, traceSink)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []component.Component{lp, tp} {
		if err := c.Start(ctx, storagetest.NewStorageHost()); err != nil {
			t.Fatal(err)
		}
	}
	if !lp.Capabilities().MutatesData {
		t.Error("processor must declare that it mutates data")
	}
	if err := lp.ConsumeLogs(ctx, purchaseLog("o1", "h:c1", "JPY", 1500)); err != nil {
		t.Fatal(err)
	}
	// the same order again as a span event, then a second order of c1
	if err := tp.ConsumeTraces(ctx, purchaseSpan("o1", "h:c1", "JPY", 1500)); err != nil {
		t.Fatal(err)
	}
	if err := tp.ConsumeTraces(ctx, purchaseSpan("o2", "h:c1", "JPY", 300)); err != nil {
		t.Fatal(err)
	}
	lattrs := logSink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	if strAttr(lattrs, contract.PaymentAmountMinor) != "1500" || strAttr(lattrs, contract.PaymentReportingAmountMinor) != "1005" ||
		strAttr(lattrs, contract.CustomerSegment) != "new" {
		t.Errorf("enriched log = %v", lattrs.AsRaw())
	}
	segments := []string{}
	for _, td := range traceSink.AllTraces() {
		ev := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Events().At(0)
		segments = append(segments, strAttr(ev.Attributes(), contract.CustomerSegment))
	}
	if len(segments) != 2 || segments[0] != "new" || segments[1] != "returning" {
		t.Errorf("segments via traces = %v, want [new returning] (duplicate keeps the first decision)", segments)
	}
	for _, c := range []component.Component{lp, tp} {
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConnectorEmitsOnceForBothSignals(t *testing.T) {
	ctx := context.Background()
	f := newConnectorFactory(newClock().now)
	cfg := f.CreateDefaultConfig().(*ConnectorConfig)
	cfg.EmitInterval = time.Hour // only the shutdown flush emits in this test
	set := connectortest.NewNopSettings(metadata.ConnectorType)
	set.Resource.Attributes().PutStr("service.instance.id", "collector-1")
	sink := new(consumertest.MetricsSink)
	lc, err := f.CreateLogsToMetrics(ctx, set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := f.CreateTracesToMetrics(ctx, set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []component.Component{lc, tc} {
		if err := c.Start(ctx, storagetest.NewStorageHost()); err != nil {
			t.Fatal(err)
		}
	}
	if err := lc.ConsumeLogs(ctx, purchaseLog("o1", "h:c1", "USD", 12.5)); err != nil {
		t.Fatal(err)
	}
	if err := tc.ConsumeTraces(ctx, purchaseSpan("o1", "h:c1", "USD", 12.5)); err != nil {
		t.Fatal(err)
	}
	if err := tc.ConsumeTraces(ctx, purchaseSpan("o2", "h:c2", "USD", 7.5)); err != nil {
		t.Fatal(err)
	}
	// a regular emission: the new series are announced at 0 (Prometheus
	// counts increase() only from a series' second sample)
	if err := lc.(bizConnector).emit(ctx); err != nil {
		t.Fatal(err)
	}
	if all := sink.AllMetrics(); len(all) != 1 || sumOf(all[0], "payment.orders") != 0 {
		t.Fatalf("first emission: %d batches, orders %v; want one batch with new series at 0", len(all), sumOf(all[0], "payment.orders"))
	}
	if err := lc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.AllMetrics()); n != 1 {
		t.Fatalf("emitted %d batches before the last user shut down", n-1)
	}
	if err := tc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	all := sink.AllMetrics()
	if len(all) != 2 {
		t.Fatalf("got %d metric batches at shutdown, want 1", len(all)-1)
	}
	rm := all[1].ResourceMetrics().At(0)
	if strAttr(rm.Resource().Attributes(), "service.instance.id") != "collector-1" {
		t.Error("collector resource not on the emitted metrics")
	}
	sm := rm.ScopeMetrics().At(0)
	if sm.Scope().Name() != metadata.ScopeName {
		t.Errorf("scope = %q", sm.Scope().Name())
	}
	var revenue, orders float64
	for i := 0; i < sm.Metrics().Len(); i++ {
		m := sm.Metrics().At(i)
		switch m.Name() {
		case "payment.revenue":
			revenue = m.Sum().DataPoints().At(0).DoubleValue()
			if !m.Sum().IsMonotonic() || m.Sum().AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
				t.Error("revenue must be a cumulative monotonic sum")
			}
		case "payment.orders":
			orders = float64(m.Sum().DataPoints().At(0).IntValue())
		}
	}
	if revenue != 20 || orders != 2 {
		t.Errorf("revenue %v orders %v, want 20 and 2 across both signals, duplicate dropped", revenue, orders)
	}
}

var storageID = component.MustNewIDWithName("file_storage", "paymentbi")

// startFileStorage starts the real file_storage extension on dir, as
// storageID, and a host serving it.
func startFileStorage(t testing.TB, dir string, mutate ...func(*filestorage.Config)) (component.Component, component.Host) {
	t.Helper()
	ctx := context.Background()
	sf := filestorage.NewFactory()
	scfg := sf.CreateDefaultConfig().(*filestorage.Config)
	scfg.Directory = dir
	for _, m := range mutate {
		m(scfg)
	}
	ext, err := sf.Create(ctx, extensiontest.NewNopSettings(sf.Type()), scfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(ctx, storagetest.NewStorageHost()); err != nil {
		t.Fatal(err)
	}
	return ext, storagetest.NewStorageHost().WithExtension(storageID, ext)
}

func TestCustomerStateSurvivesRestartThroughFileStorage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	run := func(order string) string {
		ext, h := startFileStorage(t, dir)
		defer func() { _ = ext.Shutdown(ctx) }()
		f := newFactory(newClock().now)
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.CustomerState.ExpectedCustomers = 100_000
		cfg.CustomerState.Storage = &storageID
		sink := new(consumertest.LogsSink)
		p, err := f.CreateLogs(ctx, processortest.NewNopSettings(metadata.ProcessorType), cfg, sink)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(ctx, h); err != nil {
			t.Fatal(err)
		}
		if err := p.ConsumeLogs(ctx, purchaseLog(order, "h:c1", "USD", 1)); err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		return strAttr(sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes(), contract.CustomerSegment)
	}
	if seg := run("o1"); seg != "new" {
		t.Fatalf("first run: %s", seg)
	}
	if seg := run("o2"); seg != "returning" {
		t.Fatalf("after restart the customer is %s, want returning", seg)
	}
}

func TestMissingStorageExtensionFailsStart(t *testing.T) {
	ctx := context.Background()
	f := newFactory(time.Now)
	cfg := f.CreateDefaultConfig().(*Config)
	missing := component.MustNewID("file_storage")
	cfg.CustomerState.Storage = &missing
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(metadata.ProcessorType), cfg, consumertest.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, storagetest.NewStorageHost()); err == nil {
		t.Fatal("start without the storage extension succeeded")
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// sumOf adds up the int and double points of the named sum in md.
func sumOf(md pmetric.Metrics, name string) float64 {
	var total float64
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := 0; i < ms.Len(); i++ {
		if m := ms.At(i); m.Name() == name && m.Type() == pmetric.MetricTypeSum {
			for j := 0; j < m.Sum().DataPoints().Len(); j++ {
				dp := m.Sum().DataPoints().At(j)
				total += dp.DoubleValue() + float64(dp.IntValue())
			}
		}
	}
	return total
}

// A second collector on the same storage directory fails at start with an
// error that says so, instead of a bare bbolt "timeout".
func TestSharedStorageDirectoryIsRefusedClearly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (component.Component, error) {
		ext, h := startFileStorage(t, dir, func(c *filestorage.Config) { c.Timeout = 100 * time.Millisecond })
		t.Cleanup(func() { _ = ext.Shutdown(ctx) })
		f := newConnectorFactory(newClock().now)
		cfg := f.CreateDefaultConfig().(*ConnectorConfig)
		cfg.CustomerState.ExpectedCustomers = 1000
		cfg.CustomerState.Storage = &storageID
		set := connectortest.NewNopSettings(metadata.ConnectorType)
		set.ID = component.NewID(metadata.ConnectorType)
		c, err := f.CreateLogsToMetrics(ctx, set, cfg, consumertest.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		return c, c.Start(ctx, h)
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = first.Shutdown(ctx) }()
	_, err = start()
	if err == nil || !strings.Contains(err.Error(), "two collectors must not share a storage directory") {
		t.Fatalf("second collector on the same directory: %v", err)
	}
}

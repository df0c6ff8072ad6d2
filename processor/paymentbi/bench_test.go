package paymentbi

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

const benchBatch = 1000

var benchRates = map[string]string{"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067", "KWD": "3.25"}

var benchCurrencies = []string{"USD", "EUR", "GBP", "JPY", "KWD"}

// benchLogs is a batch shaped like shop traffic: funnel events, purchases
// (one in ten records), payment failures and inventory updates, each with
// the attributes an application sends.
func benchLogs() plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < benchBatch; i++ {
		lr := lrs.AppendEmpty()
		a := lr.Attributes()
		cur := benchCurrencies[i%len(benchCurrencies)]
		a.PutStr(contract.CustomerID, "h:"+strconv.Itoa(i%300))
		a.PutStr(contract.CustomerEmail, "h:mail"+strconv.Itoa(i%300))
		a.PutStr(contract.ClientAddress, "203.0.113.0")
		a.PutStr(contract.PaymentCurrency, cur)
		switch i % 10 {
		case 0:
			lr.SetEventName(contract.EventPurchase)
			a.PutStr(contract.OrderID, "ord_"+strconv.Itoa(i))
			a.PutDouble(contract.PaymentAmount, 49.99)
			a.PutStr(contract.PaymentMethod, "card")
			a.PutStr(contract.PaymentProvider, "stripe")
			a.PutDouble(contract.OrderTax, 3.2)
			putBenchItems(a, i)
		case 1:
			lr.SetEventName(contract.EventPaymentFailed)
			a.PutInt(contract.PaymentAmountMinor, 4999)
			a.PutStr(contract.PaymentErrorType, contract.ErrCardDeclined)
		case 2:
			lr.SetEventName(contract.EventInventory)
			a.PutStr(contract.InventoryItemID, "sku_"+strconv.Itoa(i%40))
			a.PutInt(contract.InventoryAvailable, int64(i))
		default:
			lr.SetEventName(contract.FunnelSteps[i%4])
			a.PutStr(contract.PaymentAmount, "19.90")
			if contract.FunnelSteps[i%4] == contract.EventBeginCheckout {
				putBenchItems(a, i)
			}
		}
	}
	return ld
}

// putBenchItems adds the order.items a shop sends with a checkout or
// purchase: two lines, as the simulator does.
func putBenchItems(a pcommon.Map, i int) {
	items := a.PutEmptySlice(contract.OrderItems)
	for j := 0; j < 2; j++ {
		it := items.AppendEmpty().SetEmptyMap()
		it.PutStr(contract.ItemID, "sku_"+strconv.Itoa((i+j)%40))
		it.PutStr(contract.ItemName, "Item "+strconv.Itoa((i+j)%40))
		it.PutStr(contract.ItemCategory, "shoes")
		it.PutDouble(contract.ItemPrice, 9.95)
		it.PutInt(contract.ItemQuantity, int64(1+j))
	}
}

// freshLogs copies the template as received from the network, with fresh
// order ids so every iteration counts its purchases instead of dropping
// them as duplicates (and the processor never sees its own enrichment).
func freshLogs(template plog.Logs, iter int) plog.Logs {
	ld := plog.NewLogs()
	template.CopyTo(ld)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i += 10 {
		lrs.At(i).Attributes().PutStr(contract.OrderID, "ord_"+strconv.Itoa(iter)+"_"+strconv.Itoa(i))
	}
	return ld
}

func freshTraces(template ptrace.Traces) ptrace.Traces {
	td := ptrace.NewTraces()
	template.CopyTo(td)
	return td
}

func benchTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	start := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	for i := 0; i < benchBatch; i++ {
		s := spans.AppendEmpty()
		s.SetName(contract.SpanPaymentCharge)
		s.SetStartTimestamp(pcommonTime(start))
		s.SetEndTimestamp(pcommonTime(start.Add(time.Duration(100+i) * time.Millisecond)))
		a := s.Attributes()
		a.PutStr(contract.PaymentCurrency, benchCurrencies[i%len(benchCurrencies)])
		a.PutInt(contract.PaymentAmountMinor, 4999)
		a.PutStr(contract.PaymentMethod, "card")
		a.PutStr(contract.PaymentProvider, "stripe")
		a.PutStr(contract.OrderID, "ord_"+strconv.Itoa(i))
		a.PutStr(contract.CustomerID, "h:"+strconv.Itoa(i%300))
		if i%12 == 0 {
			a.PutStr(contract.PaymentStatus, contract.StatusFailed)
			a.PutStr(contract.PaymentErrorType, contract.ErrInsufficientFunds)
		} else {
			a.PutStr(contract.PaymentStatus, contract.StatusSucceeded)
		}
	}
	return td
}

func reportPerEvent(b *testing.B, events int) {
	b.ReportMetric(float64(b.N*events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkProcessorLogs(b *testing.B) {
	ctx := context.Background()
	f := newFactory(time.Now)
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.ExchangeRates = benchRates
	p, err := f.CreateLogs(ctx, processortest.NewNopSettings(metadata.ProcessorType), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	template := benchLogs()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ld := freshLogs(template, i)
		b.StartTimer()
		if err := p.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, benchBatch)
}

func BenchmarkProcessorTraces(b *testing.B) {
	ctx := context.Background()
	f := newFactory(time.Now)
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.ExchangeRates = benchRates
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(metadata.ProcessorType), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	template := benchTraces()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		td := freshTraces(template)
		b.StartTimer()
		if err := p.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, benchBatch)
}

func BenchmarkConnectorLogs(b *testing.B) {
	ctx := context.Background()
	f := newConnectorFactory(time.Now)
	cfg := f.CreateDefaultConfig().(*ConnectorConfig)
	cfg.ExchangeRates = benchRates
	c, err := f.CreateLogsToMetrics(ctx, connectortest.NewNopSettings(metadata.ConnectorType), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	template := benchLogs()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ld := freshLogs(template, i)
		b.StartTimer()
		if err := c.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, benchBatch)
}

func BenchmarkConnectorTraces(b *testing.B) {
	ctx := context.Background()
	f := newConnectorFactory(time.Now)
	cfg := f.CreateDefaultConfig().(*ConnectorConfig)
	cfg.ExchangeRates = benchRates
	c, err := f.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(metadata.ConnectorType), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	td := benchTraces()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, benchBatch)
}

// BenchmarkDurability measures what the journal costs per batch of 1,000
// log records through the connector (the processor journals only its
// purchases, a tenth of them): in memory (no storage), journaled on
// file_storage with its default fsync: false (survives kill -9, written
// to the page cache), and with fsync: true (survives power loss). Each
// iteration runs the same batch through all three, so the ratios come
// from alternated rounds of one run; the sync folding the journal into a
// snapshot runs every 200 batches, as a 1m sync_interval at ~3 batches/s.
func BenchmarkDurability(b *testing.B) {
	ctx := context.Background()
	variants := []struct {
		name  string
		fsync *bool
	}{{"memory", nil}, {"journal", new(bool)}, {"journal_fsync", func() *bool { v := true; return &v }()}}
	type running struct {
		c       connector.Logs
		s       *shared
		elapsed time.Duration
		bytes   int
	}
	runs := make([]*running, len(variants))
	for i, v := range variants {
		f := newConnectorFactory(time.Now)
		cfg := f.CreateDefaultConfig().(*ConnectorConfig)
		cfg.ExchangeRates = benchRates
		cfg.CustomerState.ExpectedCustomers = 100_000
		var h component.Host = storagetest.NewStorageHost()
		if v.fsync != nil {
			ext, hh := startFileStorage(b, b.TempDir(), func(c *filestorage.Config) { c.FSync = *v.fsync })
			b.Cleanup(func() { _ = ext.Shutdown(ctx) })
			h = hh
			cfg.CustomerState.Storage = &storageID
		}
		c, err := f.CreateLogsToMetrics(ctx, connectortest.NewNopSettings(metadata.ConnectorType), cfg, consumertest.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(ctx, h); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Shutdown(ctx) })
		runs[i] = &running{c: c, s: c.(bizConnector).shared}
	}
	template := benchLogs()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range runs {
			b.StopTimer()
			ld := freshLogs(template, i)
			b.StartTimer()
			start := time.Now()
			if err := r.c.ConsumeLogs(ctx, ld); err != nil {
				b.Fatal(err)
			}
			if i%200 == 199 && r.s.client != nil {
				if err := r.s.engine.SaveState(ctx, r.s.client); err != nil {
					b.Fatal(err)
				}
			}
			r.elapsed += time.Since(start)
			r.bytes = len(r.s.engine.LastRecordBytes())
		}
	}
	for i, r := range runs {
		b.ReportMetric(float64(r.elapsed.Microseconds())/float64(b.N), variants[i].name+"-µs/batch")
	}
	b.ReportMetric(float64(runs[1].bytes)/benchBatch, "journal-B/event")
}

func pcommonTime(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// BenchmarkGateway runs batches the way config/gateway.yaml does: the
// processor enriches each, then the connector counts it, each journaling
// into its own file_storage (fsync: false, the default) before the batch
// is acknowledged, with the sync that folds the journals into snapshots
// every 200 batches. Batches are of ~2,000 records, the size of the
// gateway's batches on the benchmark load: "synthetic" is benchLogs
// twice; "sim_logs" and "sim_traces" are the simulator's traffic as
// test/perf's load records it (3,000 sessions, seed 10), its log records
// and its spans cut into batches, with order ids made unique per
// iteration so that purchases are not all duplicates after a round.
func BenchmarkGateway(b *testing.B) {
	template := plog.NewLogs()
	lrs := template.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 2 {
		benchLogs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().MoveAndAppendTo(lrs)
	}
	b.Run("synthetic", func(b *testing.B) {
		benchGateway(b, template.LogRecordCount(), func(i int) (plog.Logs, ptrace.Traces) {
			return freshLogs(template, i), ptrace.Traces{}
		})
	})
	simLogs, simTraces := simBatches(b)
	b.Run("sim_logs", func(b *testing.B) {
		benchGateway(b, simLogs[0].LogRecordCount(), func(i int) (plog.Logs, ptrace.Traces) {
			ld := plog.NewLogs()
			simLogs[i%len(simLogs)].CopyTo(ld)
			uniqueOrders(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All(), i)
			return ld, ptrace.Traces{}
		})
	})
	b.Run("sim_traces", func(b *testing.B) {
		benchGateway(b, simTraces[0].SpanCount(), func(i int) (plog.Logs, ptrace.Traces) {
			td := ptrace.NewTraces()
			simTraces[i%len(simTraces)].CopyTo(td)
			uniqueSpanOrders(td, i)
			return plog.Logs{}, td
		})
	})
}

func benchGateway(b *testing.B, perBatch int, next func(i int) (plog.Logs, ptrace.Traces)) {
	ctx := context.Background()
	cf := newConnectorFactory(time.Now)
	ccfg := cf.CreateDefaultConfig().(*ConnectorConfig)
	ccfg.ExchangeRates = benchRates
	ccfg.CustomerState.ExpectedCustomers = 100_000
	ccfg.CustomerState.Storage = &storageID
	pf := &processorFactory{reg: newRegistry(), now: time.Now}
	pcfg := createDefaultConfig().(*Config)
	pcfg.ExchangeRates = benchRates
	pcfg.CustomerState.ExpectedCustomers = 100_000
	pcfg.CustomerState.Storage = &storageID
	pset := processortest.NewNopSettings(metadata.ProcessorType)
	cset := connectortest.NewNopSettings(metadata.ConnectorType)
	ps, err := pf.shared(pset, pcfg)
	if err != nil {
		b.Fatal(err)
	}
	cl, err := cf.CreateLogsToMetrics(ctx, cset, ccfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	ct, err := cf.CreateTracesToMetrics(ctx, cset, ccfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	pl, err := pf.createLogs(ctx, pset, pcfg, cl)
	if err != nil {
		b.Fatal(err)
	}
	pt, err := pf.createTraces(ctx, pset, pcfg, ct)
	if err != nil {
		b.Fatal(err)
	}
	hosts := map[*shared]component.Host{}
	engines := []*shared{cl.(bizConnector).shared, ps.Unwrap()}
	for _, s := range engines {
		ext, h := startFileStorage(b, b.TempDir())
		b.Cleanup(func() { _ = ext.Shutdown(ctx) })
		hosts[s] = h
	}
	for i, comp := range []component.Component{cl, ct, pl, pt} {
		if err := comp.Start(ctx, hosts[engines[i/2]]); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = comp.Shutdown(ctx) })
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ld, td := next(i)
		b.StartTimer()
		if ld != (plog.Logs{}) {
			if err := pl.ConsumeLogs(ctx, ld); err != nil {
				b.Fatal(err)
			}
		}
		if td != (ptrace.Traces{}) {
			if err := pt.ConsumeTraces(ctx, td); err != nil {
				b.Fatal(err)
			}
		}
		if i%200 == 199 {
			for _, s := range engines {
				if err := s.engine.SaveState(ctx, s.client); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	reportPerEvent(b, perBatch)
	b.ReportMetric(float64(len(engines[0].engine.LastRecordBytes())), "journal-B/batch")
}

// simSink keeps the simulator's replayed telemetry.
type simSink struct {
	logs   plog.LogRecordSlice
	traces ptrace.ResourceSpansSlice
}

func (*simSink) Advance(time.Time) {}
func (s *simSink) ConsumeLogs(ld plog.Logs) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().MoveAndAppendTo(s.logs)
		}
	}
}

func (s *simSink) ConsumeTraces(td ptrace.Traces) { td.ResourceSpans().MoveAndAppendTo(s.traces) }

// simBatches replays test/perf's simulator load and cuts it into batches
// of 2,000 log records and of ~2,000 spans (whole resource spans).
func simBatches(b *testing.B) ([]plog.Logs, []ptrace.Traces) {
	sink := &simSink{logs: plog.NewLogRecordSlice(), traces: ptrace.NewResourceSpansSlice()}
	_, err := sim.Replay(context.Background(), sim.Config{
		Seed: 10, Count: 3000, Rate: 50, DuplicateRate: 0.02, SpanEventShare: sim.DefaultSpanEventShare,
		RefundRate: sim.DefaultRefundRate, CardTestingRate: sim.DefaultCardTestingRate,
	}, time.Now().Add(-time.Hour), sink)
	if err != nil {
		b.Fatal(err)
	}
	const size = 2000
	var logs []plog.Logs
	for start := 0; start+size <= sink.logs.Len(); start += size {
		ld := plog.NewLogs()
		dst := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		for k := start; k < start+size; k++ {
			sink.logs.At(k).CopyTo(dst.AppendEmpty())
		}
		logs = append(logs, ld)
	}
	var traces []ptrace.Traces
	td := ptrace.NewTraces()
	for _, rs := range sink.traces.All() {
		rs.CopyTo(td.ResourceSpans().AppendEmpty())
		if td.SpanCount() >= size {
			traces = append(traces, td)
			td = ptrace.NewTraces()
		}
	}
	if len(logs) == 0 || len(traces) == 0 {
		b.Fatalf("simulator load too small: %d log records", sink.logs.Len())
	}
	return logs, traces
}

// uniqueOrders makes the order ids of records unique to iteration i.
func uniqueOrders(all func(func(int, plog.LogRecord) bool), i int) {
	for _, lr := range all {
		suffixOrder(lr.Attributes(), i)
	}
}

func uniqueSpanOrders(td ptrace.Traces, i int) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				suffixOrder(sp.Attributes(), i)
				for _, ev := range sp.Events().All() {
					suffixOrder(ev.Attributes(), i)
				}
			}
		}
	}
}

func suffixOrder(attrs pcommon.Map, i int) {
	if v, ok := attrs.Get(contract.OrderID); ok && v.Type() == pcommon.ValueTypeStr {
		v.SetStr(v.Str() + "#" + strconv.Itoa(i))
	}
}

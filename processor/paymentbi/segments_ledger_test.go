package paymentbi_test

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
)

// simClock is the collector's clock in a replay: the simulator moves it.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *simClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func newSimClock(t time.Time) *simClock { c := &simClock{}; c.set(t); return c }

// otlpSink is a sim.Sink that sends each session's telemetry to a
// collector's OTLP gRPC receiver in one traces and one logs request, with
// the collector's clock at the session's time: the receiver's pipelines
// are synchronous, so when a request returns its events are counted.
type otlpSink struct {
	t      testing.TB
	clock  *simClock
	traces ptraceotlp.GRPCClient
	logs   plogotlp.GRPCClient
	td     ptrace.Traces
	ld     plog.Logs
	// resend, when set, is called after each request, which is then sent
	// once more: a client whose acknowledgement was lost.
	resend func()
}

func newOTLPSink(t testing.TB, addr string, clock *simClock) *otlpSink {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &otlpSink{
		t: t, clock: clock, traces: ptraceotlp.NewGRPCClient(conn), logs: plogotlp.NewGRPCClient(conn),
		td: ptrace.NewTraces(), ld: plog.NewLogs(),
	}
}

func (s *otlpSink) Advance(now time.Time) {
	s.flush()
	s.clock.set(now)
}

func (s *otlpSink) ConsumeTraces(td ptrace.Traces) {
	td.ResourceSpans().MoveAndAppendTo(s.td.ResourceSpans())
}

func (s *otlpSink) ConsumeLogs(ld plog.Logs) { ld.ResourceLogs().MoveAndAppendTo(s.ld.ResourceLogs()) }

func (s *otlpSink) flush() {
	ctx := context.Background()
	if s.td.ResourceSpans().Len() > 0 {
		req := ptraceotlp.NewExportRequestFromTraces(s.td)
		s.send("traces", func() error { _, err := s.traces.Export(ctx, req); return err })
		s.td = ptrace.NewTraces()
	}
	if s.ld.ResourceLogs().Len() > 0 {
		req := plogotlp.NewExportRequestFromLogs(s.ld)
		s.send("logs", func() error { _, err := s.logs.Export(ctx, req); return err })
		s.ld = plog.NewLogs()
	}
}

func (s *otlpSink) send(what string, export func() error) {
	if err := export(); err != nil {
		s.t.Fatalf("sending %s: %v", what, err)
	}
	if s.resend == nil {
		return
	}
	s.resend()
	if err := export(); err != nil {
		s.t.Fatalf("sending %s again: %v", what, err)
	}
}

// TestSegmentsAndGrowthMatchTheLedger replays eight and a half days of
// shop traffic (with channels, countries, duplicates and span events)
// through a whole collector (otlp → paymentbi processor → paymentbi
// connector → capture) on the simulator's clock, and compares the
// exported segments and growth with the simulator's ledger: visits and
// orders exactly, revenue to the cent (each purchase converted to USD as
// paymentbi does), conversion and average order value, revenue so far
// today against the same time yesterday and last week, and the
// hour-of-day pattern.
func TestSegmentsAndGrowthMatchTheLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("replays eight days of traffic through a collector")
	}
	denver, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 7, 8, 0, 0, 0, 0, denver)
	end := time.Date(2026, 7, 16, 14, 0, 0, 0, denver) // on the hour: no pro-rata hour
	clock := newSimClock(start)
	addr := e2e.FreeAddr(t)
	rates := map[string]string{"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067", "KWD": "3.25"}
	bi := `
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: America/Denver
    customer_state:
      expected_customers: 1000000`
	factories := e2e.BaseFactories()
	factories = e2e.WithProcessors(factories, paymentbi.NewFactoryAt(clock.Now))
	factories = e2e.WithConnectors(factories, paymentbi.NewConnectorFactoryAt(clock.Now))
	col := e2e.Start(t, factories, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+addr+`
processors:
  paymentbi:`+bi+`
connectors:
  paymentbi:`+bi+`
    emit_interval: 50ms
exporters:
  capture/paymentbi-segments: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    logs:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    metrics:
      receivers: [paymentbi]
      exporters: [capture/paymentbi-segments]
`)
	sink := newOTLPSink(t, addr, clock)
	span := end.Sub(start) - 5*time.Minute
	ledger, err := sim.Replay(context.Background(), sim.Config{
		Seed: 11, Duration: span, Rate: 3000 / span.Seconds(),
		Currencies: []string{"USD", "EUR", "GBP", "JPY", "KWD"}, Channels: []string{"newsletter", "google"},
		Countries: []string{"US", "DE", "BR", "JP"}, DuplicateRate: 0.05, SpanEventShare: 0.2,
	}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	sink.flush()
	clock.set(end)
	capture := e2e.Sinks("paymentbi-segments")
	emitted := len(capture.Metrics.AllMetrics())
	capture.WaitFor(t, 30*time.Second, "two emissions at the end time", func(c *e2e.Capture) bool {
		return len(c.Metrics.AllMetrics()) >= emitted+2
	})
	if err := col.Shutdown(); err != nil {
		t.Fatal(err)
	}
	all := capture.Metrics.AllMetrics()
	got := index(all[len(all)-1])
	if len(ledger.Purchases) < 500 || ledger.DuplicatesSent == 0 {
		t.Fatalf("simulation too small: %d purchases, %d duplicates", len(ledger.Purchases), ledger.DuplicatesSent)
	}

	conv, err := engine.NewConverter("USD", rates)
	if err != nil {
		t.Fatal(err)
	}
	usd := func(minor int64, cur string) int64 {
		v, err := conv.Convert(contract.Money{Minor: minor, Currency: cur})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// revenue per segment in USD cents, purchase by purchase (category:
	// line by line)
	revenue := map[[2]string]int64{}
	for _, p := range ledger.Purchases {
		for dim, value := range p.Segments {
			revenue[[2]string{dim, value}] += usd(p.TotalMinor, p.Currency)
		}
		for _, l := range p.Lines {
			revenue[[2]string{sim.DimensionCategory, l.Category}] += usd(l.Minor, p.Currency)
		}
	}
	checked := map[string]int{}
	for dim, byValue := range ledger.Segments {
		for value, want := range byValue {
			seg := []string{engine.AttrSegmentDimension, dim, engine.AttrSegmentValue, value}
			if have := got.count(contract.MetricSegmentVisits, seg...); have != want.Visits {
				t.Errorf("%s=%s visits %d, ledger %d", dim, value, have, want.Visits)
			}
			if have := got.count(contract.MetricSegmentOrders, seg...); have != want.Orders {
				t.Errorf("%s=%s orders %d, ledger %d", dim, value, have, want.Orders)
			}
			wantRevenue := revenue[[2]string{dim, value}]
			if have := got.minor(t, contract.MetricSegmentRevenue, "USD", seg...); have != wantRevenue {
				t.Errorf("%s=%s revenue %s, ledger %s", dim, value, contract.FormatMinor(have, "USD"), contract.FormatMinor(wantRevenue, "USD"))
			}
			if want.Visits > 0 {
				checkRatio(t, got, contract.MetricSegmentConversion, float64(want.Orders)/float64(want.Visits), seg)
			}
			if want.Orders > 0 {
				checkRatio(t, got, contract.MetricSegmentOrderValue, float64(wantRevenue)/100/float64(want.Orders), seg)
			}
			checked[dim]++
		}
	}
	for dim, n := range map[string]int{sim.DimensionCustomer: 2, sim.DimensionChannel: 3, sim.DimensionCurrency: 5, sim.DimensionCountry: 4, sim.DimensionCategory: 5} {
		if checked[dim] < n {
			t.Errorf("%d %s segments in the ledger, want at least %d", checked[dim], dim, n)
		}
	}
	if n, want := len(got.points(contract.MetricSegmentVisits)), len(ledger.Segments[sim.DimensionCategory])+2+3+5+4; n != want {
		t.Errorf("%d visit segments exported, the ledger has %d", n, want)
	}

	// growth: USD per clock hour from the ledger
	hourly := map[int64]int64{}
	for _, p := range ledger.Purchases {
		hourly[p.At.Unix()/3600] += usd(p.TotalMinor, p.Currency)
	}
	cur, dayStart := end.Unix()/3600, time.Date(2026, 7, 16, 0, 0, 0, 0, denver).Unix()/3600
	sameTime := func(lag int64) int64 {
		var sum int64
		for h := dayStart; h < cur; h++ {
			sum += hourly[h-lag]
		}
		return sum
	}
	today := sameTime(0)
	for period, lag := range map[string]int64{"yesterday": 24, "last_week": 7 * 24} {
		base := sameTime(lag)
		if have := got.minor(t, contract.MetricRevenueSameTime, "USD", contract.MetricLabelPeriod, period); have != base {
			t.Errorf("revenue until 14:00 %s %s, ledger %s", period, contract.FormatMinor(have, "USD"), contract.FormatMinor(base, "USD"))
		}
		checkRatio(t, got, contract.MetricRevenueGrowth, float64(today)/float64(base)-1, []string{contract.MetricLabelPeriod, period})
		t.Logf("today until 14:00 %s USD, %s %s USD", contract.FormatMinor(today, "USD"), period, contract.FormatMinor(base, "USD"))
	}
	// hour of day: the mean of the last 7 days' same hour (each hour of
	// the day seen exactly 7 times in the 168 hours before this one)
	for back := int64(1); back <= 24; back++ {
		h := cur - back
		var sum int64
		for d := int64(0); d < 7; d++ {
			sum += hourly[h-24*d]
		}
		hod := fmt.Sprintf("%02d", time.Unix(h*3600, 0).In(denver).Hour())
		want := float64(sum) / 7 / 100
		pts := got.matching(contract.MetricRevenueHourOfDay, contract.MetricLabelHour, hod)
		if len(pts) != 1 {
			t.Errorf("hour %s: %d points", hod, len(pts))
		} else if have := pts[0].DoubleValue(); math.Abs(have-want) > 0.01 {
			t.Errorf("hour %s: mean %.2f USD, ledger %.4f", hod, have, want)
		}
	}
}

// checkRatio compares the one gauge point of name with attrs to want.
func checkRatio(t *testing.T, got exported, name string, want float64, attrs []string) {
	t.Helper()
	pts := got.matching(name, attrs...)
	if len(pts) != 1 {
		t.Errorf("%s%v: %d points", name, attrs, len(pts))
		return
	}
	if have := pts[0].DoubleValue(); math.Abs(have-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s%v = %v, ledger %v", name, attrs, have, want)
	}
}

package perf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// loadSessions is the size of the recorded simulator load: about 7.7 spans
// and 2.9 log records per session, so one replay pass is ~23k spans and
// ~9k log records — a few seconds of work on the 2-core machine.
const loadSessions = 3000

// load is simulator traffic recorded once as the OTLP requests the SDK sent,
// replayed by every benchmark so all pipelines see identical client work.
type load struct {
	traces  []ptraceotlp.ExportRequest
	logs    []plogotlp.ExportRequest
	metrics []pmetricotlp.ExportRequest
	spans   int
	records int
	// orderIDs points at every order.id value in the requests, so a pass can
	// make its orders unique (see setPass).
	orderIDs []orderRef
}

type orderRef struct {
	attr pcommon.Value
	base string
}

var (
	recordOnce sync.Once
	recorded   *load
	recordErr  error
)

// recordedLoad runs the simulator once per process against a collector
// that only captures, and keeps what arrived, request by request.
func recordedLoad(b *testing.B) *load {
	b.Helper()
	recordOnce.Do(func() { recorded, recordErr = record(b) })
	if recordErr != nil {
		b.Fatal(recordErr)
	}
	return recorded
}

func record(b *testing.B) (*load, error) {
	addr := e2e.FreeAddr(b)
	const sink = "perf-load"
	// No batch processor: each capture entry is one SDK export request.
	col := e2e.Start(b, e2e.BaseFactories(), `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+addr+`
exporters:
  capture/`+sink+`: {}
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [capture/`+sink+`]}
    logs: {receivers: [otlp], exporters: [capture/`+sink+`]}
    metrics: {receivers: [otlp], exporters: [capture/`+sink+`]}
`)
	ledger, err := sim.Run(context.Background(), sim.Config{
		Endpoint: addr, Insecure: true, Seed: 10, Count: loadSessions,
		DuplicateRate: 0.02, SpanEventShare: sim.DefaultSpanEventShare, RefundRate: sim.DefaultRefundRate,
		CardTestingRate: sim.DefaultCardTestingRate, MetricInterval: time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("recording simulator load: %w", err)
	}
	if err := col.Shutdown(); err != nil {
		return nil, err
	}
	c := e2e.Sinks(sink)
	l := &load{}
	for _, td := range c.Traces.AllTraces() {
		cp := ptrace.NewTraces()
		td.CopyTo(cp)
		l.traces = append(l.traces, ptraceotlp.NewExportRequestFromTraces(cp))
		l.spans += cp.SpanCount()
	}
	for _, ld := range c.Logs.AllLogs() {
		cp := plog.NewLogs()
		ld.CopyTo(cp)
		l.logs = append(l.logs, plogotlp.NewExportRequestFromLogs(cp))
		l.records += cp.LogRecordCount()
	}
	for _, md := range c.Metrics.AllMetrics() {
		cp := pmetric.NewMetrics()
		md.CopyTo(cp)
		l.metrics = append(l.metrics, pmetricotlp.NewExportRequestFromMetrics(cp))
	}
	c.Traces.Reset()
	c.Logs.Reset()
	c.Metrics.Reset()
	if int64(l.spans) != ledger.Spans || int64(l.records) != ledger.LogRecords {
		return nil, fmt.Errorf("recorded %d spans / %d log records, simulator sent %d / %d", l.spans, l.records, ledger.Spans, ledger.LogRecords)
	}
	l.indexOrderIDs()
	return l, nil
}

func (l *load) indexOrderIDs() {
	add := func(attrs pcommon.Map) {
		if v, ok := attrs.Get(contract.OrderID); ok && v.Type() == pcommon.ValueTypeStr {
			l.orderIDs = append(l.orderIDs, orderRef{attr: v, base: v.Str()})
		}
	}
	for _, r := range l.traces {
		rss := r.Traces().ResourceSpans()
		for i := range rss.Len() {
			sss := rss.At(i).ScopeSpans()
			for j := range sss.Len() {
				spans := sss.At(j).Spans()
				for k := range spans.Len() {
					s := spans.At(k)
					add(s.Attributes())
					for e := range s.Events().Len() {
						add(s.Events().At(e).Attributes())
					}
				}
			}
		}
	}
	for _, r := range l.logs {
		rls := r.Logs().ResourceLogs()
		for i := range rls.Len() {
			sls := rls.At(i).ScopeLogs()
			for j := range sls.Len() {
				lrs := sls.At(j).LogRecords()
				for k := range lrs.Len() {
					add(lrs.At(k).Attributes())
				}
			}
		}
	}
}

// setPass gives the orders of replay pass n their own ids, so paymentbi's
// and GA4's de-duplication see new purchases on every pass as they would in
// production, instead of dropping the replays. Call it only while no
// request is being sent.
func (l *load) setPass(n int) {
	for _, o := range l.orderIDs {
		if n == 0 {
			o.attr.SetStr(o.base)
		} else {
			o.attr.SetStr(o.base + "-p" + fmt.Sprint(n))
		}
	}
}

// client replays the recorded requests over OTLP gRPC.
type client struct {
	conn    *grpc.ClientConn
	traces  ptraceotlp.GRPCClient
	logs    plogotlp.GRPCClient
	metrics pmetricotlp.GRPCClient
}

func newClient(b *testing.B, addr string) *client {
	b.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &client{conn: conn, traces: ptraceotlp.NewGRPCClient(conn), logs: plogotlp.NewGRPCClient(conn), metrics: pmetricotlp.NewGRPCClient(conn)}
}

// pacer spaces sends so a signal flows at about perSecond items; zero means
// as fast as the collector accepts.
type pacer struct {
	perSecond float64
	start     time.Time
	sent      int
}

func (p *pacer) wait(ctx context.Context, items int) error {
	if p.perSecond <= 0 {
		return nil
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	p.sent += items
	due := p.start.Add(time.Duration(float64(p.sent) / p.perSecond * float64(time.Second)))
	t := time.NewTimer(time.Until(due))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// replay sends every recorded request once, traces and logs concurrently as
// the SDK does, and returns the first export error. spansPerSecond > 0
// paces the traffic (logs in proportion); 0 sends as fast as accepted.
// Cancelling ctx stops it between requests: a request in flight completes,
// so stopping the load never fails an export half-way.
func (c *client) replay(ctx context.Context, l *load, spansPerSecond float64) error {
	sendCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	logRate := 0.0
	if spansPerSecond > 0 {
		logRate = spansPerSecond * float64(l.records) / float64(l.spans)
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		p := pacer{perSecond: spansPerSecond}
		for _, r := range l.traces {
			if _, err := c.traces.Export(sendCtx, r); err != nil {
				errs[0] = fmt.Errorf("traces export: %w", err)
				return
			}
			if p.wait(ctx, r.Traces().SpanCount()) != nil {
				return // stopped
			}
		}
	}()
	go func() {
		defer wg.Done()
		p := pacer{perSecond: logRate}
		for _, r := range l.logs {
			if _, err := c.logs.Export(sendCtx, r); err != nil {
				errs[1] = fmt.Errorf("logs export: %w", err)
				return
			}
			if p.wait(ctx, r.Logs().LogRecordCount()) != nil {
				return // stopped
			}
		}
	}()
	go func() {
		defer wg.Done()
		for _, r := range l.metrics {
			if _, err := c.metrics.Export(sendCtx, r); err != nil {
				errs[2] = fmt.Errorf("metrics export: %w", err)
				return
			}
		}
	}()
	wg.Wait()
	return errors.Join(errs...)
}

package otlpsplitexporter

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// gateway is an OTLP/gRPC logs server that refuses, with code, any request
// holding a record with the attribute "poison", and keeps the order ids
// of the requests it accepts.
type gateway struct {
	plogotlp.UnimplementedGRPCServer
	code codes.Code

	mu       sync.Mutex
	requests int
	orders   []string
	// accepted and bytes: the requests accepted and their protobuf size.
	accepted, bytes int
}

func (g *gateway) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests++
	var ids []string
	for _, rl := range req.Logs().ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if _, ok := lr.Attributes().Get("poison"); ok {
					return plogotlp.NewExportResponse(), status.Error(g.code, "refused")
				}
				id, _ := lr.Attributes().Get("order.id")
				ids = append(ids, id.Str())
			}
		}
	}
	g.orders = append(g.orders, ids...)
	body, err := req.MarshalProto()
	if err != nil {
		return plogotlp.NewExportResponse(), err
	}
	g.accepted++
	g.bytes += len(body)
	return plogotlp.NewExportResponse(), nil
}

func (g *gateway) delivered() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.orders...)
}

func startGateway(t *testing.T, g *gateway, opts ...grpc.ServerOption) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	plogotlp.RegisterGRPCServer(srv, g)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

type harness struct {
	exp  exporter.Logs
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

// newExporter is otlp_split pointed at endpoint, without a queue (so a
// send's outcome comes back to the test) and without retries.
func newExporter(t *testing.T, endpoint string) *harness {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.ClientConfig.TLS = configtls.ClientConfig{Insecure: true}
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{tel: componenttest.NewTelemetry()}
	core, logs := observer.New(zap.WarnLevel)
	h.logs = logs
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exp.Shutdown(context.Background())
		_ = h.tel.Shutdown(context.Background())
	})
	h.exp = exp
	return h
}

func (h *harness) dropped(t *testing.T) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(metadata.DroppedMetric)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

// purchases is one batch of n records with order ids, in two resources, the
// records at the given positions poisoned, each record padded with pad bytes.
func purchases(n, pad int, poisoned ...int) plog.Logs {
	ld := plog.NewLogs()
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", []string{"checkout", "payments"}[r])
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := r * n / 2; i < (r+1)*n/2; i++ {
			lr := lrs.AppendEmpty()
			lr.SetEventName("ecommerce.purchase")
			lr.Attributes().PutStr("order.id", "ord-"+string(rune('A'+i/26))+string(rune('a'+i%26)))
			if pad > 0 {
				lr.Body().SetStr(strings.Repeat("x", pad))
			}
			for _, p := range poisoned {
				if p == i {
					lr.Attributes().PutStr("poison", "yes")
				}
			}
		}
	}
	return ld
}

func orderIDs(ld plog.Logs, skipPoison bool) []string {
	var ids []string
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if _, ok := lr.Attributes().Get("poison"); ok && skipPoison {
					continue
				}
				id, _ := lr.Attributes().Get("order.id")
				ids = append(ids, id.Str())
			}
		}
	}
	return ids
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}

// The gateway refuses the batch because of two records: every other record
// is delivered once, the two are dropped, counted and logged once.
func TestPoisonRecordsAloneAreDropped(t *testing.T) {
	for _, code := range []codes.Code{codes.InvalidArgument, codes.Internal} {
		t.Run(code.String(), func(t *testing.T) {
			g := &gateway{code: code}
			h := newExporter(t, startGateway(t, g))
			ld := purchases(100, 0, 17, 80)
			if err := h.exp.ConsumeLogs(context.Background(), ld); err != nil {
				t.Fatalf("a batch with poison records: %v, want the rest delivered", err)
			}
			if got, want := g.delivered(), orderIDs(ld, true); !sameSet(got, want) {
				t.Errorf("delivered %d records, want the %d good ones exactly once", len(got), len(want))
			}
			if n := h.dropped(t); n != 2 {
				t.Errorf("dropped %d, want 2", n)
			}
			if g.requests > maxSends {
				t.Errorf("%d requests for 2 poison records in 100", g.requests)
			}
			if h.logs.Len() != 1 || h.logs.All()[0].ContextMap()["logs"] != int64(2) || h.logs.All()[0].ContextMap()["code"] != code.String() {
				t.Errorf("want one warning naming 2 logs and the code: %v", h.logs.All())
			}
		})
	}
}

// The spend meter counts what the next hop accepted: the delivered records
// and the protobuf size of the requests it accepted; refused attempts
// (the halves holding a poison record) count as failed requests.
func TestSpendCountsWhatTheNextHopAccepted(t *testing.T) {
	g := &gateway{code: codes.InvalidArgument}
	endpoint := startGateway(t, g)
	h := newExporter(t, endpoint)
	if err := h.exp.ConsumeLogs(context.Background(), purchases(100, 10, 17, 80)); err != nil {
		t.Fatal(err)
	}
	var d *spend.Destination
	for _, x := range spend.Default.Snapshot().Destinations {
		if x.Host == endpoint {
			d = &x
		}
	}
	if d == nil {
		t.Fatalf("no spend destination for %s", endpoint)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !strings.HasPrefix(d.Exporter, "otlp_split") || d.Kind != "otlp_grpc" || !slices.Equal(d.Signals, []string{"logs"}) {
		t.Errorf("destination %+v", d)
	}
	if d.Events != int64(len(g.orders)) || d.Events != 98 {
		t.Errorf("spend counts %d events, the next hop accepted %d", d.Events, len(g.orders))
	}
	if d.Bytes != int64(g.bytes) || d.Requests != int64(g.accepted) || d.BytesLastHour != d.Bytes {
		t.Errorf("spend counts %d bytes in %d requests, the next hop accepted %d in %d", d.Bytes, d.Requests, g.bytes, g.accepted)
	}
	if d.FailedRequests != int64(g.requests-g.accepted) || d.FailedRequests == 0 {
		t.Errorf("spend counts %d failed requests, the next hop refused %d", d.FailedRequests, g.requests-g.accepted)
	}
}

// A batch over the gateway's message size limit arrives whole in smaller
// requests; a single record over it is dropped alone.
func TestOversizedBatchArrivesInParts(t *testing.T) {
	g := &gateway{code: codes.InvalidArgument}
	h := newExporter(t, startGateway(t, g, grpc.MaxRecvMsgSize(1<<20)))
	ld := purchases(40, 100<<10) // 4 MB in 100 KB records
	big := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	big.Attributes().PutStr("order.id", "too-big")
	big.Body().SetStr(strings.Repeat("y", 2<<20))
	if err := h.exp.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	want := orderIDs(ld, false)
	for i, id := range want {
		if id == "too-big" {
			want = append(want[:i], want[i+1:]...)
			break
		}
	}
	if got := g.delivered(); !sameSet(got, want) {
		t.Errorf("delivered %d records, want the %d under the size limit", len(got), len(want))
	}
	if n := h.dropped(t); n != 1 {
		t.Errorf("dropped %d, want the one record over the limit", n)
	}
}

// A refusal every record causes (here: authentication) is not split: one
// attempt, the otlp exporter's permanent error.
func TestBatchWideRefusalIsNotSplit(t *testing.T) {
	g := &gateway{code: codes.Unauthenticated}
	h := newExporter(t, startGateway(t, g))
	err := h.exp.ConsumeLogs(context.Background(), purchases(100, 0, 0))
	if !consumererror.IsPermanent(err) || status.Code(err) != codes.Unauthenticated {
		t.Errorf("error %v, want the permanent Unauthenticated", err)
	}
	if g.requests != 1 {
		t.Errorf("%d requests, want 1", g.requests)
	}
}

// A retryable error half-way through a split returns exactly what is left
// to send: the retry never sends a delivered half again.
func TestRetryAfterSplitResendsOnlyTheRest(t *testing.T) {
	s, err := newSplitter(exportertest.NewNopSettings(metadata.Type), spend.Logs)
	if err != nil {
		t.Fatal(err)
	}
	var delivered []string
	calls := 0
	send := func(_ context.Context, ld plog.Logs) error {
		calls++
		for _, rl := range ld.ResourceLogs().All() {
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				if _, ok := lr.Attributes().Get("poison"); ok {
					return consumererror.NewPermanent(status.Error(codes.InvalidArgument, "refused"))
				}
			}
		}
		if calls == 8 { // the gateway goes away after some halves arrived
			return status.Error(codes.Unavailable, "gone")
		}
		delivered = append(delivered, orderIDs(ld, false)...)
		return nil
	}
	ld := purchases(16, 0, 2)
	err = s.pushLogs(send)(context.Background(), ld)
	var rest consumererror.Logs
	if !errors.As(err, &rest) || consumererror.IsPermanent(err) {
		t.Fatalf("error %v, want a retryable error with the rest", err)
	}
	left := orderIDs(rest.Data(), false)
	if all := append(append([]string(nil), delivered...), left...); !sameSet(all, orderIDs(ld, true)) {
		t.Errorf("delivered %v and left %v: together they must be the good records, each once", delivered, left)
	}
	if len(delivered) == 0 || len(left) == 0 {
		t.Errorf("delivered %d, left %d: the test must stop the split half-way", len(delivered), len(left))
	}
}

// Halving keeps every item once, under its own resource and scope.
func TestHalving(t *testing.T) {
	ld := purchases(7, 0)
	a, b := halveLogs(ld)
	if a.LogRecordCount() != 3 || b.LogRecordCount() != 4 || !sameSet(append(orderIDs(a, false), orderIDs(b, false)...), orderIDs(ld, false)) {
		t.Errorf("logs halves: %d + %d", a.LogRecordCount(), b.LogRecordCount())
	}
	if svc, _ := b.ResourceLogs().At(b.ResourceLogs().Len() - 1).Resource().Attributes().Get("service.name"); svc.Str() != "payments" {
		t.Errorf("the second half's last resource is %q", svc.Str())
	}

	td := ptrace.NewTraces()
	for r := range 3 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutInt("r", int64(r))
		for range 3 {
			rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("s")
		}
	}
	ta, tb := halveTraces(td)
	if ta.SpanCount() != 4 || tb.SpanCount() != 5 || ta.ResourceSpans().Len() != 2 || tb.ResourceSpans().Len() != 2 {
		t.Errorf("traces halves: %d spans in %d resources + %d in %d", ta.SpanCount(), ta.ResourceSpans().Len(), tb.SpanCount(), tb.ResourceSpans().Len())
	}

	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for range 5 {
		dps := ms.AppendEmpty().SetEmptyGauge().DataPoints()
		dps.AppendEmpty()
		dps.AppendEmpty()
	}
	ma, mb := halveMetrics(md)
	if ma.MetricCount() != 2 || mb.MetricCount() != 3 || ma.DataPointCount()+mb.DataPointCount() != 10 {
		t.Errorf("metrics halves: %d + %d metrics", ma.MetricCount(), mb.MetricCount())
	}
}

func TestEndpointHostHasNoPath(t *testing.T) {
	for in, want := range map[string]string{
		"tempo:4317": "tempo:4317", "dns:///tempo.svc:4317": "tempo.svc:4317",
		"https://otlp.vendor.example:443": "otlp.vendor.example:443", "https://otlp.vendor.example/v1/x": "otlp.vendor.example",
	} {
		if got := endpointHost(in); got != want {
			t.Errorf("endpointHost(%q) = %q, want %q", in, got, want)
		}
	}
}

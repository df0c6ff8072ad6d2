package meteredotlpreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

func TestIsTheOTLPReceiver(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "otlp", f.Type().String())
	assert.IsType(t, &otlpreceiver.Config{}, f.CreateDefaultConfig())
}

// What the pipelines accepted counts, per signal, in items; a refused
// batch does not.
func TestCountsWhatThePipelinesAccepted(t *testing.T) {
	reg := spend.NewRegistry(time.Now)
	f := newFactory(reg)
	cfg := f.CreateDefaultConfig()
	addr := e2e.FreeAddr(t)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"protocols": map[string]any{"grpc": map[string]any{"endpoint": addr}},
	}).Unmarshal(cfg))
	set := receivertest.NewNopSettings(f.Type())
	traces, logs := new(consumertest.TracesSink), new(consumertest.LogsSink)
	tr, err := f.CreateTraces(context.Background(), set, cfg, traces)
	require.NoError(t, err)
	lr, err := f.CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewErr(errors.New("memory limit")))
	require.NoError(t, err)
	for _, r := range []interface {
		Start(context.Context, component.Host) error
		Shutdown(context.Context) error
	}{tr, lr, mr} {
		require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	ctx := context.Background()
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for range 7 {
		ss.AppendEmpty().SetName("payment.charge")
	}
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	require.NoError(t, err)
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 3 {
		lrs.AppendEmpty().Body().SetStr("ecommerce.purchase")
	}
	for range 2 {
		_, err = plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
		require.NoError(t, err)
	}
	md := pmetric.NewMetrics()
	md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	_, err = pmetricotlp.NewGRPCClient(conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
	require.Error(t, err, "the pipeline refused it")

	assert.Equal(t, 7, traces.SpanCount())
	got := map[string][2]int64{}
	for _, r := range reg.Snapshot().Received {
		got[r.Signal] = [2]int64{r.Batches, r.Items}
	}
	assert.Equal(t, map[string][2]int64{"traces": {1, 7}, "logs": {2, 6}, "metrics": {0, 0}}, got)
}

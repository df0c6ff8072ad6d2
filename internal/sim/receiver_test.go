package sim

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// sinks hold everything an in-process OTLP receiver got.
type sinks struct {
	traces  consumertest.TracesSink
	logs    consumertest.LogsSink
	metrics consumertest.MetricsSink
	// firstSpans is closed when the first spans arrive.
	firstSpans chan struct{}
	once       sync.Once
}

// startReceiver starts the collector's own OTLP gRPC receiver on a free
// local port and returns its endpoint; it is shut down when the test ends.
func startReceiver(t testing.TB) (string, *sinks) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := l.Addr().String()
	require.NoError(t, l.Close())

	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	grpcCfg := cfg.Protocols.GRPC.GetOrInsertDefault()
	grpcCfg.NetAddr.Endpoint = endpoint
	cfg.Protocols.GRPC = configoptional.Some(*grpcCfg)
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()

	s := &sinks{firstSpans: make(chan struct{})}
	set := receivertest.NewNopSettings(f.Type())
	ctx := context.Background()
	traces, err := consumer.NewTraces(func(ctx context.Context, td ptrace.Traces) error {
		s.once.Do(func() { close(s.firstSpans) })
		return s.traces.ConsumeTraces(ctx, td)
	})
	require.NoError(t, err)
	tr, err := f.CreateTraces(ctx, set, cfg, traces)
	require.NoError(t, err)
	lr, err := f.CreateLogs(ctx, set, cfg, &s.logs)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(ctx, set, cfg, &s.metrics)
	require.NoError(t, err)
	// The three share one receiver; starting each is what the collector does.
	require.NoError(t, tr.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, lr.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, mr.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, tr.Shutdown(ctx))
		require.NoError(t, lr.Shutdown(ctx))
		require.NoError(t, mr.Shutdown(ctx))
	})
	return endpoint, s
}

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The harness itself: a log sent over OTLP gRPC reaches the capture exporter
// through a real pipeline, and Shutdown returns cleanly.
func TestHarnessDeliversThroughRealPipeline(t *testing.T) {
	addr := FreeAddr(t)
	c := Start(t, BaseFactories(), `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+addr+`
processors:
  batch:
    timeout: 10ms
exporters:
  capture/harness: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [capture/harness]
`)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("hello")
	_, err = plogotlp.NewGRPCClient(conn).Export(context.Background(), plogotlp.NewExportRequestFromLogs(ld))
	require.NoError(t, err)

	sink := Sinks("harness")
	sink.WaitFor(t, 10*time.Second, "one log record", func(c *Capture) bool { return c.LogRecordCount() == 1 })
	got := sink.Logs.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str()
	require.Equal(t, "hello", got)
	require.NoError(t, c.Shutdown())
}

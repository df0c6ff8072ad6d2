package alertexporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// Each notification a channel's destination accepted counts in the spend
// figures under the channel's kind and host, with its body bytes.
func TestChannelDeliveriesCountInSpend(t *testing.T) {
	ops := channeltest.NewServer(t, channeltest.Response{Status: 200})
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	ext := e2e.StartFileStorage(t, t.TempDir())
	defer func() { assert.NoError(t, ext.Shutdown(context.Background())) }()
	r := startExporter(t, testConfig(ops.URL+"/hooks/s3cret-token", oncall.URL), clock.NewFake(t0), ext)
	require.NoError(t, r.e.push(context.Background(), alertLogs(critical())))
	r.at(30 * time.Second)
	require.NoError(t, r.e.shutdown(context.Background()))

	reqs := ops.Requests()
	require.Len(t, reqs, 1)
	host := strings.TrimPrefix(ops.URL, "http://")
	var got *spend.Destination
	for _, d := range spend.Default.Snapshot().Destinations {
		if d.Host == host {
			got = &d
		}
	}
	require.NotNil(t, got, "no spend destination for the ops webhook")
	assert.Equal(t, "alert/payments", got.Exporter)
	assert.Equal(t, "webhook", got.Kind)
	assert.Equal(t, int64(1), got.Events)
	assert.Equal(t, int64(len(reqs[0].Body)), got.Bytes)
	assert.Nil(t, got.ShareOfReceived, "notifications are not fed from received telemetry")
}

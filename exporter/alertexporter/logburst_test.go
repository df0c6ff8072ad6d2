package alertexporter

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// syncBuffer is a WriteSyncer safe for the channel worker and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) Sync() error { return nil }
func (b *syncBuffer) lines() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		n++
	}
	return n
}

// A burst of notifications through the log channel while the collector's
// logger samples (as its default config does): every notification is a
// line, and the sent counter equals the lines written.
func TestLogChannelBurstLinesEqualSentCounter(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var collectorLog syncBuffer
	sampled := zap.New(zapcore.NewSamplerWithOptions(
		zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), &collectorLog, zapcore.InfoLevel),
		time.Second, 10, 100))

	cfg := logOnlyConfig()
	wait := time.Duration(0)
	cfg.Route.GroupWait = &wait
	cfg.Route.GroupBy = []string{contract.AlertName}
	cfg.TickInterval = time.Hour // ticked by hand
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = sampled
	clk := clock.NewFake(t0)
	e, err := newAlertExporter(cfg, set, clk)
	require.NoError(t, err)
	var out syncBuffer
	e.logOutput = &out
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))

	const burst = 300
	var alerts []contract.Alert
	for i := range burst {
		a := critical()
		a.Name = fmt.Sprintf("Alert%03d", i)
		alerts = append(alerts, a)
	}
	require.NoError(t, e.push(context.Background(), alertLogs(alerts...)))
	e.tick()
	require.NoError(t, e.shutdown(context.Background())) // drains the channel

	assert.Equal(t, burst, out.lines(), "every notification written")
	m, err := tel.GetMetric("otelcol_exporter_alert_notifications")
	require.NoError(t, err)
	var sent int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value(attribute.Key("outcome")); v.AsString() == "sent" {
			sent += dp.Value
		}
	}
	assert.Equal(t, int64(out.lines()), sent, "sent counter equals lines written")
}

package logchannel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
)

func TestLogChannel(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	n, err := New(&Config{Level: "warn"}, zap.New(core))
	require.NoError(t, err)
	note := channeltest.Notification()
	require.NoError(t, n.Notify(context.Background(), note))
	entries := logs.All()
	require.Len(t, entries, 2, "one line per alert")
	assert.Equal(t, zapcore.WarnLevel, entries[0].Level)
	f := entries[0].ContextMap()
	assert.Equal(t, "PaymentErrorRate", f["alert_name"])
	assert.Equal(t, "firing", f["status"])
	assert.Equal(t, "critical", f["severity"])
	assert.Equal(t, note.Alerts[0].Fingerprint, f["fingerprint"])
	assert.Equal(t, "resolved", entries[1].ContextMap()["status"])
	assert.Error(t, (&Config{Level: "debug"}).Validate())
}

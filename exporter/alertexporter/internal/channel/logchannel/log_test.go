package logchannel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
)

func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(b)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

func TestLogChannel(t *testing.T) {
	var buf bytes.Buffer
	n, err := New(&Config{Level: "warn"}, zapcore.AddSync(&buf), zap.String("otelcol.component.id", "alert"))
	require.NoError(t, err)
	note := channeltest.Notification()
	require.NoError(t, n.Notify(context.Background(), note))
	got := lines(t, &buf)
	require.Len(t, got, 1, "one line per notification")
	line := got[0]
	assert.Equal(t, "warn", line["level"])
	assert.Equal(t, Message, line["msg"])
	assert.Equal(t, "alert", line["otelcol.component.id"])
	alerts := line["alerts"].([]any)
	require.Len(t, alerts, 2)
	first := alerts[0].(map[string]any)
	assert.Equal(t, "PaymentErrorRate", first["alert_name"])
	assert.Equal(t, "firing", first["status"])
	assert.Equal(t, "critical", first["severity"])
	assert.Equal(t, note.Alerts[0].Fingerprint, first["fingerprint"])
	assert.Equal(t, "resolved", alerts[1].(map[string]any)["status"])
	assert.Error(t, (&Config{Level: "debug"}).Validate())
}

// The collector's logger samples repeated messages; this channel must not:
// a burst of 1000 notifications is 1000 lines.
func TestLogChannelBurstIsNotSampled(t *testing.T) {
	var buf bytes.Buffer
	n, err := New(&Config{}, zapcore.AddSync(&buf))
	require.NoError(t, err)
	for range 1000 {
		require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))
	}
	assert.Len(t, lines(t, &buf), 1000)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe full") }
func (failingWriter) Sync() error               { return nil }

// A line that was not written is not a sent notification.
func TestLogChannelWriteErrorFailsTheNotification(t *testing.T) {
	n, err := New(&Config{}, failingWriter{})
	require.NoError(t, err)
	assert.ErrorContains(t, n.Notify(context.Background(), channeltest.Notification()), "pipe full")
}

package channel_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestTruncate(t *testing.T) {
	assert.Equal(t, "abc", channel.Truncate("abc", 3))
	assert.Equal(t, "ab…", channel.Truncate("abcd", 3))
	assert.Equal(t, "äö…", channel.Truncate("äöüß", 3), "counts runes, not bytes")
	assert.Empty(t, channel.Truncate("abc", 0))
}

func TestNotificationHelpersAndDefaultTemplates(t *testing.T) {
	n := channeltest.Notification()
	assert.Equal(t, contract.AlertFiring, n.Status())
	assert.Equal(t, contract.SeverityCritical, n.Severity())
	assert.Equal(t, "[FIRING:1] PaymentErrorRate, CheckoutLatency", n.Headline())
	n.Level = 2
	assert.Contains(t, n.Headline(), "escalation level 2")

	text, err := channel.MustParseTemplate("t", "", channel.DefaultText).Execute(n)
	require.NoError(t, err)
	assert.Contains(t, text, "[CRITICAL] PaymentErrorRate: PaymentErrorRate above threshold")
	assert.Contains(t, text, "Runbook: https://runbooks.example.com/PaymentErrorRate")
	assert.Contains(t, text, "payment.provider=stripe, service.name=checkout")

	_, err = channel.MustParseTemplate("t", `{{ if eq .Receiver "ops" }}{{ .Nope }}{{ end }}`, "").Execute(n)
	var cerr *channel.Error
	require.ErrorAs(t, err, &cerr)
	assert.False(t, cerr.Retryable, "template errors are permanent")

	labels := channel.PromLabels(n.Alerts[0])
	assert.Equal(t, map[string]string{"alertname": "PaymentErrorRate", "severity": "critical", "service_name": "checkout", "payment_provider": "stripe"}, labels)
	ann := channel.Annotations(channeltest.NaNAlert())
	assert.NotContains(t, ann, "value")
	assert.Equal(t, "0.12", channel.Annotations(n.Alerts[0])["value"])
	assert.True(t, strings.HasPrefix(n.Headline(), "[FIRING"))
}

// Names that sanitise to the same Prometheus name resolve the same way on
// every call, whatever Go's map iteration order: an original name that is
// already valid wins; otherwise the first original name in byte order wins.
func TestPromLabelsCollisionsAreDeterministic(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   map[string]string
	}{
		{
			labels: map[string]string{"a.b": "dot", "a_b": "underscore"},
			want:   map[string]string{"a_b": "underscore"},
		},
		{
			labels: map[string]string{"a.b": "dot", "a-b": "dash", "a/b": "slash"},
			want:   map[string]string{"a_b": "dash"}, // '-' < '.' < '/'
		},
		{
			labels: map[string]string{"1x": "digit", "_1x": "valid", "service.name": "checkout", "service_name": "api"},
			want:   map[string]string{"_1x": "valid", "service_name": "api"},
		},
		{
			labels: map[string]string{"": "empty", "_": "valid", ".": "dot"},
			want:   map[string]string{"_": "valid"},
		},
	}
	for _, tt := range tests {
		want := map[string]string{"alertname": "A", "severity": "critical"}
		for k, v := range tt.want {
			want[k] = v
		}
		for range 200 {
			got := channel.PromLabels(contract.Alert{Name: "A", Severity: "critical", Labels: tt.labels})
			require.Equal(t, want, got, "%v", tt.labels)
		}
	}
}

// Values a person reads in Alertmanager, webhook and PagerDuty details
// carry thousands separators and never an exponent.
func TestAnnotationsFormatValuesForPeople(t *testing.T) {
	got := channel.Annotations(contract.Alert{Summary: "p95 slow", Value: 11810.4, Threshold: 5000})
	if got["value"] != "11,810" || got["threshold"] != "5,000" {
		t.Fatalf("annotations %v", got)
	}
}

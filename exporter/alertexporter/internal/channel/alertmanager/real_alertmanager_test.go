package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const alertmanagerBinary = "/usr/bin/prometheus-alertmanager"

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRealAlertmanager posts our alerts to Debian's prometheus-alertmanager
// over API v2 and checks that its webhook receiver gets them, firing and
// then resolved.
func TestRealAlertmanager(t *testing.T) {
	if _, err := os.Stat(alertmanagerBinary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI (install prometheus-alertmanager): %v", alertmanagerBinary, err)
		}
		t.Skipf("%s not installed", alertmanagerBinary)
	}

	var mu sync.Mutex
	var payloads []webhook.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg webhook.Message
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &msg) == nil {
			mu.Lock()
			payloads = append(payloads, msg)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
global:
  resolve_timeout: 1s
route:
  receiver: test
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: %s/hook
        send_resolved: true
`, hook.URL)), 0o600))
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var logs bytes.Buffer
	cmd := exec.Command(alertmanagerBinary,
		"--config.file="+cfgFile,
		"--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--cluster.listen-address=",
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "alertmanager did not become ready")

	sentAt := time.Now().UTC().Truncate(time.Second)
	n := New(&Config{URL: configopaque.String(base), ResendInterval: time.Minute}, &http.Client{Timeout: 5 * time.Second}, clock.NewFake(sentAt))
	firing := channeltest.Alert("PaymentErrorRate", contract.AlertFiring, contract.SeverityCritical)
	firing.StartsAt = time.Now().Add(-time.Minute).UTC()
	require.NoError(t, n.Notify(context.Background(), &channel.Notification{Receiver: "am", Alerts: []contract.Alert{firing}}))

	find := func(status string) *webhook.Message {
		mu.Lock()
		defer mu.Unlock()
		for i := range payloads {
			if payloads[i].Status == status {
				return &payloads[i]
			}
		}
		return nil
	}
	require.Eventually(t, func() bool { return find("firing") != nil }, 30*time.Second, 50*time.Millisecond)
	got := find("firing")
	assert.Equal(t, "4", got.Version)
	require.Len(t, got.Alerts, 1)
	a := got.Alerts[0]
	assert.Equal(t, "PaymentErrorRate", a.Labels["alertname"])
	assert.Equal(t, "critical", a.Labels["severity"])
	assert.Equal(t, "checkout", a.Labels["service_name"])
	assert.Equal(t, "PaymentErrorRate above threshold", a.Annotations["summary"])
	assert.Equal(t, "https://runbooks.example.com/PaymentErrorRate", a.Annotations["runbook_url"])
	assert.Equal(t, firing.GeneratorURL, a.GeneratorURL)

	// Alertmanager keeps our endsAt (4 resend intervals) instead of
	// resolving after its resolve_timeout (1s here).
	resp, err := http.Get(base + "/api/v2/alerts")
	require.NoError(t, err)
	var active []struct {
		EndsAt time.Time `json:"endsAt"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&active))
	resp.Body.Close()
	require.Len(t, active, 1)
	assert.True(t, sentAt.Add(4*time.Minute).Equal(active[0].EndsAt), "endsAt %s", active[0].EndsAt)
	assert.Equal(t, "active", active[0].Status.State)

	resolved := firing
	resolved.Status, resolved.EndsAt = contract.AlertResolved, time.Now().UTC()
	require.NoError(t, n.Notify(context.Background(), &channel.Notification{Receiver: "am", Alerts: []contract.Alert{resolved}}))
	require.Eventually(t, func() bool { return find("resolved") != nil }, 30*time.Second, 50*time.Millisecond)
	assert.Equal(t, "resolved", find("resolved").Alerts[0].Status)
}

//go:build long

package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// validateEnv reads config/validate.env (the production profiles' dummy
// settings) as KEY=VALUE pairs, with the external destinations pointed at
// a closed loopback port: this test has no network beyond loopback.
func validateEnv(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(repoFile(t, "config/validate.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dead := map[string]string{
		"SENTRY_DSN":               "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/4242",
		"TRACING_BACKEND_ENDPOINT": "127.0.0.1:9",
		"SLACK_WEBHOOK_URL":        "http://127.0.0.1:9/services/T000/B000/x",
		"SMTP_HOST":                "127.0.0.1",
		"DISCORD_WEBHOOK_URL":      "",
		"ALERT_WEBHOOK_URL":        "",
	}
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if d, ok := dead[k]; ok {
			v = d
		}
		env = append(env, k+"="+v)
	}
	return env
}

// The documented one-host recipe (docs/deployment.md, "One host"): a
// gateway and a sidecar from the shipped profiles on one machine, every
// listening port moved by its environment variable, state in user-writable
// directories, and the simulator sending to the sidecar. Everything the
// simulator sold reaches the gateway's executive summary.
func TestOneHostSidecarGatewaySimulator(t *testing.T) {
	bin := binary(t)
	gw := map[string]string{
		"OTELCOL_OTLP_GRPC_ENDPOINT":  e2e.FreeAddr(t),
		"OTELCOL_OTLP_HTTP_ENDPOINT":  e2e.FreeAddr(t),
		"OTELCOL_HEALTH_ENDPOINT":     e2e.FreeAddr(t),
		"OTELCOL_PROMETHEUS_ENDPOINT": e2e.FreeAddr(t),
		"OTELCOL_DASHBOARD_ENDPOINT":  e2e.FreeAddr(t),
		"OTELCOL_PPROF_ENDPOINT":      e2e.FreeAddr(t),
		"ALERT_API_ENDPOINT":          e2e.FreeAddr(t),
		"OTELCOL_STORAGE_DIR":         t.TempDir(),
	}
	sc := map[string]string{
		"OTELCOL_OTLP_GRPC_ENDPOINT": e2e.FreeAddr(t),
		"OTELCOL_OTLP_HTTP_ENDPOINT": e2e.FreeAddr(t),
		"OTELCOL_HEALTH_ENDPOINT":    e2e.FreeAddr(t),
		"OTELCOL_STORAGE_DIR":        t.TempDir(),
		"GATEWAY_ENDPOINT":           gw["OTELCOL_OTLP_GRPC_ENDPOINT"],
		"GATEWAY_INSECURE":           "true",
	}
	envOf := func(m map[string]string) []string {
		env := validateEnv(t)
		for k, v := range m {
			env = append(env, k+"="+v)
		}
		return env
	}
	startBinary(t, bin, repoFile(t, "config/gateway.yaml"), envOf(gw)...)
	startBinary(t, bin, repoFile(t, "config/sidecar.yaml"), envOf(sc)...)
	for _, health := range []string{gw["OTELCOL_HEALTH_ENDPOINT"], sc["OTELCOL_HEALTH_ENDPOINT"]} {
		waitUntil(t, 60*time.Second, "health check "+health, func() bool {
			resp, err := http.Get("http://" + health + "/")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ledger, err := sim.Run(ctx, sim.Config{
		Endpoint: sc["OTELCOL_OTLP_GRPC_ENDPOINT"], Insecure: true, Seed: 7, Count: 400,
		RefundRate: sim.DefaultRefundRate, MetricInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var orders float64
	for _, n := range ledger.Orders {
		orders += float64(n)
	}
	if orders == 0 {
		t.Fatal("the simulator sold nothing")
	}

	summary := "http://" + gw["OTELCOL_DASHBOARD_ENDPOINT"] + "/api/summary"
	var got float64
	waitUntil(t, 90*time.Second, "the gateway's summary counting every order", func() bool {
		req, _ := http.NewRequest(http.MethodGet, summary, nil)
		req.Header.Set("Authorization", "Bearer validate-only-dummy-dashboard-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var s struct {
			OrdersToday float64 `json:"orders_today"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &s) != nil {
			return false
		}
		got = s.OrdersToday
		return got == orders
	})
	t.Logf("sidecar → gateway on one host: %d sessions, %.0f orders counted by the gateway (state in %s)",
		ledger.Sessions, got, filepath.Dir(gw["OTELCOL_STORAGE_DIR"]))
}

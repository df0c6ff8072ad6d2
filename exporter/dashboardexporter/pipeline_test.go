package dashboardexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

// pipelineConfig is the local profile's shape: paymentbi and span_metrics
// feed both the dashboard and the prometheus exporter.
const pipelineConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:E2E_GRPC}"}
      http: {endpoint: "${env:E2E_HTTP}"}
processors:
  paymentbi:
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: UTC
connectors:
  paymentbi:
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: UTC
    daily_revenue_target: 50000
    monthly_revenue_target: 1500000
    emit_interval: 200ms
  span_metrics:
    histogram:
      explicit:
        buckets: [5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2s, 5s, 10s]
    dimensions:
      - name: payment.provider
      - name: payment.method
    metrics_flush_interval: 200ms
exporters:
  dashboard:
    endpoint: "${env:E2E_DASHBOARD}"
    timezone: UTC
    refresh_interval: 1s
  prometheus:
    endpoint: "${env:E2E_PROMETHEUS}"
    namespace: ""
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi, span_metrics]
    logs:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi, dashboard]
    metrics/business:
      receivers: [paymentbi, span_metrics]
      exporters: [dashboard, prometheus]
    metrics/app:
      receivers: [otlp]
      exporters: [dashboard]
`

type ledgerTotals struct {
	orders  float64
	revenue map[string]float64 // currency -> major units
	// revenueMinor is currency -> minor units, for the exact comparison.
	revenueMinor map[string]int64
	attempts     float64
	failed       float64
	funnel       map[string]float64
}

func totalsOf(t *testing.T, l *sim.Ledger) ledgerTotals {
	t.Helper()
	lt := ledgerTotals{revenue: map[string]float64{}, revenueMinor: map[string]int64{}, funnel: map[string]float64{}}
	for _, n := range l.Orders {
		lt.orders += float64(n)
	}
	for cur, byMethod := range l.RevenueMinor {
		exp, ok := contract.CurrencyExponent(cur)
		require.True(t, ok, cur)
		for _, minor := range byMethod {
			lt.revenue[cur] += float64(minor) / math.Pow10(exp)
			lt.revenueMinor[cur] += minor
		}
	}
	for status, n := range l.Attempts {
		lt.attempts += float64(n)
		if status == contract.StatusFailed {
			lt.failed += float64(n)
		}
	}
	for name, n := range l.Funnel {
		lt.funnel[name] = float64(n)
	}
	return lt
}

// TestPipelineWithSimulator runs the payment simulator through an in-process
// collector and checks, against the simulator's ledger, what the dashboard
// serves, what a real Prometheus scrapes from the prometheus exporter, and
// what headless Chromium renders.
func TestPipelineWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator, Prometheus and Chromium")
	}
	promBin := requireTool(t, "PROMETHEUS", "/usr/bin/prometheus")
	addrs := map[string]string{}
	for _, k := range []string{"E2E_GRPC", "E2E_HTTP", "E2E_DASHBOARD", "E2E_PROMETHEUS"} {
		addrs[k] = e2e.FreeAddr(t)
		t.Setenv(k, addrs[k])
	}
	factories := e2e.BaseFactories()
	factories = e2e.WithProcessors(factories, paymentbi.NewFactory())
	factories = e2e.WithConnectors(factories, paymentbi.NewConnectorFactory(), spanmetricsconnector.NewFactory())
	factories = e2e.WithExporters(factories, NewFactory(), prometheusexporter.NewFactory())
	e2e.Start(t, factories, pipelineConfig)
	day := time.Now().UTC().Format(time.DateOnly)

	ledger, err := sim.Run(context.Background(), sim.Config{
		Endpoint: addrs["E2E_GRPC"], Insecure: true, Seed: 20261128, Count: 1500,
		RefundRate: 0.04, DuplicateRate: 0.03, MetricInterval: time.Hour,
	})
	require.NoError(t, err)
	want := totalsOf(t, ledger)
	require.Positive(t, want.orders)

	injected := contract.Alert{
		Name: "payment_failure_rate", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Summary: "Payment failure rate 21.4% for stripe (injected)", Value: 0.214, Threshold: 0.15,
		Labels: map[string]string{contract.PaymentProvider: "stripe"}, StartsAt: time.Now(),
	}
	postLogs(t, "http://"+addrs["E2E_HTTP"]+"/v1/logs", fixture.Alerts(injected))

	dash := "http://" + addrs["E2E_DASHBOARD"]
	var d view.Dashboard
	require.Eventually(t, func() bool {
		_, _, body := get(t, dash+"/api/dashboard", "")
		d = view.Dashboard{}
		return json.Unmarshal(body, &d) == nil && d.Orders.Today == want.orders && len(d.Alerts) == 1 &&
			d.Payments.Attempts == want.attempts && len(d.Latency) > 0
	}, 30*time.Second, 100*time.Millisecond, "dashboard never caught up with the ledger")
	if time.Now().UTC().Format(time.DateOnly) != day {
		t.Skip("the run crossed midnight UTC: today's totals are split")
	}

	t.Run("dashboard equals ledger", func(t *testing.T) {
		assert.Equal(t, want.failed, d.Payments.Failed)
		for _, c := range d.Revenue.ByCurrency {
			// Exact to the minor unit, as a decimal string.
			assert.Equal(t, view.Money(contract.FormatMinor(want.revenueMinor[c.Currency], c.Currency)), c.Today, "revenue %s", c.Currency)
		}
		assert.Len(t, d.Revenue.ByCurrency, len(want.revenue))
		for _, s := range d.Funnel {
			assert.Equal(t, want.funnel[s.Step], s.Count, "funnel step %s", s.Step)
		}
		assert.Equal(t, float64(ledger.PurchasesBySegment[contract.SegmentNew]), d.Customers.New)
		assert.Equal(t, float64(ledger.PurchasesBySegment[contract.SegmentReturning]), d.Customers.Returning)
		assert.Equal(t, "USD", d.Currency)
		require.NotNil(t, d.Revenue.DailyTarget)
		assert.Equal(t, view.Money("50000.00"), *d.Revenue.DailyTarget)
		assert.Positive(t, d.Revenue.Today.Float())
	})

	t.Run("prometheus equals ledger", func(t *testing.T) {
		prom := startPrometheus(t, promBin, addrs["E2E_PROMETHEUS"])
		require.Eventually(t, func() bool {
			v, ok := promScalar(t, prom, "sum(payment_orders_total)")
			return ok && v == want.orders
		}, 30*time.Second, 250*time.Millisecond, "prometheus never reported %v orders", want.orders)
		got := promVector(t, prom, "sum by (payment_currency) (payment_revenue_total)", "payment_currency")
		assert.Len(t, got, len(want.revenue))
		for cur, v := range want.revenue {
			assert.InDelta(t, v, got[cur], 0.0005, "revenue %s", cur)
		}
		attempts, _ := promScalar(t, prom, "sum(payment_attempts_total)")
		assert.Equal(t, want.attempts, attempts)
		purchases, _ := promScalar(t, prom, `sum(checkout_funnel_events_total{checkout_step="purchase"})`)
		assert.Equal(t, want.funnel[contract.EventPurchase], purchases)

		checkDeployNames(t, prom)
		checkRulesHealthy(t, prom)
	})

	t.Run("browser renders simulator data", func(t *testing.T) {
		browser := newBrowser(t)
		ctx, cancel := context.WithTimeout(browser, 60*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(dash+"/"),
			chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"]`)),
		))
		_, _, body := get(t, dash+"/api/dashboard", "")
		require.NoError(t, json.Unmarshal(body, &d))
		revenue, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#revenue-today")))
		require.NoError(t, err)
		shown, err := strconv.ParseFloat(moneyDigits.ReplaceAllString(revenue, ""), 64)
		require.NoError(t, err, revenue)
		assert.InDelta(t, d.Revenue.Today.Float(), shown, 0.5, "revenue text %q", revenue)
		purchased, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#funnel li[data-step="ecommerce.purchase"] .fnum`)))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(strings.ReplaceAll(purchased, ",", ""), strconv.Itoa(int(want.funnel[contract.EventPurchase]))), "purchase step %q", purchased)
		alert, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#alerts li[data-alert="payment_failure_rate"]`)))
		require.NoError(t, err)
		assert.Contains(t, alert, "(injected)")
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		path := filepath.Join(testOutputDir(t), "dashboard-simulator.png")
		require.NoError(t, os.WriteFile(path, shot, 0o644))
		t.Logf("screenshot: %s", path)
	})
}

func postLogs(t *testing.T, endpoint string, ld plog.Logs) {
	t.Helper()
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	res, err := http.Post(endpoint, "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

// shippedRules are the rule files under deploy/prometheus.
var shippedRules = []string{"../../deploy/prometheus/recording_rules.yml", "../../deploy/prometheus/alerting_rules.yml"}

// startPrometheus runs Debian's prometheus on a free loopback port, scraping
// the collector's prometheus exporter every second and evaluating the
// shipped rules every second.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	var ruleFiles []string
	for _, f := range shippedRules {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		fast := regexp.MustCompile(`(?m)^(\s+)interval: \S+$`).ReplaceAll(raw, []byte("${1}interval: 1s"))
		dst := filepath.Join(dir, filepath.Base(f))
		require.NoError(t, os.WriteFile(dst, fast, 0o600))
		ruleFiles = append(ruleFiles, fmt.Sprintf("%q", dst))
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [`+strings.Join(ruleFiles, ", ")+`]
scrape_configs:
  - job_name: otelcol-payments
    honor_labels: true
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	listen := e2e.FreeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	base := "http://" + listen
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "prometheus not ready")
	return base
}

type promResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func promQuery(t *testing.T, base, query string) promResult {
	t.Helper()
	res, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var r promResult
	require.NoError(t, json.Unmarshal(body, &r), string(body))
	return r
}

func sampleValue(t *testing.T, v [2]any) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(v[1].(string), 64)
	require.NoError(t, err)
	return f
}

func promScalar(t *testing.T, base, query string) (float64, bool) {
	t.Helper()
	r := promQuery(t, base, query)
	require.Equal(t, "success", r.Status, r.Error)
	if len(r.Data.Result) != 1 {
		return 0, false
	}
	return sampleValue(t, r.Data.Result[0].Value), true
}

func promVector(t *testing.T, base, query, label string) map[string]float64 {
	t.Helper()
	r := promQuery(t, base, query)
	require.Equal(t, "success", r.Status, r.Error)
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		out[s.Metric[label]] = sampleValue(t, s.Value)
	}
	return out
}

func promList(t *testing.T, base, path string) map[string]bool {
	t.Helper()
	res, err := http.Get(base + path)
	require.NoError(t, err)
	defer res.Body.Close()
	var r struct {
		Data []string `json:"data"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
	out := map[string]bool{}
	for _, n := range r.Data {
		out[n] = true
	}
	return out
}

var (
	recordingRuleName = regexp.MustCompile(`[A-Za-z0-9_]*:[A-Za-z0-9_:]*`)
	payloadName       = regexp.MustCompile(`\b(?:payment|checkout|customer|inventory|order|traces_span_metrics)_[a-z0-9_]+\b`)
)

// checkDeployNames checks that every metric or label name of ours that the
// shipped rules and Grafana dashboard use is one Prometheus really scraped:
// the exporter's renaming (dots, _total, unit suffixes) is easy to get wrong.
func checkDeployNames(t *testing.T, prom string) {
	t.Helper()
	names := promList(t, prom, "/api/v1/label/__name__/values")
	labels := promList(t, prom, "/api/v1/labels")
	for _, file := range append(shippedRules, "../../deploy/grafana/payments-dashboard.json") {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		text := recordingRuleName.ReplaceAllString(string(raw), " ")
		for _, n := range payloadName.FindAllString(text, -1) {
			histogram := names[n+"_bucket"]
			assert.True(t, names[n] || labels[n] || histogram, "%s uses %q, which Prometheus did not scrape", file, n)
		}
	}
}

// checkRulesHealthy waits until Prometheus has evaluated every shipped rule
// against the scraped data and none failed: promtool checks syntax, this
// checks they run.
func checkRulesHealthy(t *testing.T, prom string) {
	t.Helper()
	type rule struct {
		Name           string    `json:"name"`
		Health         string    `json:"health"`
		LastError      string    `json:"lastError"`
		LastEvaluation time.Time `json:"lastEvaluation"`
	}
	var rules []rule
	require.Eventually(t, func() bool {
		res, err := http.Get(prom + "/api/v1/rules")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var r struct {
			Data struct {
				Groups []struct {
					Rules []rule `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if json.NewDecoder(res.Body).Decode(&r) != nil {
			return false
		}
		rules = rules[:0]
		for _, g := range r.Data.Groups {
			for _, ru := range g.Rules {
				if ru.Health == "unknown" || ru.LastEvaluation.IsZero() {
					return false
				}
				rules = append(rules, ru)
			}
		}
		return len(rules) > 0
	}, 30*time.Second, 250*time.Millisecond, "rules never evaluated")
	assert.Len(t, rules, 19)
	for _, r := range rules {
		assert.Equal(t, "ok", r.Health, "%s: %s", r.Name, r.LastError)
	}
}

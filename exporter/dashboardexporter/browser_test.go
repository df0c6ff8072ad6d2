package dashboardexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// requireTool returns the path of a binary the test drives. Missing, it
// skips the test on a developer machine and fails it in CI, where .ci/run
// installs it.
func requireTool(t *testing.T, envVar, path string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (%v): CI must install it", path, err)
		}
		t.Skipf("%s not found (%v); install it or set %s", path, err, envVar)
	}
	return path
}

// testOutputDir is where tests leave artefacts for people to look at.
func testOutputDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TEST_OUTPUT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "test-output")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// newBrowser starts headless Chromium with a fresh profile and no network
// chatter of its own.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := requireTool(t, "CHROMIUM", "/usr/bin/chromium")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// feedHistory replays the fixture's day as cumulative snapshots every ten
// minutes over the last six hours, with an uneven pace so the sparklines
// have a shape, then recent span metrics and alerts.
func feedHistory(t *testing.T, r running, now time.Time) {
	t.Helper()
	ctx := context.Background()
	const steps = 36
	start := now.Add(-steps * 10 * time.Minute)
	var incs [steps + 1]float64
	var sum float64
	for i := 1; i <= steps; i++ {
		incs[i] = 1 + 0.8*math.Sin(float64(i)/3)
		sum += incs[i]
	}
	var acc float64
	for i := 0; i <= steps; i++ {
		acc += incs[i]
		at := start.Add(time.Duration(i) * 10 * time.Minute)
		require.NoError(t, r.metrics.ConsumeMetrics(ctx, fixture.Default().Scaled(acc/sum).Metrics(start, at)))
	}
	bounds := []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000}
	ops := func(f uint64) []fixture.Operation {
		return []fixture.Operation{
			{Name: "payment.charge", Bounds: bounds, Counts: []uint64{0, 0, 0, 0, 0, 2 * f, 10 * f, 20 * f, 20 * f, 10 * f, 38 * f, 0}, Errors: 6 * f},
			{Name: "POST /api/checkout", Bounds: bounds, Counts: []uint64{0, 0, 5 * f, 40 * f, 80 * f, 60 * f, 10 * f, 5 * f, 0, 0, 0, 0}, Errors: f},
			{Name: "SELECT orders", Bounds: bounds, Counts: []uint64{50 * f, 90 * f, 40 * f, 10 * f, 5 * f, 0, 0, 0, 0, 0, 0, 0}},
			{Name: "inventory.check", Bounds: bounds, Counts: []uint64{0, 10 * f, 30 * f, 40 * f, 10 * f, 5 * f, 0, 0, 0, 0, 0, 0}},
			{Name: "email.send", Bounds: bounds, Counts: []uint64{0, 0, 0, 0, 0, 2 * f, 10 * f, 8 * f, 2 * f, 0, 0, 0}},
		}
	}
	require.NoError(t, r.metrics.ConsumeMetrics(ctx, fixture.SpanMetrics(now.Add(-2*time.Minute), now.Add(-time.Minute), ops(1)...)))
	require.NoError(t, r.metrics.ConsumeMetrics(ctx, fixture.SpanMetrics(now.Add(-2*time.Minute), now, ops(3)...)))
	require.NoError(t, r.logs.ConsumeLogs(ctx, fixture.Alerts(
		contract.Alert{
			Name: "PaymentFailureRateHigh", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
			Summary: "payment failure rate 20.0% > 10% for stripe", Value: 0.2, Threshold: 0.1,
			Labels: map[string]string{"payment.provider": "stripe"}, StartsAt: now.Add(-4 * time.Minute),
		},
		contract.Alert{
			Name: "SlowPayments", Status: contract.AlertFiring, Severity: contract.SeverityWarning,
			Summary: "payment.charge p95 above 5000 ms", Value: 8200, Threshold: 5000,
			Labels: map[string]string{"span.name": "payment.charge"}, StartsAt: now.Add(-2 * time.Minute),
		},
	)))
}

// middayZone is a fixed-offset zone in which t falls between 11:00 and
// 13:00, so the page's "today" figures, fed from two hours back, never
// straddle midnight: in UTC the test failed whenever it ran between 00:00
// and 02:00.
func middayZone(t time.Time) string {
	east := 12 - t.UTC().Hour()
	switch {
	case east > 0:
		return fmt.Sprintf("Etc/GMT-%d", east) // the tz database's sign is inverted
	case east < 0:
		return fmt.Sprintf("Etc/GMT+%d", -east)
	}
	return "UTC"
}

var moneyDigits = regexp.MustCompile(`[^0-9.]`)

func TestBrowserRendersDashboard(t *testing.T) {
	browser := newBrowser(t)
	now := time.Now()
	r := startExporters(t, func(c *Config) { c.RefreshInterval = time.Second; c.Timezone = middayZone(now) })
	feedHistory(t, r, now)
	require.NoError(t, r.metrics.ConsumeMetrics(context.Background(), fixture.Insights(now)))
	require.NoError(t, r.metrics.ConsumeMetrics(context.Background(), fixture.Segments(now.Add(-2*time.Hour), now.Add(-time.Minute))))
	require.NoError(t, r.metrics.ConsumeMetrics(context.Background(), fixture.Countries(now.Add(-2*time.Hour), now.Add(-time.Minute))))
	// Monitoring spend: a GA4 destination that accepted two requests of 25
	// events, against received log records (process-wide figures, so the
	// host is this run's own).
	spendHost := fmt.Sprintf("browser-%d.invalid", now.UnixNano())
	ga4 := spend.Default.Meter(spend.Key{Exporter: "ga4", Kind: "ga4", Host: spendHost}, spend.Traces|spend.Logs)
	ga4.Sent(25, 4100)
	ga4.Sent(25, 4100)
	spend.Default.Received(spend.Logs, 1000)

	_, _, body := get(t, r.base+"/api/dashboard", "")
	var want view.Dashboard
	require.NoError(t, json.Unmarshal(body, &want))
	require.Positive(t, want.Revenue.Today.Float()+want.Revenue.Yesterday.Float())

	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(r.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"]`)),
	))

	revenue, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#revenue-today")))
	require.NoError(t, err)
	got, err := strconv.ParseFloat(moneyDigits.ReplaceAllString(revenue, ""), 64)
	require.NoError(t, err, "revenue text %q", revenue)
	assert.InDelta(t, want.Revenue.Today.Float(), got, 0.005, "revenue text %q", revenue)
	assert.Contains(t, revenue, "$", "formatted in the reporting currency")

	steps, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#funnel li")))
	require.NoError(t, err)
	assert.Len(t, steps, len(contract.FunnelSteps))
	purchased, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#funnel li[data-step="ecommerce.purchase"]`)))
	require.NoError(t, err)
	assert.Contains(t, purchased, strconv.Itoa(int(want.Funnel[len(want.Funnel)-1].Count)))

	alert, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#alerts li[data-alert="PaymentFailureRateHigh"]`)))
	require.NoError(t, err)
	assert.Contains(t, strings.ToLower(alert), "critical")
	assert.Contains(t, alert, "payment failure rate 20.0%")
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#headline")))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(status, "Critical"), "headline %q", status)

	// The executive summary panel: a line per section of /api/summary.
	for section, want := range map[string]string{
		"Funnel":           "biggest drop-off before",
		"Customers":        "returning",
		"Alerts":           "critical PaymentFailureRateHigh",
		"System health":    "payment.charge",
		"Monitoring spend": "ga4 → ga4 50 events, 8.2 kB",
	} {
		line, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#executive-list li[data-section="`+section+`"]`)))
		require.NoError(t, err, section)
		assert.Contains(t, line, want, section)
	}

	breach, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`#latency tr.breach[data-operation="payment.charge"]`)))
	require.NoError(t, err)
	assert.Len(t, breach, 1)
	// The insight panels are read in one script: a poll re-rendering
	// between a node query and reading its text would lose the node.
	panels, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		forecast: document.querySelector('#forecast tr[data-item="saturday-pass"]')?.textContent ?? "",
		unstocked: document.querySelector('#forecast tr[data-item="camping-upgrade"]')?.textContent ?? "",
		variant: document.querySelector('#experiments tr.breach[data-variant="B"]')?.textContent ?? "",
		slow: document.querySelector('#recommendations li[data-kind="slow_operation"]')?.textContent ?? "",
		segment: document.querySelector('#segments-table tr[data-segment="newsletter"]')?.textContent ?? "",
		country: document.querySelector('#segments-table tr[data-dimension="country"][data-segment="BR"]')?.textContent ?? "",
		abandonment: document.querySelector('#recommendations li[data-kind="country_abandonment"]')?.textContent ?? "",
		growth: document.querySelector('#growth')?.textContent ?? "",
		summaryGrowth: document.querySelector('#executive-list li[data-section="Growth"]')?.textContent ?? "",
		summarySegments: document.querySelector('#executive-list li[data-section="Top segments"]')?.textContent ?? "",
		spendEvents: document.querySelector('#spend tr[data-host="`+spendHost+`"] td.events')?.textContent ?? "",
		spendBytes: document.querySelector('#spend tr[data-host="`+spendHost+`"] td.bytes')?.textContent ?? "",
		spendShare: document.querySelector('#spend tr[data-host="`+spendHost+`"] td.share')?.textContent ?? "",
	})`))
	require.NoError(t, err)
	assert.Contains(t, panels["forecast"], "40.0/h")
	assert.Contains(t, panels["forecast"], "12", "units in open checkouts")
	assert.Contains(t, panels["unstocked"], "stock not reported", "selling, but no stock to project from")
	assert.Contains(t, panels["variant"], "-6.0 pts", "uplift")
	assert.Contains(t, panels["variant"], "-9.5 pts … -2.5 pts", "its interval")
	assert.Contains(t, panels["slow"], "payment.charge is slower than its threshold")
	assert.Contains(t, panels["segment"], "1,200", "newsletter revenue")
	assert.Contains(t, panels["segment"], "5.0%", "newsletter conversion")
	assert.Contains(t, panels["growth"], "vs yesterday +12%")
	assert.Contains(t, panels["growth"], "vs last week -5%")
	assert.Contains(t, panels["country"], "450", "BR revenue")
	assert.Contains(t, panels["country"], "1.5%", "BR conversion")
	assert.Contains(t, panels["abandonment"], "Unusual abandonment in country BR")
	assert.Contains(t, panels["abandonment"], "metric segment.visits", "links its metric")
	// the summary shows the page's growth figures
	assert.Contains(t, panels["summaryGrowth"], "+12.0% vs the same time yesterday")
	assert.Contains(t, panels["summaryGrowth"], "-5.0% vs a week ago")
	assert.Contains(t, panels["summarySegments"], "channel newsletter $1,200.00 (5.0%)")
	assert.Contains(t, panels["summarySegments"], "country US $3,000.00 (6.0%)")
	assert.Equal(t, "50", panels["spendEvents"])
	assert.Equal(t, "8.2 kB", panels["spendBytes"])
	assert.Regexp(t, `^[0-9.]+%$`, panels["spendShare"], "a share of the received log records")
	assert.NotEqual(t, "0.0%", panels["spendShare"])

	sparks, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(".spark svg path.line")))
	require.NoError(t, err)
	assert.Len(t, sparks, 4, "three KPI sparklines and the hour-of-day revenue pattern")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(testOutputDir(t), "dashboard.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s", path)

	// Acknowledge the critical alert on the page; the next poll shows it.
	// Each poll re-renders the list, so the button found may be replaced
	// before the click lands ("Could not find node"): find it again.
	var ackErr error
	for attempt := 0; attempt < 5; attempt++ {
		if ackErr = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#alerts li[data-alert="PaymentFailureRateHigh"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`#alerts li[data-alert="PaymentFailureRateHigh"] .acked`)),
		); ackErr == nil || !strings.Contains(ackErr.Error(), "Could not find node") {
			break
		}
	}
	require.NoError(t, ackErr)
}

func TestBrowserAsksForToken(t *testing.T) {
	browser := newBrowser(t)
	r := startExporters(t, func(c *Config) { c.BearerToken = "s3cret" })
	feedHistory(t, r, time.Now())
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(r.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#token"), "s3cret"),
		chromedp.Click(chromedp.CSS("#login button")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"]`)),
	))
	hidden, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#login.hidden")))
	require.NoError(t, err)
	assert.Len(t, hidden, 1)
}

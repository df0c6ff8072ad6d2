package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// The JavaScript example of docs/conventions.md is test/nodeclient/
// checkout.mjs, which the Node.js test runs: the two must not drift apart.
func TestDocsJSExampleIsTheTestedFile(t *testing.T) {
	doc, err := os.ReadFile(repoFile(t, "docs/conventions.md"))
	require.NoError(t, err)
	file, err := os.ReadFile(repoFile(t, "test/nodeclient/checkout.mjs"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n### OTel JS\n")
	require.True(t, ok, "docs/conventions.md has no '### OTel JS' section")
	_, block, ok := strings.Cut(section, "```js\n")
	require.True(t, ok, "no ```js block in the OTel JS section")
	block, _, ok = strings.Cut(block, "```\n")
	require.True(t, ok, "unterminated ```js block")
	assert.Equal(t, string(file), block, "docs/conventions.md's OTel JS example and test/nodeclient/checkout.mjs differ: copy one onto the other")
	assert.NotContains(t, block, "from '@opentelemetry/api-logs'", "sdk-node registers its LoggerProvider on @opentelemetry/api's logs")
}

// nodeClient returns the node binary and the app's directory, or skips when
// Node.js or the app's packages are absent locally; in CI (.ci/run runs
// npm ci) their absence fails the test.
func nodeClient(t *testing.T) (node, dir string) {
	t.Helper()
	dir = repoFile(t, "test/nodeclient")
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "@opentelemetry", "sdk-node", "package.json"))
	if err != nil || modErr != nil {
		msg := "needs Node.js (node on PATH) and test/nodeclient/node_modules: run `npm ci` in test/nodeclient"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (.ci/run does it)")
		}
		t.Skip(msg)
	}
	return node, dir
}

// A checkout service written with the OpenTelemetry JS SDK (sdk-node, the
// versions of test/nodeclient/package-lock.json) following the conventions'
// example literally sends traces, metrics and business events over OTLP/HTTP
// to the default profile; what the collector derives is exact.
func TestNodeSDKClientThroughDefaultProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the default profile and a Node.js app")
	}
	node, dir := nodeClient(t)
	cfg, _, otlpHTTP := defaultProfileWithOTLP(t, "nodeclient")
	factories, err := components()
	require.NoError(t, err)
	col := e2e.Start(t, e2e.WithExporters(factories, e2e.CaptureFactory()), cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "app.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COLLECTOR=http://"+otlpHTTP)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "node app.mjs:\n%s", out.String())
	require.Contains(t, out.String(), "nodeclient: done")

	// 11 HTTP server spans and 3 payment.charge spans; 14 business events.
	const spans, events = 14, 14
	got := e2e.Sinks("nodeclient")
	got.WaitFor(t, time.Minute, "the app's spans and log records", func(c *e2e.Capture) bool {
		return c.SpanCount() >= spans && countEvents(c.Logs.AllLogs(), "") >= events
	})
	// A new series is first emitted at 0, its value from the next emission.
	got.WaitFor(t, time.Minute, "paymentbi's figures for both orders", func(c *e2e.Capture) bool {
		m := c.Metrics.AllMetrics()
		return latest(m, "payment.orders", nil) == 2 &&
			latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: "purchase"}) == 2
	})
	// Shutdown flushes threshold's last alerts.
	require.NoError(t, col.Shutdown())
	assert.Equal(t, spans, got.SpanCount())

	logsOut := got.Logs.AllLogs()
	assert.Equal(t, 3, countEvents(logsOut, contract.EventPurchase), "both purchases and the replay arrived as log records with their event name")
	assert.Equal(t, 1, countEvents(logsOut, contract.EventPaymentFailed))

	m := got.Metrics.AllMetrics()
	revenue := latest(m, "payment.revenue", map[string]string{contract.PaymentCurrency: "USD"})
	minor, err := contract.MajorFloatToMinor(revenue, 2)
	require.NoError(t, err)
	// 129.99 + 2 × 12.99 + 12.48 tax + 5.99 shipping, and 2 × 25.00; the
	// replayed purchase counts once.
	assert.Equal(t, int64(17444+5000), minor, "revenue to the cent (got %v)", revenue)
	assert.Equal(t, 2.0, latest(m, "payment.orders", nil))
	assert.Equal(t, 3.0, latest(m, "payment.attempts", nil))
	assert.Equal(t, 1.0, latest(m, "payment.attempts", map[string]string{contract.PaymentStatus: contract.StatusFailed}))
	for step, want := range map[string]float64{"view_item": 3, "add_to_cart": 2, "begin_checkout": 2, "add_payment_info": 2, "purchase": 2} {
		assert.Equal(t, want, latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: step}), "funnel step %s", step)
	}
	assert.Equal(t, 2.0, latest(m, "customer.orders", map[string]string{contract.CustomerSegment: contract.SegmentNew}))
	assert.Equal(t, 2.0, latest(m, "customer.distinct", nil))
	assert.Equal(t, 11.0, latest(m, "http.server.request.duration", nil), "the app's own histogram (count)")

	all := dumpJSON(t, got)
	assertNoRawPII(t, all)
	assert.Contains(t, all, `"pii_`, "customers are pseudonymised, not dropped")
	assert.Contains(t, all, `"security_incident"`, "the security.incident event raised its alert")
}

// countEvents counts log records with event name name ("" for any business
// event).
func countEvents(all []plog.Logs, name string) int {
	n := 0
	for _, ld := range all {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					got := contract.LogEventName(lrs.At(k))
					if (name == "" && contract.IsBusinessEvent(got)) || (name != "" && got == name) {
						n++
					}
				}
			}
		}
	}
	return n
}

// latest sums, over the series of metric name whose attributes include
// match, each series' newest value (a sum's or gauge's value, a histogram's
// count).
func latest(all []pmetric.Metrics, name string, match map[string]string) float64 {
	type point struct {
		at    pcommon.Timestamp
		value float64
	}
	series := map[string]point{}
	add := func(attrs pcommon.Map, at pcommon.Timestamp, v float64) {
		for k, want := range match {
			if got, ok := attrs.Get(k); !ok || got.AsString() != want {
				return
			}
		}
		key := fmtAttrs(attrs)
		if p, ok := series[key]; !ok || at >= p.at {
			series[key] = point{at, v}
		}
	}
	for _, md := range all {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			sms := md.ResourceMetrics().At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					mt := ms.At(k)
					if mt.Name() != name {
						continue
					}
					switch mt.Type() {
					case pmetric.MetricTypeSum:
						numbers(mt.Sum().DataPoints(), add)
					case pmetric.MetricTypeGauge:
						numbers(mt.Gauge().DataPoints(), add)
					case pmetric.MetricTypeHistogram:
						dps := mt.Histogram().DataPoints()
						for d := 0; d < dps.Len(); d++ {
							add(dps.At(d).Attributes(), dps.At(d).Timestamp(), float64(dps.At(d).Count()))
						}
					}
				}
			}
		}
	}
	var total float64
	for _, p := range series {
		total += p.value
	}
	return total
}

func numbers(dps pmetric.NumberDataPointSlice, add func(pcommon.Map, pcommon.Timestamp, float64)) {
	for d := 0; d < dps.Len(); d++ {
		dp := dps.At(d)
		v := dp.DoubleValue()
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			v = float64(dp.IntValue())
		}
		add(dp.Attributes(), dp.Timestamp(), v)
	}
}

func fmtAttrs(m pcommon.Map) string {
	var b strings.Builder
	for k, v := range m.All() {
		b.WriteString(k + "=" + v.AsString() + ";")
	}
	return b.String()
}

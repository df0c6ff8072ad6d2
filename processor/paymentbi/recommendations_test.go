package paymentbi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

// recommendation is what the test reads of /api/dashboard's
// recommendations.
type recommendation struct {
	Kind   string            `json:"kind"`
	Title  string            `json:"title"`
	Labels map[string]string `json:"labels"`
}

// TestPipelineRecommendsThePlantedProblem runs the simulator through a
// whole collector (otlp → paymentbi processor → paymentbi connector →
// dashboard) twice: an hour of clean traffic, then an hour in which one
// problem is planted. paymentbi runs on a clock 70 minutes behind during
// the first hour, so the dashboard books it before its last-hour window
// (the dashboard books counter increases at the points' own time). The
// dashboard's recommendations must name the planted problem, and nothing
// at all when the second hour is clean too.
func TestPipelineRecommendsThePlantedProblem(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator through four collectors")
	}
	countries := []string{"US", "DE", "BR", "JP"}
	for _, c := range []struct {
		name    string
		planted func(*sim.Config)
		// want is the kind and labels of the recommendation that names
		// the problem; none on the clean run
		kind   string
		labels map[string]string
	}{
		{name: "clean", planted: func(*sim.Config) {}},
		{name: "provider_collapse", planted: func(cfg *sim.Config) {
			cfg.Outage = &sim.Outage{Provider: "paypal", FailureRate: 0.8, Sessions: cfg.Count}
		}, kind: "payment_success_drop", labels: map[string]string{contract.PaymentProvider: "paypal"}},
		{name: "country_abandonment", planted: func(cfg *sim.Config) {
			cfg.Abandonment = &sim.Abandonment{Step: contract.EventBeginCheckout, Drop: 0.9, Country: "BR"}
		}, kind: "country_abandonment", labels: map[string]string{contract.MetricLabelSegmentDimension: "country", contract.MetricLabelSegmentValue: "BR"}},
		{name: "funnel_step_drop_doubles", planted: func(cfg *sim.Config) {
			cfg.Abandonment = &sim.Abandonment{Step: contract.EventAddToCart, Drop: 0.6} // 0.3 usually
		}, kind: "funnel_drop", labels: map[string]string{contract.CheckoutStep: "add_to_cart"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			recs := recommendationsAfter(t, c.name, countries, c.planted)
			if c.kind == "" {
				if len(recs) != 0 {
					t.Fatalf("a clean run recommends %+v", recs)
				}
				return
			}
			named := false
			for _, r := range recs {
				if r.Kind == c.kind && equalLabels(r.Labels, c.labels) {
					t.Logf("named: %s (of %d recommendations)", r.Title, len(recs))
					named = true
				} else if otherPlace(r.Labels, c.labels) {
					t.Errorf("a recommendation names another place than the planted one: %+v", r)
				}
			}
			if !named {
				t.Fatalf("no %s recommendation on %v among %+v", c.kind, c.labels, recs)
			}
		})
	}
}

// recommendationsAfter runs a clean hour and a planted one through a new
// collector and returns the dashboard's recommendations.
func recommendationsAfter(t *testing.T, name string, countries []string, planted func(*sim.Config)) []recommendation {
	t.Helper()
	clock := newSimClock(time.Now().Add(-70 * time.Minute))
	grpcAddr, dashAddr := e2e.FreeAddr(t), e2e.FreeAddr(t)
	bi := `
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: UTC`
	factories := e2e.BaseFactories()
	factories = e2e.WithProcessors(factories, paymentbi.NewFactoryAt(clock.Now))
	factories = e2e.WithConnectors(factories, paymentbi.NewConnectorFactoryAt(clock.Now))
	factories = e2e.WithExporters(factories, dashboardexporter.NewFactory())
	capture := "paymentbi-recs-" + name
	col := e2e.Start(t, factories, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+grpcAddr+`
processors:
  paymentbi:`+bi+`
connectors:
  paymentbi:`+bi+`
    emit_interval: 50ms
exporters:
  dashboard:
    endpoint: `+dashAddr+`
    timezone: UTC
  capture/`+capture+`: {}
  debug:
    verbosity: basic
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    logs:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    metrics/business:
      receivers: [paymentbi]
      exporters: [dashboard, capture/`+capture+`]
    metrics/app:
      receivers: [otlp]
      exporters: [debug]
`)
	t.Cleanup(func() { _ = col.Shutdown() })
	run := func(seed int64, mutate func(*sim.Config)) {
		cfg := sim.Config{
			Endpoint: grpcAddr, Insecure: true, Seed: seed, Count: 2000, Countries: countries,
			MetricInterval: time.Hour,
		}
		mutate(&cfg)
		if _, err := sim.Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		// the pipelines are synchronous: three emissions after the run
		// have reached the dashboard with every figure of the run
		c := e2e.Sinks(capture)
		seen := len(c.Metrics.AllMetrics())
		c.WaitFor(t, 30*time.Second, "three emissions after the run", func(c *e2e.Capture) bool {
			return len(c.Metrics.AllMetrics()) >= seen+3
		})
	}
	run(1, func(*sim.Config) {})
	clock.set(time.Now())
	run(2, planted)

	resp, err := http.Get("http://" + dashAddr + "/api/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Recommendations []recommendation `json:"recommendations"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Recommendations
}

// otherPlace: got names another value of one of want's labels (another
// provider, country or step).
func otherPlace(got, want map[string]string) bool {
	for k, v := range want {
		if g, ok := got[k]; ok && g != v && k != contract.MetricLabelSegmentDimension {
			return true
		}
	}
	return false
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

//go:build long

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// continuityKills is how many times each profile is killed during a run.
const continuityKills = 10

// shippedProfile is a config/ profile with its listen addresses moved to
// free loopback ports and paymentbi emitting every 4 s (scraped every
// second, so Prometheus sees each new series' 0 before its value even
// when a scrape of the busy machine times out).
type shippedProfile struct {
	config                 string
	grpc, prom, health     string
	dashboard              string
	env                    []string
	instance, storageFiles string
}

func prepareProfile(t *testing.T, name string) shippedProfile {
	t.Helper()
	raw, err := os.ReadFile(repoFile(t, "config/"+name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := shippedProfile{grpc: e2e.FreeAddr(t), prom: e2e.FreeAddr(t), health: e2e.FreeAddr(t), dashboard: e2e.FreeAddr(t)}
	storage := t.TempDir()
	p.env = []string{"OTELCOL_STORAGE_DIR=" + storage}
	p.storageFiles = storage
	host := "localhost"
	if name == "gateway" {
		host = "0.0.0.0"
		p.instance = "otelcol-payments-gateway"
		vars, err := os.ReadFile(repoFile(t, "config/validate.env"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(vars), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				p.env = append(p.env, line)
			}
		}
		// the backends are unreachable: their queues fill on disk
		p.env = append(p.env, "TRACING_BACKEND_ENDPOINT=127.0.0.1:1", "ALERT_API_ENDPOINT="+e2e.FreeAddr(t))
	} else {
		p.instance = "otelcol-payments-local"
	}
	cfg := string(raw)
	_, telemetryPort, _ := strings.Cut(e2e.FreeAddr(t), ":")
	rewrites := map[string]string{
		host + ":4317": p.grpc, host + ":4318": e2e.FreeAddr(t), host + ":8889": p.prom,
		host + ":8080": p.dashboard, host + ":13133": p.health, "port: ${env:OTELCOL_TELEMETRY_PORT:-8888}": "port: " + telemetryPort,
		"    emit_interval: 15s": "    emit_interval: 4s",
	}
	if name == "gateway" {
		rewrites["localhost:1777"] = e2e.FreeAddr(t)
	}
	for from, to := range rewrites {
		if !strings.Contains(cfg, from) {
			t.Fatalf("config/%s.yaml has no %q to rewrite", name, from)
		}
		cfg = strings.ReplaceAll(cfg, from, to)
	}
	p.config = filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startPrometheusScraping runs Debian's prometheus scraping target every
// second with honor_labels, as deploy/prometheus/prometheus.yml does.
func startPrometheusScraping(t *testing.T, target string) string {
	t.Helper()
	bin := "/usr/bin/prometheus"
	if p := os.Getenv("PROMETHEUS"); p != "" {
		bin = p
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (%v): CI must install the prometheus package", bin, err)
		}
		t.Skipf("%s not found (%v); install the prometheus package or set PROMETHEUS", bin, err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: otelcol-payments
    honor_labels: true
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := e2e.FreeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	base := "http://" + listen
	waitUntil(t, 30*time.Second, "prometheus ready", func() bool {
		res, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base
}

// promVector runs an instant query at time at (unix seconds, 0 = now) and
// returns each result's labels and value.
func promVector(t *testing.T, base, query string, at float64) map[string]float64 {
	t.Helper()
	q := url.Values{"query": {query}}
	if at > 0 {
		q.Set("time", strconv.FormatFloat(at, 'f', 3, 64))
	}
	res, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var r struct {
		Status, Error string
		Data          struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("prometheus query %q: %v %s", query, err, body)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		var keys []string
		for k, v := range s.Metric {
			keys = append(keys, k+"="+v)
		}
		v, _ := strconv.ParseFloat(s.Value[1].(string), 64)
		out[strings.Join(keys, ",")] = v
	}
	return out
}

// scrapeAll returns every sample of the endpoint as "name{labels}" → value.
func scrapeAll(t *testing.T, metricsURL string) map[string]float64 {
	t.Helper()
	res, err := http.Get(metricsURL)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sumWhere adds the samples of metric whose labels contain every pair.
func sumWhere(samples map[string]float64, metric string, pairs ...string) float64 {
	var sum float64
	for k, v := range samples {
		if !strings.HasPrefix(k, metric+"{") && k != metric {
			continue
		}
		ok := true
		for _, p := range pairs {
			ok = ok && strings.Contains(k, p)
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// The simulator runs against a shipped profile while the collector is
// killed with SIGKILL at continuityKills random moments and restarted on
// the same storage; the OTel SDK re-sends what was not acknowledged. Then
// the ledger equals, to the cent and count, paymentbi's counters on the
// prometheus endpoint and a real Prometheus' increase() over the whole
// run: nothing acknowledged was lost, nothing counted twice (purchases
// dedup by order id, re-sent batches by their content), every series
// continued under one instance, and every new series started at 0.
func TestKillNineAtRandomMomentsKeepsTheLedger(t *testing.T) {
	for _, name := range []string{"otelcol", "gateway"} {
		t.Run(name, func(t *testing.T) { runContinuity(t, name) })
	}
}

func runContinuity(t *testing.T, profile string) {
	bin := binary(t)
	p := prepareProfile(t, profile)
	metricsURL := "http://" + p.prom + "/metrics"
	prom := startPrometheusScraping(t, p.prom)
	healthy := healthCheck(p.health)
	runStart := time.Now()
	proc := startBinary(t, bin, p.config, p.env...)
	waitUntil(t, time.Minute, "the collector healthy", healthy)

	// kills at random moments of the run, each followed by a restart
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	killed := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for k := 0; k < continuityKills; k++ {
			select {
			case <-ctx.Done():
				killed <- fmt.Errorf("run ended after %d kills", k)
				return
			case <-time.After(time.Duration(1000+rng.IntN(4000)) * time.Millisecond):
			}
			_ = proc.Process.Kill()
			_ = proc.Wait()
			restarted := time.Now()
			proc = startBinary(t, bin, p.config, p.env...)
			// Up again and scraped by Prometheus: a series new in this
			// incarnation is shown at 0 for one emission, and the run checks
			// that Prometheus counts it; a scrape must be able to see it.
			deadline := time.Now().Add(time.Minute)
			for !scrapedSince(prom, restarted) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
		}
		killed <- nil
	}()
	ledger, err := sim.Run(ctx, sim.Config{
		Endpoint:        p.grpc,
		Insecure:        true,
		Seed:            13,
		Count:           10000,
		Rate:            200,
		Currencies:      []string{"USD", "EUR", "GBP", "JPY", "KWD"},
		DuplicateRate:   0.05,
		SpanEventShare:  0.1,
		RefundRate:      0.04,
		MetricInterval:  time.Hour,
		ShutdownTimeout: 2 * time.Minute,
		ExportTimeout:   2 * time.Minute,
	})
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	if err := <-killed; err != nil {
		t.Fatalf("%v: the simulator finished before %d kills; slow it down", err, continuityKills)
	}

	var wantOrders int64
	for _, n := range ledger.Orders {
		wantOrders += n
	}
	t.Logf("%s: %d sessions, %d events, %d orders, %d kills", profile, ledger.Sessions, ledger.Events, wantOrders, continuityKills)

	check := func(report func(format string, args ...any), source string, got func(metric string, pairs ...string) float64) {
		t.Helper()
		for cur, byMethod := range ledger.RevenueMinor {
			for method, want := range byMethod {
				v := got("payment_revenue_total", `payment_currency="`+cur+`"`, `payment_method="`+method+`"`)
				if minor, _ := contract.MajorFloatToMinor(v, exponent(cur)); minor != want {
					report("%s: revenue %s %s = %v, ledger %s", source, cur, method, v, contract.FormatMinor(want, cur))
				}
			}
		}
		for cur, want := range ledger.Orders {
			if v := got("payment_orders_total", `payment_currency="`+cur+`"`); int64(math.Round(v)) != want {
				report("%s: orders %s = %v, ledger %d", source, cur, v, want)
			}
		}
		for seg, want := range ledger.PurchasesBySegment {
			if v := got("customer_orders_total", `customer_segment="`+seg+`"`); int64(math.Round(v)) != want {
				report("%s: %s customer orders = %v, ledger %d", source, seg, v, want)
			}
		}
		// Funnel steps carry no id: a batch journaled just before a kill
		// whose acknowledgement the kill cut off is re-sent by the SDK, and
		// paymentbi recognises the whole batch (its key is rebuilt by the
		// journal replay), so they equal the ledger too.
		for step, name := range contract.FunnelSteps {
			if v := got("checkout_funnel_events_total", `checkout_step="`+strings.TrimPrefix(name, "ecommerce.")+`"`); int64(math.Round(v)) != ledger.Funnel[name] {
				report("%s: funnel %d %s = %v, ledger %d", source, step, name, v, ledger.Funnel[name])
			}
		}
		for status, want := range ledger.Attempts {
			if v := got("payment_attempts_total", `payment_status="`+status+`"`); int64(math.Round(v)) != want {
				report("%s: attempts %s = %v, ledger %d", source, status, v, want)
			}
		}
	}
	// The endpoint shows the last emission; wait for one that holds every
	// acknowledged event (purchases and funnel steps arrive in different
	// SDK batches).
	reached := func(got func(metric string, pairs ...string) float64) bool {
		if int64(got("payment_orders_total")) < wantOrders {
			return false
		}
		for _, name := range contract.FunnelSteps {
			if int64(got("checkout_funnel_events_total", `checkout_step="`+strings.TrimPrefix(name, "ecommerce.")+`"`)) < ledger.Funnel[name] {
				return false
			}
		}
		return true
	}
	var samples map[string]float64
	waitUntil(t, time.Minute, "every acknowledged event on the prometheus endpoint", func() bool {
		samples = scrapeAll(t, metricsURL)
		return reached(func(metric string, pairs ...string) float64 { return sumWhere(samples, metric, pairs...) })
	})
	check(t.Errorf, ":8889", func(metric string, pairs ...string) float64 { return sumWhere(samples, metric, pairs...) })

	// Prometheus: at the last scrape, increase() over the whole run. The
	// window starts before each series' first sample (0, so increase()
	// extrapolates nothing before it) and ends on the last sample.
	var last float64
	waitUntil(t, time.Minute, "prometheus scraping every event", func() bool {
		return reached(func(metric string, pairs ...string) float64 {
			sel := metric
			if len(pairs) > 0 {
				sel += "{" + strings.Join(pairs, ",") + "}"
			}
			return promVector(t, prom, "sum("+sel+")", 0)[""]
		})
	})
	for _, v := range promVector(t, prom, `max(timestamp(payment_orders_total))`, 0) {
		last = v
	}
	window := fmt.Sprintf("[%ds]", int(time.Since(runStart).Seconds())+30)
	query := func(metric string, pairs ...string) float64 {
		sel := metric
		if len(pairs) > 0 {
			sel += "{" + strings.Join(pairs, ",") + "}"
		}
		v := promVector(t, prom, "sum(increase("+sel+window+"))", last)
		return v[""]
	}
	// Prometheus must have seen every series at 0 before its value: a
	// series that first appears with a value (e.g. one made live by
	// replaying two processes' emissions as if they were one, fixed in
	// paymentbi's journal) loses that value here although :8889 matches.
	check(t.Errorf, "prometheus increase()", query)
	if t.Failed() {
		res, err := http.Get(prom + "/api/v1/query?" + url.Values{"query": {"checkout_funnel_events_total" + window}, "time": {strconv.FormatFloat(last, 'f', 3, 64)}}.Encode())
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			t.Logf("raw funnel samples: %.3000s", body)
		}
	}
	if ids := promVector(t, prom, "count by (instance) (last_over_time(payment_orders_total"+window+"))", last); len(ids) != 1 {
		t.Errorf("series under %d instances across the restarts, want one: %v", len(ids), ids)
	} else {
		for k := range ids {
			if k != "instance="+p.instance {
				t.Errorf("instance %q, want the stable %q", k, p.instance)
			}
		}
	}
}

// healthCheck reports whether the health_check extension at addr says
// the collector is ready.
func healthCheck(addr string) func() bool {
	return func() bool {
		res, err := http.Get("http://" + addr)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
}

func exponent(currency string) int {
	e, _ := contract.CurrencyExponent(currency)
	return e
}

// scrapedSince reports whether Prometheus' last successful scrape of the
// collector is after t.
func scrapedSince(prom string, t time.Time) bool {
	res, err := http.Get(prom + "/api/v1/query?" + url.Values{"query": {"timestamp(up == 1)"}}.Encode())
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(res.Body).Decode(&r) != nil || len(r.Data.Result) != 1 {
		return false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	ts, err := strconv.ParseFloat(s, 64)
	return err == nil && ts > float64(t.UnixMilli())/1000
}

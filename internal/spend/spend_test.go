package spend

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestRegistry() (*Registry, *clock) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)}
	return NewRegistry(c.now), c
}

func destination(t *testing.T, s Snapshot, exporter string) Destination {
	t.Helper()
	for _, d := range s.Destinations {
		if d.Exporter == exporter {
			return d
		}
	}
	t.Fatalf("no destination %q in %+v", exporter, s.Destinations)
	return Destination{}
}

func TestLastHourSlidesByTheMinute(t *testing.T) {
	r, c := newTestRegistry()
	ga4 := r.Meter(Key{Exporter: "ga4", Kind: "ga4", Host: "www.google-analytics.com"}, Traces|Logs)
	ga4.Sent(25, 1000)
	c.add(30 * time.Minute)
	ga4.Sent(5, 200)
	ga4.Failed()

	d := destination(t, r.Snapshot(), "ga4")
	assert.Equal(t, Figures{Requests: 2, Events: 30, Bytes: 1200, RequestsLastHour: 2, EventsLastHour: 30, BytesLastHour: 1200}, d.Figures)
	assert.Equal(t, int64(1), d.FailedRequests)
	assert.Equal(t, []string{"traces", "logs"}, d.Signals)

	// 59 minutes after the first send it still counts; at 60 it has left
	// the window, the totals keep it.
	c.add(29 * time.Minute)
	assert.Equal(t, int64(30), destination(t, r.Snapshot(), "ga4").EventsLastHour)
	c.add(time.Minute)
	d = destination(t, r.Snapshot(), "ga4")
	assert.Equal(t, int64(5), d.EventsLastHour)
	assert.Equal(t, int64(200), d.BytesLastHour)
	assert.Equal(t, int64(30), d.Events)

	// A day later the reused buckets start from zero.
	c.add(24 * time.Hour)
	ga4.Sent(1, 10)
	d = destination(t, r.Snapshot(), "ga4")
	assert.Equal(t, Figures{Requests: 3, Events: 31, Bytes: 1210, RequestsLastHour: 1, EventsLastHour: 1, BytesLastHour: 10}, d.Figures)
}

func TestShareOfReceivedUsesTheDestinationsSignals(t *testing.T) {
	r, c := newTestRegistry()
	tracing := r.Meter(Key{Exporter: "otlp_split/tracing", Kind: "otlp_grpc", Host: "tempo:4317"}, Traces)
	ga4 := r.Meter(Key{Exporter: "ga4", Kind: "ga4", Host: "www.google-analytics.com"}, Traces|Logs)
	slack := r.Meter(Key{Exporter: "alert", Kind: "slack", Host: "hooks.slack.com"}, 0)
	r.Received(Traces, 600)
	r.Received(Logs, 400)
	r.Received(Metrics, 5000)
	tracing.Sent(60, 6000)
	ga4.Sent(25, 2500)
	slack.Sent(1, 300)

	s := r.Snapshot()
	assert.InDelta(t, 0.1, *destination(t, s, "otlp_split/tracing").ShareOfReceived, 1e-12)
	assert.InDelta(t, 0.025, *destination(t, s, "ga4").ShareOfReceived, 1e-12)
	assert.Nil(t, destination(t, s, "alert").ShareOfReceived, "fed by alerts, not by received telemetry")
	assert.Equal(t, []Received{
		{Signal: "traces", Batches: 1, Items: 600, BatchesLastHour: 1, ItemsLastHour: 600},
		{Signal: "logs", Batches: 1, Items: 400, BatchesLastHour: 1, ItemsLastHour: 400},
		{Signal: "metrics", Batches: 1, Items: 5000, BatchesLastHour: 1, ItemsLastHour: 5000},
	}, s.Received)

	// Nothing received in the last hour: no share rather than a division
	// by zero or a stale one.
	c.add(2 * time.Hour)
	assert.Nil(t, destination(t, r.Snapshot(), "ga4").ShareOfReceived)
}

func TestDestinationsAreBounded(t *testing.T) {
	r, _ := newTestRegistry()
	for i := range MaxDestinations + 10 {
		r.Meter(Key{Exporter: "alert", Kind: "webhook", Host: fmt.Sprintf("h%d.example", i)}, 0).Sent(1, 1)
	}
	s := r.Snapshot()
	assert.Len(t, s.Destinations, MaxDestinations+1)
	o := destination(t, s, Overflow)
	assert.Equal(t, int64(10), o.Events)
	// The same key finds its meter again.
	first, again := r.Meter(Key{Exporter: "alert", Kind: "webhook", Host: "h0.example"}, 0), r.Meter(Key{Exporter: "alert", Kind: "webhook", Host: "h0.example"}, 0)
	assert.Same(t, first, again)
}

func TestNilMeterCountsNothing(t *testing.T) {
	var m *Meter
	m.Sent(1, 1)
	m.Failed()
}

func TestConcurrentSendsAreAllCounted(t *testing.T) {
	r, c := newTestRegistry()
	m := r.Meter(Key{Exporter: "sentry", Kind: "sentry", Host: "o1.ingest.sentry.io"}, Traces|Logs)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				if g == 0 && i%100 == 0 {
					c.add(time.Second) // minutes turn while others add
				}
				m.Sent(1, 10)
			}
		}()
	}
	wg.Wait()
	d := destination(t, r.Snapshot(), "sentry")
	assert.Equal(t, int64(8000), d.Events)
	assert.Equal(t, int64(8000), d.EventsLastHour)
	assert.Equal(t, int64(80000), d.BytesLastHour)
}

func TestObserveReportsCounters(t *testing.T) {
	r, _ := newTestRegistry()
	m := r.Meter(Key{Exporter: "ga4", Kind: "ga4", Host: "region1.google-analytics.com"}, Logs)
	m.Sent(3, 300)
	m.Failed()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := Observe(mp, m)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Unregister()) }()

	got := map[string]int64{}
	for _, p := range collect(t, reader) {
		host, _ := p.Attributes.Value(AttrHost)
		assert.Equal(t, "region1.google-analytics.com", host.AsString())
		exp, _ := p.Attributes.Value(AttrExporter)
		assert.Equal(t, "ga4", exp.AsString())
		outcome, _ := p.Attributes.Value(AttrOutcome)
		got[p.name+"/"+outcome.AsString()] = p.Value
	}
	assert.Equal(t, map[string]int64{
		MetricEvents + "/": 3, MetricBytes + "/": 300,
		MetricRequests + "/sent": 1, MetricRequests + "/failed": 1,
	}, got)
}

// The per-send cost the exporters pay.
func BenchmarkSent(b *testing.B) {
	m := Default.Meter(Key{Exporter: "bench", Kind: "bench", Host: "bench"}, Logs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Sent(25, 4000)
		}
	})
}

func TestUseReportsOnceUntilTheLastRelease(t *testing.T) {
	r, _ := newTestRegistry()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	key := Key{Exporter: "sentry", Kind: "sentry", Host: "o1.ingest.sentry.io"}
	m1, release1, err := r.Use(mp, key, Traces)
	require.NoError(t, err)
	m2, release2, err := r.Use(mp, key, Logs)
	require.NoError(t, err)
	require.Same(t, m1, m2)
	m1.Sent(2, 20)
	points := func() int {
		n := 0
		for _, p := range collect(t, reader) {
			if p.name == MetricEvents {
				assert.Equal(t, int64(2), p.Value)
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, points(), "two users, one report")
	release1()
	release1()
	assert.Equal(t, 1, points())
	release2()
	assert.Equal(t, 0, points(), "unregistered with the last user")
	assert.Equal(t, []string{"traces", "logs"}, destination(t, r.Snapshot(), "sentry").Signals)
}

func TestTransportCountsPerHostAndObserveExporterSeesThem(t *testing.T) {
	r, _ := newTestRegistry()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }))
	defer refused.Close()
	client := &http.Client{Transport: &Transport{Registry: r, Exporter: "alert", Kind: "slack", Next: http.DefaultTransport}}
	for _, u := range []string{ok.URL + "/services/T0/B0/secret", ok.URL + "/services/T0/B0/secret", refused.URL + "/x"} {
		resp, err := client.Post(u, "application/json", strings.NewReader(`{"text":"hi"}`))
		require.NoError(t, err)
		resp.Body.Close()
	}
	okHost, refusedHost := strings.TrimPrefix(ok.URL, "http://"), strings.TrimPrefix(refused.URL, "http://")
	var got []Destination
	for _, d := range r.Snapshot().Destinations {
		got = append(got, Destination{Exporter: d.Exporter, Kind: d.Kind, Host: d.Host, Figures: Figures{Events: d.Events, Bytes: d.Bytes}, FailedRequests: d.FailedRequests})
	}
	want := []Destination{
		{Exporter: "alert", Kind: "slack", Host: okHost, Figures: Figures{Events: 2, Bytes: 26}},
		{Exporter: "alert", Kind: "slack", Host: refusedHost, FailedRequests: 1},
	}
	if okHost > refusedHost {
		want[0], want[1] = want[1], want[0]
	}
	assert.Equal(t, want, got)

	reader := sdkmetric.NewManualReader()
	reg, err := r.ObserveExporter(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), "alert")
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Unregister()) }()
	hosts := map[string]bool{}
	for _, p := range collect(t, reader) {
		h, _ := p.Attributes.Value(AttrHost)
		hosts[h.AsString()] = true
	}
	assert.Equal(t, map[string]bool{okHost: true, refusedHost: true}, hosts)
}

type point struct {
	name string
	metricdata.DataPoint[int64]
}

// collect reads every counter data point of reader.
func collect(t *testing.T, reader sdkmetric.Reader) []point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	var out []point
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			for _, dp := range mt.Data.(metricdata.Sum[int64]).DataPoints {
				out = append(out, point{name: mt.Name, DataPoint: dp})
			}
		}
	}
	return out
}
